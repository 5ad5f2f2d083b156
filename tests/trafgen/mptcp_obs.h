/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What trafgen can observe of MPTCP from userspace without listening to the
 * events it wants to prove: socket options on the msk, the netns' MIB
 * counters, and the running kernel's BTF.
 */
#ifndef TRAFGEN_MPTCP_OBS_H
#define TRAFGEN_MPTCP_OBS_H

#include <netinet/in.h>
#include <linux/types.h>

#include "mptcp_compat.h"

/* the initial subflow and 8 more, the most the in-kernel PM allows (MPTCP_PM_ADDR_MAX) */
#define OBS_MAX_SUBFLOWS 16

struct obs_subflows {
	unsigned int count;	  /* subflows the msk has (kernel's count) */
	unsigned int established; /* of those, in TCP_ESTABLISHED */
	/* per subflow, in the msk's list order (the initial one first) */
	__u64 bytes_acked[OBS_MAX_SUBFLOWS];
	__u64 bytes_received[OBS_MAX_SUBFLOWS];
};

union obs_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct obs_addrs {
	unsigned int count;
	union obs_sa local[OBS_MAX_SUBFLOWS];
	union obs_sa remote[OBS_MAX_SUBFLOWS];
};

int obs_mptcp_info(int fd, struct mptcp_info *mi);
int obs_subflows(int fd, struct obs_subflows *sf);
int obs_subflow_addrs(int fd, struct obs_addrs *a);
/*
 * The subflow of @a whose local (@remote: 0) or remote (1) address is @addr of
 * @family (an IPv4 one also as IPv4-mapped IPv6); -ENOENT if none.
 */
int obs_addrs_find(const struct obs_addrs *a, int remote, int family, const void *addr);
/* 1 when the msk saw a hang-up (POLLHUP, POLLRDHUP: DATA_FIN, fastclose) or an error */
int obs_msk_hangup(int fd);

/*
 * /proc/net files of the netns the process is in when they are opened:
 * the MIB counters (netstat) and the sockets in use per protocol (protocols).
 */
int obs_proc_net_open(const char *name);
int obs_mib_read(int fd, const char *name, __u64 *val);
int obs_inuse_read(int fd, unsigned int *msks);
/*
 * The msks of the netns the process is in when @fd is opened, as the kernel's token table
 * holds them (MPTCP sock_diag, mptcp_diag: what the in-kernel PM walks to announce an
 * address), listeners left out. A closed msk stays there until it is destroyed.
 */
int obs_diag_open(void);
int obs_msks_count(int fd, unsigned int *n);

/* 1 if the running kernel emits LISTENER_* events, 0 if not. */
int obs_listener_events(const char **how);

#endif /* TRAFGEN_MPTCP_OBS_H */
