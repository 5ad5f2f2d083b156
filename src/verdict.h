/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A pass/fail verdict for CI: thresholds given on the command line, judged
 * at exit on the report's total view (every result of the run).
 *
 *   --fail-on-loss[=STATUS,...]        any result with these statuses fails
 *                                      (default: every loss status)
 *   --max-latency EVENT:STAT=DURATION  a latency bound (STAT p50, p90, p99
 *                                      or max; EVENT a name, number or all)
 *   --expect-events N | EVENT=N[+]     at least N events in all; exactly N
 *                                      (N+: at least N) of one type
 */
#ifndef EVLAT_VERDICT_H
#define EVLAT_VERDICT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "report.h"

#define VERDICT_RULES	 32
#define VERDICT_ALL	 (-1) /* every event type */
#define VERDICT_TEXT_MAX 64

enum verdict_kind {
	V_LOSS,	   /* statuses that must not occur */
	V_LATENCY, /* a statistic of the total latency must stay within a bound */
	V_EXPECT,  /* how many events of a type (or in all) must occur */
};

enum verdict_stat {
	V_P50,
	V_P90,
	V_P99,
	V_MAX,
};

struct verdict_rule {
	enum verdict_kind kind;
	int type;		     /* event type or VERDICT_ALL */
	unsigned int statuses;	     /* V_LOSS: bit per enum evlat_status */
	enum verdict_stat stat;	     /* V_LATENCY */
	__u64 limit;		     /* V_LATENCY: ns; V_EXPECT: count */
	bool at_least;		     /* V_EXPECT: N or more, else exactly N */
	char text[VERDICT_TEXT_MAX]; /* the option as the user gave it, for messages */
};

struct verdict_cfg {
	struct verdict_rule rule[VERDICT_RULES];
	int n;
};

/* One judged rule: what was measured, and whether it passed */
struct verdict_check {
	const struct verdict_rule *rule;
	bool pass;
	bool have_value;	  /* V_LATENCY without a sample: nothing to judge */
	unsigned long long value; /* lost / count / ns */
};

struct verdict {
	struct verdict_check check[VERDICT_RULES];
	int n;
	bool pass;
};

/*
 * Add one option's rule to @cfg. @arg may be NULL for --fail-on-loss.
 * Returns 0, -EINVAL (bad syntax: @err says why) or -E2BIG (too many rules).
 */
int verdict_add_loss(struct verdict_cfg *cfg, const char *arg, char *err, size_t size);
int verdict_add_latency(struct verdict_cfg *cfg, const char *arg, char *err, size_t size);
int verdict_add_expect(struct verdict_cfg *cfg, const char *arg, char *err, size_t size);

/*
 * Judge every rule of @cfg on @total. @nl_overruns: with --genl-only no
 * event has a loss status, and a netlink overrun is the only loss seen: it
 * fails a --fail-on-loss that includes lost_overrun.
 */
void verdict_eval(const struct verdict_cfg *cfg, const struct report_view *total,
		  unsigned long long nl_overruns, bool genl_only, struct verdict *v);

/* One line per failed check on @f ("mptcp-evlat: verdict: ..."), then a closing line. */
void verdict_print(FILE *f, const struct verdict *v);

#endif
