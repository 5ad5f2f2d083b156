// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one report path and its accumulator (report.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "prom.h"
#include "report.h"

static void view_init(struct report_view *v, __u64 now_ns)
{
	memset(v, 0, sizeof(*v));
	v->start_ns = now_ns;
}

static void view_free(struct report_view *v)
{
	for (int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		free(v->ev[t]);
		v->ev[t] = NULL;
	}
	for (unsigned int i = 0; i < v->ncons; i++)
		free(v->cons[i]);
	free(v->cons);
	v->cons = NULL;
	v->ncons = v->capcons = 0;
}

static struct report_consumer *view_consumer(struct report_view *v, const struct consumer *c)
{
	struct report_consumer *rc;

	for (unsigned int i = v->ncons; i-- > 0;)
		if (v->cons[i]->c == c)
			return v->cons[i];
	if (v->ncons == v->capcons) {
		unsigned int cap = v->capcons ? v->capcons * 2 : 8;
		struct report_consumer **n = realloc(v->cons, cap * sizeof(*n));

		if (!n)
			return NULL;
		v->cons = n;
		v->capcons = cap;
	}
	rc = calloc(1, sizeof(*rc));
	if (!rc)
		return NULL;
	rc->c = c;
	v->cons[v->ncons++] = rc;
	return rc;
}

static int view_add_delivery(struct report_view *v, const struct delivery *d)
{
	struct report_consumer *rc = view_consumer(v, d->c);

	if (!rc)
		return -ENOMEM;
	rc->status[d->status]++;
	for (int i = 0; i < DST_MAX; i++)
		if (d->have_stage[i])
			hist_add(&rc->stage[i], d->stage_ns[i]);
	return 0;
}

static struct report_type *view_type(struct report_view *v, unsigned int type)
{
	struct report_type *t;

	if (type >= EVLAT_EVENT_TYPES)
		return NULL;
	if (v->ev[type])
		return v->ev[type];
	t = calloc(1, sizeof(*t));
	v->ev[type] = t;
	return t;
}

static int view_add(struct report_view *v, const struct evlat_event *ev)
{
	struct report_type *t = view_type(v, ev->type);

	if (!t)
		return -ENOMEM;
	t->status[ev->status]++;
	for (int i = 0; i < STAGE_MAX; i++)
		if (ev->have_stage[i])
			hist_add(&t->stage[i], ev->stage_ns[i]);
	return 0;
}

static int view_add_count(struct report_view *v, unsigned int type, enum evlat_status status,
			  unsigned long long n)
{
	struct report_type *t = view_type(v, type);

	if (!t)
		return -ENOMEM;
	t->status[status] += n;
	return 0;
}

void report_init(struct report *r, const struct report_cfg *cfg, FILE *out, __u64 now_ns)
{
	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	r->out = out;
	view_init(&r->interval, now_ns);
	view_init(&r->total, now_ns);
}

void report_free(struct report *r)
{
	view_free(&r->interval);
	view_free(&r->total);
}

bool report_wants(const struct report *r, unsigned int type, __u32 token)
{
	const struct report_filter *f = &r->cfg.filter;

	if (f->event_set && (type >= EVLAT_EVENT_TYPES || !f->events[type]))
		return false;
	return !f->token_set || token == f->token;
}

static void note_err(struct report *r, int err)
{
	if (err && !r->err)
		r->err = err;
}

void report_event(struct report *r, struct evlat_event *ev)
{
	if ((unsigned int)ev->status >= ST_MAX || !report_wants(r, ev->type, ev->token))
		return;
	if ((ev->status == ST_DELIVERED || ev->status == ST_RECEIVED) && dup_check(&r->dups, ev))
		ev->status = ST_DUPLICATE;
	note_err(r, view_add(&r->interval, ev));
	note_err(r, view_add(&r->total, ev));
	if (r->cfg.json && r->out)
		json_event(r->out, ev);
	else if (r->cfg.verbose)
		text_event(stderr, ev);
}

void report_delivery(struct report *r, const struct delivery *d)
{
	if (!d->c || (unsigned int)d->status >= DS_MAX || !report_wants(r, d->event, d->token))
		return;
	note_err(r, view_add_delivery(&r->interval, d));
	note_err(r, view_add_delivery(&r->total, d));
	if (r->cfg.json && r->out)
		json_delivery(r->out, d);
	else if (r->cfg.verbose)
		text_delivery(stderr, d);
}

void report_count(struct report *r, unsigned int type, enum evlat_status status,
		  unsigned long long n)
{
	if (!n || (unsigned int)status >= ST_MAX || r->cfg.filter.token_set ||
	    !report_wants(r, type, 0))
		return;
	note_err(r, view_add_count(&r->interval, type, status, n));
	note_err(r, view_add_count(&r->total, type, status, n));
}

void report_summary(const struct report *r, const struct run_info *info)
{
	if (!r->out)
		return;
	if (r->cfg.json) {
		json_summary(r->out, &r->interval, info);
	} else {
		if (r->cfg.timestamp)
			text_timestamp(r->out);
		text_histograms(r->out, &r->interval, r->cfg.units);
		text_summary(r->out, &r->interval, info, r->cfg.units);
	}
	fflush(r->out);
}

void report_reset_interval(struct report *r, __u64 now_ns)
{
	struct report_view *v = &r->interval;

	for (int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (v->ev[t])
			memset(v->ev[t], 0, sizeof(*v->ev[t])); /* keep the allocation */
	for (unsigned int i = 0; i < v->ncons; i++) {
		const struct consumer *c = v->cons[i]->c;

		memset(v->cons[i], 0, sizeof(*v->cons[i]));
		v->cons[i]->c = c;
	}
	v->start_ns = now_ns;
}

int report_prometheus(const struct report *r, const struct run_info *info, FILE *f)
{
	return prom_render(f, &r->total, info);
}

unsigned long long report_type_total(const struct report_type *t)
{
	unsigned long long n = 0;

	for (int i = 0; i < ST_MAX; i++)
		n += t->status[i];
	return n;
}
