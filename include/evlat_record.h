/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one record that crosses the BPF ring buffer, shared by bpf/ and src/.
 *
 * Rules: fixed-width integers only, the kind tag first,
 * padding written out, size asserted on both sides. No long, bool or
 * pointers: the BPF target and the host must agree byte for byte.
 */
#ifndef EVLAT_RECORD_H
#define EVLAT_RECORD_H

#ifdef __BPF__
/* vmlinux.h already defines __u8 ... __u64 */
#else
#include <linux/types.h>
#endif

/* Which kernel function produced the record. */
enum evlat_kind {
	EVLAT_K_NONE = 0,
	EVLAT_K_EVENT = 1,     /* mptcp_event(type, msk, ssk, gfp) */
	EVLAT_K_ANNOUNCED = 2, /* mptcp_event_addr_announced(ssk, info) */
	EVLAT_K_REMOVED = 3,   /* mptcp_event_addr_removed(msk, id) */
	EVLAT_K_CLOSE_SSK = 4, /* mptcp_close_ssk(sk, ssk, subflow) */
	EVLAT_K_LISTENER = 5,  /* mptcp_event_pm_listener(ssk, event), 6.2+ */
	EVLAT_K_SEND = 6,      /* the event's message reaches the multicast send path */
	EVLAT_K_MAX,
};

/* Slots of the per-CPU drop counters: hook records by event type, then send records */
#define EVLAT_DROP_SEND	 256
#define EVLAT_DROP_SLOTS 512

/* Bits of evlat_record.flags */
#define EVLAT_F_HAVE_SSK	 (1u << 0) /* addresses/ports come from a subflow */
#define EVLAT_F_CLOSE_EVENT_DONE (1u << 1) /* subflow->close_event_done was set */
#define EVLAT_F_HAVE_CLOSE_DONE	 (1u << 2) /* kernel has close_event_done (2024+) */
#define EVLAT_F_REQUEST_BKUP	 (1u << 3) /* subflow->request_bkup was set */

/* Event numbers are a u8 on the wire (the genl command). */
#define EVLAT_EVENT_TYPES 256

/* Subset of upstream enum mptcp_event_type (include/uapi/linux/mptcp.h). */
#define EVLAT_EV_CREATED	  1
#define EVLAT_EV_ESTABLISHED	  2
#define EVLAT_EV_CLOSED		  3
#define EVLAT_EV_ANNOUNCED	  6
#define EVLAT_EV_REMOVED	  7
#define EVLAT_EV_SUB_ESTABLISHED  10
#define EVLAT_EV_SUB_CLOSED	  11
#define EVLAT_EV_SUB_PRIORITY	  13
#define EVLAT_EV_LISTENER_CREATED 15
#define EVLAT_EV_LISTENER_CLOSED  16

struct evlat_record {
	__u8 kind;	/* enum evlat_kind; always first */
	__u8 event;	/* mptcp_event_type, 0 for EVLAT_K_CLOSE_SSK */
	__u8 family;	/* AF_INET / AF_INET6 of the subflow or address, 0 if none */
	__u8 loc_id;	/* local address id */
	__u8 rem_id;	/* remote address id (announced/removed: the peer's id) */
	__u8 backup;	/* subflow backup flag */
	__u8 sk_state;	/* MPTCP socket state (TCP_* numbering) */
	__u8 ssk_state; /* subflow state, when a subflow is known */
	__u32 cpu;
	__u32 netns; /* inode of the socket's network namespace */
	__u32 token; /* local MPTCP token of the connection, 0 for listeners */
	__u32 gfp;   /* allocation flags the sender will use, 0 if not an argument */
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u8 flags;  /* EVLAT_F_* */
	__u8 pad[3];
	__u64 ktime_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u8 saddr[16]; /* IPv4 in the first 4 bytes, or IPv6 */
	__u8 daddr[16];
};

_Static_assert(sizeof(struct evlat_record) == 72, "evlat_record layout changed");

#endif /* EVLAT_RECORD_H */
