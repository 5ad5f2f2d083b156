/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The netlink listener: one NETLINK_GENERIC socket per network namespace,
 * joined to the "mptcp_pm_events" group of the "mptcp_pm" family, decoding
 * every event it receives into a struct nl_event.
 */
#ifndef EVLAT_GENL_H
#define EVLAT_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "nl_event.h"

struct mnl_socket;

struct genl_listener {
	struct mnl_socket *nl;
	void *buf;
	size_t buf_size;
	__u32 netns;	   /* inode of the socket's netns, as `stat -L -c %i` prints */
	__u32 ino;	   /* the socket's own inode, as /proc/net/netlink prints it */
	__u16 family_id;   /* resolved id of "mptcp_pm" */
	__u32 group_id;	   /* absolute id of "mptcp_pm_events" (not the family-relative offset) */
	int rcvbuf;	   /* SO_RCVBUF as the kernel reports it (twice what was asked) */
	int mptcp_enabled; /* net.mptcp.enabled of that netns: 1, 0, or -1 if unreadable */
	/* counters, never reset */
	unsigned long long datagrams; /* recv() calls that returned data */
	unsigned long long messages;  /* events decoded and passed to the callback */
	unsigned long long errors;    /* messages (or datagram tails) that did not decode */
	unsigned long long overruns;  /* ENOBUFS reports: the socket overflowed, events lost */
	unsigned long long drops;     /* messages the kernel could not queue (SO_MEMINFO) */
};

/* net.mptcp.enabled of the caller's netns: 1, 0, or -1 if unreadable (no MPTCP) */
int genl_mptcp_enabled(void);

typedef void (*genl_event_cb)(void *ctx, const struct nl_event *ev);

/*
 * Open @l in the network namespace at @netns_path (e.g. /run/netns/NAME,
 * /proc/PID/ns/net; NULL: the caller's), resolve the family and group by name,
 * join the group, make the socket non-blocking with a receive buffer of
 * @rcvbuf_bytes (<= 0: EVLAT_DEFAULT_RCVBUF). The calling thread returns to its own netns
 * before this returns; the socket stays in the one it was created in.
 *
 * Returns 0, or:
 *   -ENOENT        @netns_path does not exist
 *   -EINVAL        @netns_path is not a network namespace
 *   -EPERM         no right to enter the namespace (CAP_SYS_ADMIN) or to join
 *                  the group (CAP_NET_ADMIN in the namespace's user namespace,
 *                  checked since 6.7)
 *   -EAFNOSUPPORT  no "mptcp_pm" genl family: the kernel has no MPTCP
 *   -ENOPROTOOPT   the family has no "mptcp_pm_events" group (kernel < 5.12)
 *   other negative errno from a failing system call
 * On failure @l is left closed (genl_listener_close() is still safe).
 */
int genl_listener_open(struct genl_listener *l, const char *netns_path, int rcvbuf_bytes);

/* The same; with !@join the family and group are resolved but not joined (--observe). */
int genl_listener_open2(struct genl_listener *l, const char *netns_path, int rcvbuf_bytes,
			bool join);

/*
 * Read every pending datagram (until EAGAIN), stamp each with
 * CLOCK_MONOTONIC right after its recv(), and call @cb for each event
 * message in it. Messages that do not decode and ENOBUFS overruns are counted
 * and reading goes on; once the socket has overflowed, each call also
 * refreshes l->drops, the kernel's count of messages lost. Returns the
 * number of events passed to @cb, or a negative errno when the socket fails.
 */
int genl_listener_read(struct genl_listener *l, genl_event_cb cb, void *ctx);

/*
 * Decode one datagram's bytes (@buf 4-byte aligned) as genl_listener_read()
 * does after each recv(): every message in it, each event passed to @cb with
 * recv_ns = @stamp_ns, the counters updated. Returns the number of events. Also
 * for replaying recorded datagrams (tests/data) through the same accounting:
 * @l need not be open then, a zeroed listener with family_id set will do.
 */
int genl_listener_feed(struct genl_listener *l, const void *buf, size_t len, __u64 stamp_ns,
		       genl_event_cb cb, void *ctx);

/* The socket for epoll (EPOLLIN), or -1 when closed. */
int genl_listener_fd(const struct genl_listener *l);

/* Close the socket only, keeping what was learnt (netns, family and group ids). */
void genl_listener_close_socket(struct genl_listener *l);

/* Close and zero @l; accepts NULL and a listener that is closed already. */
void genl_listener_close(struct genl_listener *l);

#endif
