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

#define OBS_MAX_SUBFLOWS 8

struct obs_subflows {
	unsigned int count;	  /* subflows the msk has (kernel's count) */
	unsigned int established; /* of those, in TCP_ESTABLISHED */
};

struct obs_addrs {
	unsigned int count;
	struct sockaddr_in local[OBS_MAX_SUBFLOWS];
	struct sockaddr_in remote[OBS_MAX_SUBFLOWS];
};

int obs_mptcp_info(int fd, struct mptcp_info *mi);
int obs_subflows(int fd, struct obs_subflows *sf);
int obs_subflow_addrs(int fd, struct obs_addrs *a);

/*
 * /proc/net files of the netns the process is in when they are opened:
 * the MIB counters (netstat) and the sockets in use per protocol (protocols).
 */
int obs_proc_net_open(const char *name);
int obs_mib_read(int fd, const char *name, __u64 *val);
int obs_inuse_read(int fd, unsigned int *msks);

/* 1 if the running kernel emits LISTENER_* events, 0 if not. */
int obs_listener_events(const char **how);

#endif /* TRAFGEN_MPTCP_OBS_H */
