/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per event type: counts per status and a latency histogram per stage. */
#ifndef EVLAT_STATS_H
#define EVLAT_STATS_H

#include "event.h"
#include "hist.h"
#include "options.h"

struct event_stats {
	unsigned long long status[ST_MAX];
	struct hist stage[STAGE_MAX];
};

struct stats {
	struct event_stats *ev[EVLAT_EVENT_TYPES]; /* allocated on first use */
	__u64 start_ns;				   /* CLOCK_MONOTONIC of the last reset */
};

/* Count @ev; returns 0 or -ENOMEM. */
int stats_add(struct stats *s, const struct evlat_event *ev);
/* Add @n events of @type with @status, without latency (e.g. ring-buffer drops). */
int stats_add_count(struct stats *s, unsigned int type, enum evlat_status status,
		    unsigned long long n);
/* Forget the counts (every -i), keep the allocations. */
void stats_reset(struct stats *s, __u64 now_ns);
void stats_free(struct stats *s);
unsigned long long stats_total(const struct event_stats *es);

#endif
