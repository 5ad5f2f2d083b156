/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One event as the outputs see it: what the correlator decided about a kernel
 * event (or, with --genl-only, a netlink event as received), its identifying
 * fields and its latencies.
 */
#ifndef EVLAT_EVENT_H
#define EVLAT_EVENT_H

#include <stdbool.h>
#include <linux/types.h>

#include "correlate.h"
#include "nl_event.h"

/*
 * README "Status categories" says how each is detected. The order is the
 * order of every output (the terminal's loss columns, JSON, Prometheus).
 */
enum evlat_status {
	ST_DELIVERED,		/* the netlink event arrived for the kernel's call */
	ST_LOST_ALLOC_ATOMIC,	/* never reached the send path; the sender allocates atomically */
	ST_LOST_ALLOC_OTHER,	/* never reached the send path; sleeping allocation */
	ST_LOST_OVERRUN,	/* sent, but our socket overflowed (ENOBUFS) */
	ST_LOST_RINGBUF,	/* the BPF ring buffer was full: the hook record was dropped */
	ST_NOT_DELIVERED,	/* called, nothing arrived, and no evidence says why */
	ST_NO_LISTENER,		/* sent into a namespace we do not listen in (-A): not a loss */
	ST_DUPLICATE,		/* the same event a second time (same subflow / connection) */
	ST_CLOSE_WITHOUT_EVENT, /* mptcp_close_ssk() with no SUB_CLOSED (reason given) */
	ST_UNMATCHED,		/* a netlink event with no kernel record (e.g. probe missing) */
	ST_EVICTED,		/* the correlation table was full: not judged */
	ST_SENT,		/* --observe: multicast (the consumers say who got it) */
	ST_RECEIVED,		/* --genl-only: a netlink event, nothing to match it with */
	ST_MAX,
};

/* How the summaries group the statuses */
enum status_class {
	SC_OK,	      /* delivered, sent, received */
	SC_LOST,      /* the kernel's event did not reach us: lost_*, not_delivered */
	SC_NOTE,      /* not a loss, but worth a column: no_listener, duplicate, ... */
	SC_UNMATCHED, /* an event we could not judge: unmatched, evicted */
};

/* What the classification of an undelivered event may rely on. */
struct classify_ctx {
	bool send_probe;      /* the send path is traced on this kernel */
	bool overrun_seen;    /* our socket reported ENOBUFS during the run */
	bool send_drops_seen; /* the ring dropped send records: "not sent" is unknown */
	__u32 listen_netns;   /* the namespace our netlink socket listens in */
};

enum evlat_stage {
	STAGE_TOTAL,	/* hook -> our receive */
	STAGE_KERNEL,	/* hook -> multicast send */
	STAGE_DELIVERY, /* multicast send -> our receive */
	STAGE_MAX,
};

struct evlat_event {
	enum evlat_status status;
	__u8 type;
	__u8 family; /* 4 or 6, 0 if unknown */
	__u8 loc_id, rem_id;
	bool have_token, have_addrs, have_ids, have_loc_id;
	__u32 token;
	__u32 netns;
	__u16 sport, dport;
	__u8 saddr[16], daddr[16];
	bool have_saddr, have_daddr;
	bool have_stage[STAGE_MAX];
	__u64 stage_ns[STAGE_MAX];
	__u64 time_ns; /* CLOCK_MONOTONIC of the hook, or of the receive */
	__u32 gfp;     /* allocation flags of the sender, 0 if unknown */
	__u8 differs;  /* CORR_F_* the kernel record and the message disagreed on */
	__u64 bcast;   /* the broadcast id of its message, 0 when unknown */
	/* SUB_CLOSED of a failed subflow: only the message has them (doc/kernel-notes.md) */
	bool have_error, have_reset;
	__u8 error;	    /* MPTCP_ATTR_ERROR: the subflow's sk_err (errno) */
	__u32 reset_reason; /* MPTCP_ATTR_RESET_REASON: the peer's MP_TCPRST reason */
	__u32 reset_flags;  /* MPTCP_ATTR_RESET_FLAGS: its flags (bit 0: transient) */
	const char *reason; /* close_without_event: why no SUB_CLOSED */
};

void event_from_corr(const struct corr_result *res, const struct classify_ctx *cc,
		     struct evlat_event *ev);
/*
 * An mptcp_close_ssk() record: fills @ev and returns true when the kernel
 * will send no SUB_CLOSED for it (not established, or already sent).
 */
bool event_from_close(const struct evlat_record *r, struct evlat_event *ev);
void event_from_nl(const struct nl_event *nl, __u32 netns, struct evlat_event *ev);

/* AF_INET / AF_INET6 of an event's (normalised) addresses */
int event_af(const struct evlat_event *ev);

const char *status_name(enum evlat_status st);
/* the status of a name, or -EINVAL */
int status_by_name(const char *name);
enum status_class status_class(enum evlat_status st);
const char *stage_name(enum evlat_stage st);

#endif
