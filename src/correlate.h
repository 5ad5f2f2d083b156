/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Correlation: match each kernel hook record (bpf/) with the send-path record
 * and the netlink event (nl_event) it produced. Pending entries live in a
 * bounded table and expire after a timeout.
 *
 * Delivery rule: a hook record matched with its netlink event is reported at
 * once if its send record is attached, else by the first corr_expire() at
 * least send_wait_ns after the pairing (0: the next one). The kernel commits
 * the send record to the ring before it multicasts the message, but the ring
 * is read in reservation order and stops at a record another CPU has
 * reserved and not yet committed: a send record may come one turn after its
 * event. Past the wait it will not come (dropped, or no send probe on this
 * kernel): the pair is reported with have_send = false.
 *
 * Identity rule: a hook record and a netlink event of the same namespace,
 * type and token are first paired when every identifying field both carry
 * agrees (addresses, ports, address id: which ones depends on the type).
 * An entry about to expire unpaired is then paired with the oldest entry of
 * the other side with the same key that disagrees on at most one of them
 * (the most agreeing first): one event read differently by the probe and
 * the message, not a loss plus an unmatched event. The result says which
 * field differed (differs), and counts in corr_stats.loose.
 *
 * Loader contract, per loop iteration:
 *   1. corr_add_nl() for every netlink event read so far;
 *   2. ring_buffer__consume(): corr_add_record() for every record;
 *   3. corr_expire(now) - never without step 2 since the last corr_add_nl().
 * Callbacks must not call back into the correlator.
 */
#ifndef EVLAT_CORRELATE_H
#define EVLAT_CORRELATE_H

#include <stdbool.h>
#include <linux/types.h>

#include "defaults.h"
#include "evlat_record.h"
#include "nl_event.h"

enum corr_status {
	CORR_DELIVERED,	    /* hook record + netlink event (send record optional) */
	CORR_NOT_DELIVERED, /* hook record expired with no netlink event */
	CORR_UNMATCHED_NL,  /* netlink event expired with no hook record */
	CORR_EVICTED,	    /* unmatched, dropped because the pending table was full */
	CORR_SENT,	    /* no_nl: hook record + send record, no socket of ours to reach */
};

/* Identifying fields of an event (corr_result.differs) */
enum {
	CORR_F_SADDR = 1u << 0,
	CORR_F_DADDR = 1u << 1,
	CORR_F_SPORT = 1u << 2,
	CORR_F_DPORT = 1u << 3,
	CORR_F_REM_ID = 1u << 4,
};

struct corr_result {
	enum corr_status status;
	__u8 event;   /* MPTCP event type */
	__u8 differs; /* CORR_F_* the hook record and the event disagree on (see below) */
	bool have_hook, have_send, have_nl;
	bool no_listener;	  /* its sender found nobody subscribed: nothing was built */
	__u64 bcast;		  /* valid if have_send: the broadcast id (0: unknown) */
	struct evlat_record hook; /* valid if have_hook */
	__u64 send_ns;		  /* valid if have_send: ktime of the send-path record */
	struct nl_event nl;	  /* valid if have_nl */
};

typedef void (*corr_cb)(void *ctx, const struct corr_result *res);

#define CORR_DEFAULT_CAPACITY	EVLAT_DEFAULT_PENDING
#define CORR_MAX_CAPACITY	(1u << 24)
#define CORR_DEFAULT_TIMEOUT_NS (EVLAT_DEFAULT_TIMEOUT_MS * 1000000ULL)

/* A zero capacity or timeout_ns takes the default; cb may be NULL (stats only). */
struct corr_opts {
	unsigned int capacity; /* max pending entries (hook and netlink sides together) */
	__u64 timeout_ns;      /* an entry pending for longer than this expires */
	__u64 send_wait_ns;    /* a matched pair waits this long for its send record */
	bool no_nl;	       /* no netlink side (--observe): hook + send is a whole event */
	corr_cb cb;
	void *ctx;
};

struct corr_stats {
	unsigned long long delivered, not_delivered, unmatched_nl, evicted, sent;
	unsigned long long orphan_send; /* send records with no pending hook record */
	unsigned long long loose;	/* pairs made with one identifying field differing */
	unsigned int pending, pending_max;
};

struct correlator;

/* NULL with errno set (EINVAL: capacity above CORR_MAX_CAPACITY; ENOMEM) on failure. */
struct correlator *corr_new(const struct corr_opts *opts);
void corr_free(struct correlator *c);

/*
 * Feed a ring-buffer record: EVLAT_K_SEND records attach to the hook record
 * they name (msg.hook_ns, when the BPF side knew it), else to the oldest
 * pending hook record of the same netns, event and token that has none;
 * EVLAT_K_NOLISTENER records end the hook record they name (no_listener);
 * other kinds are ignored here. @now_ns is
 * CLOCK_MONOTONIC: a hook record waiting for its event ages from then.
 */
void corr_add_record(struct correlator *c, const struct evlat_record *r, __u64 now_ns);
/*
 * Feed a netlink event received in namespace @netns (inode). ev->recv_ns must
 * be set: it is the entry's age, and a hook record younger than it cannot
 * have produced it (both CLOCK_MONOTONIC), so the two never match.
 */
void corr_add_nl(struct correlator *c, const struct nl_event *ev, __u32 netns);
/*
 * Report the matched pairs that waited send_wait_ns for a send record (as
 * delivered), then as expired every entry pending for more than the timeout
 * at @now_ns.
 */
void corr_expire(struct correlator *c, __u64 now_ns);
/* Report everything still pending (at exit). */
void corr_flush(struct correlator *c);
void corr_get_stats(const struct correlator *c, struct corr_stats *st);

#endif
