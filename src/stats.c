// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static struct event_stats *get(struct stats *s, unsigned int type)
{
	struct event_stats *es = s->ev[type];

	if (es)
		return es;
	es = calloc(1, sizeof(*es));
	if (!es)
		return NULL;
	for (int i = 0; i < STAGE_MAX; i++)
		hist_reset(&es->stage[i]);
	s->ev[type] = es;
	return es;
}

int stats_add_count(struct stats *s, unsigned int type, enum evlat_status status,
		    unsigned long long n)
{
	struct event_stats *es;

	if (!n || type >= EVLAT_EVENT_TYPES)
		return 0;
	es = get(s, type);
	if (!es)
		return -ENOMEM;
	es->status[status] += n;
	return 0;
}

int stats_add(struct stats *s, const struct evlat_event *ev)
{
	struct event_stats *es = get(s, ev->type);

	if (!es)
		return -ENOMEM;
	es->status[ev->status]++;
	for (int i = 0; i < STAGE_MAX; i++)
		if (ev->have_stage[i])
			hist_add(&es->stage[i], ev->stage_ns[i]);
	return 0;
}

void stats_reset(struct stats *s, __u64 now_ns)
{
	for (int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		if (!s->ev[t])
			continue;
		memset(s->ev[t]->status, 0, sizeof(s->ev[t]->status));
		for (int i = 0; i < STAGE_MAX; i++)
			hist_reset(&s->ev[t]->stage[i]);
	}
	s->start_ns = now_ns;
}

void stats_free(struct stats *s)
{
	for (int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		free(s->ev[t]);
		s->ev[t] = NULL;
	}
}

unsigned long long stats_total(const struct event_stats *es)
{
	unsigned long long n = 0;

	for (int i = 0; i < ST_MAX; i++)
		n += es->status[i];
	return n;
}
