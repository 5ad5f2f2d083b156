/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What trafgen needs from the MPTCP uapi beyond Debian bookworm's
 * <linux/mptcp.h>, which is the 6.1 header.
 *
 * The 6.1 header already has every MPTCP_PM_CMD_* (ADD_ADDR=1 ... SET_FLAGS=7),
 * the MPTCP_PM_ATTR_* and MPTCP_PM_ADDR_ATTR_* attributes, the
 * MPTCP_PM_ADDR_FLAG_* bits, struct mptcp_info, MPTCP_INFO/MPTCP_TCPINFO/
 * MPTCP_SUBFLOW_ADDRS and enum mptcp_event_type up to SUB_PRIORITY=13.
 * glibc 2.36 has IPPROTO_MPTCP (262) and SOL_MPTCP (284).
 *
 * Missing are the listener events, added to the kernel in 6.2 (commit
 * f8c9dfbd875b, "mptcp: add pm listener events"). Since 6.7 the uapi enum
 * comes from the YAML spec (<linux/mptcp_pm.h>) with unchanged values. The
 * names below carry a TG_ prefix so that they cannot collide with the
 * enumerators of a newer header.
 */
#ifndef TRAFGEN_MPTCP_COMPAT_H
#define TRAFGEN_MPTCP_COMPAT_H

#include <linux/mptcp.h>

enum tg_event {
	TG_EV_CREATED = MPTCP_EVENT_CREATED,
	TG_EV_ESTABLISHED = MPTCP_EVENT_ESTABLISHED,
	TG_EV_CLOSED = MPTCP_EVENT_CLOSED,
	TG_EV_ANNOUNCED = MPTCP_EVENT_ANNOUNCED,
	TG_EV_REMOVED = MPTCP_EVENT_REMOVED,
	TG_EV_SUB_ESTABLISHED = MPTCP_EVENT_SUB_ESTABLISHED,
	TG_EV_SUB_CLOSED = MPTCP_EVENT_SUB_CLOSED,
	TG_EV_SUB_PRIORITY = MPTCP_EVENT_SUB_PRIORITY,
	TG_EV_LISTENER_CREATED = 15, /* 6.2+ */
	TG_EV_LISTENER_CLOSED = 16,  /* 6.2+ */
	TG_EV_MAX,
};

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

#endif /* TRAFGEN_MPTCP_COMPAT_H */
