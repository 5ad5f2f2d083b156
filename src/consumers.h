/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The consumers of mptcp_pm_events: every socket subscribed to the group,
 * seen from the kernel (bpf/evlat.bpf.c's netlink-side probes), and what
 * became of each event message for each of them.
 *
 *   send record      the broadcast begins (its id, its hook's time)
 *   queued record    one socket got the message: a delivery is pending
 *   overrun record   one socket was full: that delivery is lost_overrun
 *   read record      a process took the message off its socket: read
 *   gone record      the socket closed: what it still held is unread
 *
 * A pending delivery is found again by (socket, sk_buff): the sk_buff a
 * socket's queue receives is the one its reader gets back. Each finished
 * delivery goes to the callback (main.c: report_delivery()).
 */
#ifndef EVLAT_CONSUMERS_H
#define EVLAT_CONSUMERS_H

#include <stdbool.h>
#include <linux/types.h>

#include "evlat_record.h"

enum delivery_status {
	DS_READ,	 /* the consumer read it */
	DS_LOST_OVERRUN, /* dropped at the consumer's full socket (netlink_overrun()) */
	DS_UNREAD,	 /* still queued when its socket closed, or when we stopped */
	DS_MAX,
};

enum delivery_stage {
	DST_QUEUE, /* multicast send -> queued into the consumer's socket */
	DST_READ,  /* queued -> read by the consumer */
	DST_TOTAL, /* kernel hook -> read by the consumer */
	DST_MAX,
};

struct consumer {
	__u64 sock; /* the socket's kernel address: its identity while it lives */
	__u32 ino;  /* socket inode, as /proc/net/netlink and /proc/PID/fd show it */
	__u32 portid;
	__u32 netns;
	__u32 pid;		    /* the last process that read from it (tgid); 0: none yet */
	char comm[16];		    /* its comm */
	bool ours;		    /* mptcp-evlat's own socket */
	bool gone;		    /* closed */
	bool no_enobufs;	    /* NETLINK_NO_ENOBUFS: its reader is never told of overruns */
	unsigned long long enobufs; /* reads that returned -ENOBUFS */
	unsigned int seq;	    /* order of appearance */
};

/* One event message and one consumer: a classified result */
struct delivery {
	const struct consumer *c;
	enum delivery_status status;
	__u8 event;
	bool have_token;
	__u32 token;
	__u32 netns;
	__u64 time_ns; /* CLOCK_MONOTONIC: queued (or dropped) */
	__u64 bcast;   /* the broadcast, 0 when unknown */
	bool have_stage[DST_MAX];
	__u64 stage_ns[DST_MAX];
};

typedef void (*delivery_cb)(void *ctx, const struct delivery *d);

/*
 * A read of a connection's event message, whether or not its queueing was
 * recorded (the kernel skips a probe's run now and then: doc/kernel-notes.md,
 * "Probe misses"): the path manager's possible trigger (pm.h).
 */
struct consumer_read {
	const struct consumer *c;
	__u8 event;
	__u32 netns, token;
	__u64 read_ns; /* CLOCK_MONOTONIC */
	__u64 hook_ns; /* its event's kernel hook; 0: unknown */
};

typedef void (*consumer_read_cb)(void *ctx, const struct consumer_read *rd);

struct consumers_opts {
	__u32 own_ino;	       /* our own socket's inode, 0: we have none (--observe) */
	unsigned int capacity; /* pending deliveries at most: past it the oldest is unread */
	delivery_cb cb;
	consumer_read_cb read_cb; /* before the delivery it finishes, if any; may be NULL */
	void *ctx;
};

struct consumers_stats {
	unsigned int consumers, pending, pending_max;
	unsigned long long orphan_reads; /* reads of messages queued before we looked */
	unsigned long long evicted;	 /* pending deliveries pushed out by a full table */
	unsigned long long unseen_reads; /* read, as a later message of their socket was */
	unsigned long long own_late;	 /* queued records of ours that came after the event */
};

struct consumers;

/* NULL with errno set on failure */
struct consumers *consumers_new(const struct consumers_opts *o);
void consumers_free(struct consumers *cs);

/* A ring-buffer record: send, queued, overrun, read and gone ones are used, others ignored. */
void consumers_add_record(struct consumers *cs, const struct evlat_record *r);

/*
 * The event (@type, @token) our own socket returned at @recv_ns: when the
 * oldest message queued into it that we have not received yet is that event,
 * queued before @recv_ns, its queue time (and it is consumed); else 0 (its
 * record lost or late: use the receive time, and consumers_own_owe()).
 */
__u64 consumers_own_queued(struct consumers *cs, __u8 type, __u32 token, __u64 recv_ns);

/*
 * That event was taken without its queued record: the record, if it comes
 * later, is dropped, not taken for a later event's (they would all be one
 * message late). Doc: doc/kernel-notes.md, "Our own delivery time".
 */
void consumers_own_owe(struct consumers *cs, __u8 type, __u32 token, __u64 recv_ns);

/*
 * Whether a message of connection (@netns, @token) queued before @t to a
 * socket with inode @ino, or last read by process @pid, is still pending:
 * neither its read nor a later one of its socket recorded yet (0: no such
 * inode or process).
 */
bool consumers_unread_before(const struct consumers *cs, __u32 pid, __u32 ino, __u32 netns,
			     __u32 token, __u64 t);

/* At exit: every delivery still pending is unread. */
void consumers_flush(struct consumers *cs);

void consumers_get_stats(const struct consumers *cs, struct consumers_stats *st);

#endif
