/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal client of the "mptcp_pm" generic netlink family: just the
 * in-kernel path manager commands trafgen uses, over a raw socket (the
 * binary is static and bookworm ships no libmnl.a).
 *
 * A netlink socket belongs to the netns it was created in: open one per
 * namespace while setns()'d into it, and it keeps acting there.
 */
#ifndef TRAFGEN_PM_GENL_H
#define TRAFGEN_PM_GENL_H

#include <netinet/in.h>
#include <linux/types.h>

struct pm_genl {
	int fd;
	__u16 family;	    /* resolved id of "mptcp_pm" */
	__u32 events_group; /* id of "mptcp_pm_events", 0 if not found */
	__u32 seq;
	char errmsg[128]; /* kernel extack message of the last failure */
};

/* One endpoint of the in-kernel path manager: IPv4 unless family is AF_INET6. */
struct pm_endpoint {
	struct in_addr addr;
	struct in6_addr addr6;
	int family; /* 0 (AF_INET) or AF_INET6 */
	__u8 id;
	__u32 flags; /* MPTCP_PM_ADDR_FLAG_* */
};

int pm_genl_open(struct pm_genl *pm);
void pm_genl_close(struct pm_genl *pm);

int pm_genl_flush_addrs(struct pm_genl *pm);
int pm_genl_set_limits(struct pm_genl *pm, __u32 add_addr_accepted, __u32 subflows);
int pm_genl_add_addr(struct pm_genl *pm, const struct pm_endpoint *ep);
int pm_genl_del_addr(struct pm_genl *pm, const struct pm_endpoint *ep);
int pm_genl_set_flags(struct pm_genl *pm, const struct pm_endpoint *ep);

/* A listener that never reads until drained (trafgen --churn --sink). */
int pm_genl_sink_open(const struct pm_genl *pm, int rcvbuf);
int pm_genl_sink_drain(int fd, unsigned long long *msgs, unsigned long long *drops);

#endif /* TRAFGEN_PM_GENL_H */
