/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --trace TOKEN|all: one connection's life in order. Everything the report
 * path reports for a connection (report.c feeds it: its kernel events with
 * their stages and statuses, each consumer's read of each event, the path
 * manager's commands with their triggers and effects) is kept per (netns,
 * token) and printed once the connection is over (CLOSED, then twice the
 * timeout for the late deliveries and effects) or at exit, sorted by time,
 * relative to its CREATED; then what is wrong with it:
 *
 *   unread      an event a consumer lost or never read
 *   no_effect   a command whose effect did not come
 *   order       an event before CREATED or after CLOSED (the kernel sends none)
 *   duplicate   an event the kernel sent twice
 *   lost        an event lost on its way (a lost_* or not_delivered status)
 *
 * As text for people, or the same lines as JSON objects ("type":"trace").
 */
#ifndef EVLAT_TRACE_H
#define EVLAT_TRACE_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "consumers.h"
#include "event.h"
#include "pm.h"

struct trace_opts {
	bool all; /* every connection, else only token */
	__u32 token;
	__u64 linger_ns;  /* how long after CLOSED a connection is printed */
	unsigned int max; /* connections kept at most: the oldest is printed to make room */
	bool json;
	FILE *out;
};

struct trace;

/* NULL with errno set */
struct trace *trace_new(const struct trace_opts *o);
void trace_free(struct trace *t);

void trace_event(struct trace *t, const struct evlat_event *ev);
void trace_delivery(struct trace *t, const struct delivery *d);
void trace_command(struct trace *t, const struct pm_command *c);

/* Print the connections over by @now_ns (CLOCK_MONOTONIC) */
void trace_expire(struct trace *t, __u64 now_ns);
/* Print every connection still kept */
void trace_flush(struct trace *t);

#endif
