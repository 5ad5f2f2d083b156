/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one path from a classified result to every output.
 *
 *   correlator / close record / --genl-only event
 *        -> event.c (classify into struct evlat_event)
 *        -> report_event(): filter (-e, -t), duplicates, one accumulator
 *           with two views (interval: reset every -i; total: never reset),
 *           the per-event line (JSON, or text with -v)
 *        -> renderers of the accumulator: report_summary() (terminal or
 *           JSON summary of the interval view), report_prometheus() (the
 *           total view, for --prometheus and --textfile).
 *
 * Adding a status is one enum entry (event.h) and one name; every renderer
 * walks the statuses. Run-wide figures (netlink, ring buffer, probes) are
 * read from their owners into a struct run_info when rendering: they are
 * counted once, where they happen.
 */
#ifndef EVLAT_REPORT_H
#define EVLAT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "consumers.h"
#include "dup.h"
#include "event.h"
#include "evlat_record.h"
#include "hist.h"

struct corr_stats;
struct probe_set;
struct verdict;

enum units {
	UNITS_NSECS,
	UNITS_USECS,
	UNITS_MSECS,
};

/* -e / -t: which results are reported at all */
struct report_filter {
	bool event_set;
	bool events[EVLAT_EVENT_TYPES];
	bool token_set;
	__u32 token;
};

struct report_cfg {
	struct report_filter filter;
	enum units units; /* terminal histograms and table */
	bool timestamp;	  /* -T: HH:MM:SS before each terminal summary */
	bool json;	  /* JSON lines instead of the terminal output */
	bool verbose;	  /* one text line per event on stderr */
};

/* One event type's counts and latencies */
struct report_type {
	unsigned long long status[ST_MAX];
	struct hist stage[STAGE_MAX];
};

/* One consumer's deliveries */
struct report_consumer {
	const struct consumer *c;
	unsigned long long status[DS_MAX];
	struct hist stage[DST_MAX];
};

/* Everything reported since start_ns; a type or consumer is allocated when first seen */
struct report_view {
	struct report_type *ev[EVLAT_EVENT_TYPES];
	struct report_consumer **cons; /* in order of appearance */
	unsigned int ncons, capcons;
	__u64 start_ns; /* CLOCK_MONOTONIC */
};

/* Run-wide figures, read from their owners (genl.c, tracer.c, correlate.c) when rendering */
struct run_info {
	__u64 now_ns;
	bool genl_only;
	unsigned long long records;	  /* ring-buffer records read */
	unsigned long long ringbuf_drops; /* records the BPF side could not reserve */
	unsigned long long probe_misses;  /* probe calls the kernel skipped (tracer_misses()) */
	unsigned long long nl_messages, nl_overruns, nl_errors;
	const struct corr_stats *corr;	/* NULL with --genl-only */
	const struct probe_set *probes; /* NULL with --genl-only */
	const char *kernel;		/* uname -r, for build_info */
	bool consumers;			/* the consumer view is on (its probes attached) */
	bool observe;			/* --observe: no socket of ours */
	const struct consumers_stats *cstats;
	const struct verdict *verdict; /* at exit, when thresholds were given */
};

struct report {
	struct report_cfg cfg;
	FILE *out;		     /* JSON lines and summaries (stdout); NULL: none */
	struct report_view interval; /* terminal and JSON summaries: reset every -i */
	struct report_view total;    /* Prometheus: counters never go down */
	struct dup_table dups;
	int err; /* the first -ENOMEM: a type could not be counted */
};

void report_init(struct report *r, const struct report_cfg *cfg, FILE *out, __u64 now_ns);
void report_free(struct report *r);

/* Whether results of @type and @token pass -e / -t */
bool report_wants(const struct report *r, unsigned int type, __u32 token);

/* A classified result: filtered, checked for a duplicate (may change ev->status), counted, shown. */
void report_event(struct report *r, struct evlat_event *ev);
/*
 * @n results of @type with @status and no event of their own (ring-buffer
 * drops): counted in both views unless -t is given (they have no token).
 */
void report_count(struct report *r, unsigned int type, enum evlat_status status,
		  unsigned long long n);

/* One consumer's delivery of one event: filtered, counted, shown (JSON). */
void report_delivery(struct report *r, const struct delivery *d);

/* The interval view as the terminal or JSON summary (cfg.json) on r->out. */
void report_summary(const struct report *r, const struct run_info *info);
/* Start a new interval at @now_ns (every -i). */
void report_reset_interval(struct report *r, __u64 now_ns);

/* The total view in Prometheus' text format: 0 or -EIO */
int report_prometheus(const struct report *r, const struct run_info *info, FILE *f);

/* Results of every status of one type */
unsigned long long report_type_total(const struct report_type *t);

#endif
