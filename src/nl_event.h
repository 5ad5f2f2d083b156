/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One decoded mptcp_pm_events message (include/uapi/linux/mptcp.h), and the
 * listener socket that receives them.
 */
#ifndef EVLAT_NL_EVENT_H
#define EVLAT_NL_EVENT_H

#include <stddef.h>
#include <linux/types.h>

/* Bits of nl_event.present: which attributes the message carried. */
enum {
	NLE_TOKEN = 1u << 0,
	NLE_FAMILY = 1u << 1,
	NLE_LOC_ID = 1u << 2,
	NLE_REM_ID = 1u << 3,
	NLE_SADDR = 1u << 4, /* SADDR4 or SADDR6 */
	NLE_DADDR = 1u << 5, /* DADDR4 or DADDR6 */
	NLE_SPORT = 1u << 6,
	NLE_DPORT = 1u << 7,
	NLE_BACKUP = 1u << 8,
	NLE_ERROR = 1u << 9,
	NLE_FLAGS = 1u << 10,
	NLE_TIMEOUT = 1u << 11,
	NLE_IF_IDX = 1u << 12,
	NLE_RESET_REASON = 1u << 13,
	NLE_RESET_FLAGS = 1u << 14,
	NLE_SERVER_SIDE = 1u << 15,
};

struct nl_event {
	__u64 recv_ns; /* CLOCK_MONOTONIC when our socket returned it */
	__u32 present; /* NLE_* */
	__u8 type;     /* genlmsghdr.cmd: MPTCP_EVENT_*, any number accepted */
	__u8 family;   /* AF_INET / AF_INET6 (from MPTCP_ATTR_FAMILY, or the address kind) */
	__u8 loc_id;
	__u8 rem_id;
	__u8 backup;
	__u8 error;
	__u8 server_side;
	__u8 pad;
	__u16 flags; /* MPTCP_ATTR_FLAGS */
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u32 token;
	__u32 timeout;
	__s32 if_idx;
	__u32 reset_reason;
	__u32 reset_flags;
	__u8 saddr[16]; /* IPv4 in the first 4 bytes, or IPv6 */
	__u8 daddr[16];
};

#endif
