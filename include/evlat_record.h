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
	EVLAT_K_EVENT = 1,	 /* mptcp_event(type, msk, ssk, gfp) */
	EVLAT_K_ANNOUNCED = 2,	 /* mptcp_event_addr_announced(ssk, info) */
	EVLAT_K_REMOVED = 3,	 /* mptcp_event_addr_removed(msk, id) */
	EVLAT_K_CLOSE_SSK = 4,	 /* mptcp_close_ssk(sk, ssk, subflow) */
	EVLAT_K_LISTENER = 5,	 /* mptcp_event_pm_listener(ssk, event), 6.2+ */
	EVLAT_K_SEND = 6,	 /* the event's message reaches the multicast send path */
	EVLAT_K_QUEUED = 7,	 /* __netlink_sendskb(): one subscriber's socket got it */
	EVLAT_K_OVERRUN = 8,	 /* netlink_overrun(): one subscriber's socket was full */
	EVLAT_K_READ = 9,	 /* skb_recv_datagram() returned it (or -ENOBUFS) to a process */
	EVLAT_K_NOLISTENER = 10, /* netlink_has_listeners() said no: the event was not built */
	EVLAT_K_GONE = 11,	 /* netlink_release(): a subscriber's socket closed */
	EVLAT_K_CMD = 12,	 /* genl_rcv_msg() of the mptcp_pm family: a path-manager command */
	EVLAT_K_MAX,
};

/*
 * Slots of the per-CPU drop counters: hook records by event type, send
 * records by event type, then the netlink-side records by kind.
 */
#define EVLAT_DROP_SEND	 256
#define EVLAT_DROP_KIND	 512
#define EVLAT_DROP_SLOTS (EVLAT_DROP_KIND + 16)

/* Bits of evlat_record.flags */
#define EVLAT_F_HAVE_SSK	 (1u << 0) /* addresses/ports come from a subflow */
#define EVLAT_F_CLOSE_EVENT_DONE (1u << 1) /* subflow->close_event_done was set */
#define EVLAT_F_HAVE_CLOSE_DONE	 (1u << 2) /* kernel has close_event_done (2024+) */
#define EVLAT_F_REQUEST_BKUP	 (1u << 3) /* subflow->request_bkup was set */
#define EVLAT_F_NO_ENOBUFS	 (1u << 4) /* the socket set NETLINK_NO_ENOBUFS */
#define EVLAT_F_CMD_TOKEN	 (1u << 5) /* the command named a connection (MPTCP_PM_ATTR_TOKEN) */
#define EVLAT_F_CMD_DUMP	 (1u << 6) /* the request asked for a dump (NLM_F_DUMP) */
#define EVLAT_F_CMD_REMOTE	 (1u << 7) /* it had MPTCP_PM_ATTR_ADDR_REMOTE */

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

/* enum mptcp_pm_cmd (include/uapi/linux/mptcp.h; mptcp_pm.h since 6.7): the same on 6.1 ... 7.3 */
#define EVLAT_CMD_ADD_ADDR	  1
#define EVLAT_CMD_DEL_ADDR	  2
#define EVLAT_CMD_GET_ADDR	  3
#define EVLAT_CMD_FLUSH_ADDRS	  4
#define EVLAT_CMD_SET_LIMITS	  5
#define EVLAT_CMD_GET_LIMITS	  6
#define EVLAT_CMD_SET_FLAGS	  7
#define EVLAT_CMD_ANNOUNCE	  8
#define EVLAT_CMD_REMOVE	  9
#define EVLAT_CMD_SUBFLOW_CREATE  10
#define EVLAT_CMD_SUBFLOW_DESTROY 11
#define EVLAT_CMD_TYPES		  16

/*
 * The netlink side of one event message (send, queued, overrun, no_listener,
 * gone records). Kernel addresses are only identities here: never read back.
 */
struct evlat_msg {
	__u64 sock;    /* the receiving socket (queued, overrun, gone) */
	__u64 skb;     /* the message's sk_buff (send, queued) */
	__u64 bcast;   /* the broadcast it belongs to (send, queued, overrun); 0: unknown */
	__u64 hook_ns; /* ktime of the hook that built it (send, no_listener); 0: unknown */
	__u32 ino;     /* the receiving socket's inode, as /proc/net/netlink shows it */
	__u32 portid;  /* its netlink port id */
	/* its receive queue in bytes: queued: after (before at netlink_skb_set_owner_r()), overrun: as found */
	__u32 rmem;
	__u32 rcvbuf; /* its receive buffer */
};

/*
 * A path-manager command: what genl_rcv_msg() was asked and answered, written when it
 * returns (ktime_ns). The common header carries the rest: event = the command
 * (MPTCP_PM_CMD_*), token (with EVLAT_F_CMD_TOKEN), family / loc_id / sport = the address
 * of MPTCP_PM_ATTR_ADDR (its family, id, port; loc_id is MPTCP_PM_ATTR_LOC_ID when given),
 * rem_id / dport = those of MPTCP_PM_ATTR_ADDR_REMOTE, netns = the namespace it acts in.
 */
struct evlat_cmd {
	__u64 start_ns;	  /* when genl_rcv_msg() was called; 0: not seen */
	__u32 ino;	  /* the sending socket's inode (NETLINK_CB(skb).sk) */
	__s32 err;	  /* the command's result; -EINTR (-4) with a dump: the dump started */
	__u32 seq;	  /* nlmsg_seq, as the sender numbered it */
	__u32 addr_flags; /* MPTCP_PM_ADDR_ATTR_FLAGS of the address (signal, subflow, backup) */
	/* the addresses: IPv4, or an IPv6 address folded to 32 bits (xor of its four words) */
	__u8 saddr[4]; /* MPTCP_PM_ATTR_ADDR */
	__u8 daddr[4]; /* MPTCP_PM_ATTR_ADDR_REMOTE */
	char comm[16]; /* the sending thread's comm */
};

/* A read record: a process took one message off its socket (or learned of an overrun) */
struct evlat_read {
	__u64 sock;
	__u64 skb; /* the message read; 0 with err */
	__u32 ino;
	__u32 portid;
	__s32 err; /* -ENOBUFS when the read reported an overrun instead */
	__u32 pad;
	char comm[16]; /* the reading thread's comm */
};

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
	__u32 pid;	/* the current task's process (tgid) */
	__u32 tid;	/* and thread */
	union {
		struct {		/* hook records */
			__u8 saddr[16]; /* IPv4 in the first 4 bytes, or IPv6 */
			__u8 daddr[16];
		};
		struct evlat_msg msg;	/* send, queued, overrun, no_listener, gone */
		struct evlat_read read; /* read */
		struct evlat_cmd cmd;	/* cmd */
	};
};

_Static_assert(sizeof(struct evlat_msg) == 48, "evlat_msg layout changed");
_Static_assert(sizeof(struct evlat_read) == 48, "evlat_read layout changed");
_Static_assert(sizeof(struct evlat_cmd) == 48, "evlat_cmd layout changed");
_Static_assert(sizeof(struct evlat_record) == 96, "evlat_record layout changed");

#endif /* EVLAT_RECORD_H */
