// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "output.h"

void text_timestamp(FILE *f)
{
	char buf[16];
	time_t t = time(NULL);
	struct tm tm;

	strftime(buf, sizeof(buf), "%H:%M:%S", localtime_r(&t, &tm));
	fprintf(f, "%-8s\n", buf);
}

void text_histograms(FILE *f, const struct stats *s)
{
	char lbl[16];

	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		const struct event_stats *es = s->ev[t];

		if (!es)
			continue;
		for (int i = 0; i < STAGE_MAX; i++) {
			if (!es->stage[i].count)
				continue;
			fprintf(f, "\nevent = %s, stage = %s\n", event_label(t, lbl, sizeof(lbl)),
				stage_name(i));
			hist_print_log2(f, &es->stage[i], units_label(env.units),
					units_div(env.units));
		}
	}
}

static void put_value(FILE *f, const struct hist *h, __u64 ns)
{
	double div = (double)units_div(env.units);

	if (!h->count)
		fprintf(f, " %9s", "-");
	else
		fprintf(f, " %9.1f", (double)ns / div);
}

static void summary_row(FILE *f, unsigned int type, const struct event_stats *es, bool genl)
{
	const struct hist *h = &es->stage[STAGE_TOTAL];
	char lbl[16];

	fprintf(f, "%-18s %7llu", event_label(type, lbl, sizeof(lbl)), stats_total(es));
	if (genl) {
		fprintf(f, "\n");
		return;
	}
	fprintf(f, " %9llu %9llu %9llu", es->status[ST_DELIVERED],
		es->status[ST_LOST_ALLOC_ATOMIC] + es->status[ST_LOST_ALLOC_OTHER] +
			es->status[ST_LOST_OVERRUN] + es->status[ST_LOST_RINGBUF] +
			es->status[ST_NOT_DELIVERED],
		es->status[ST_UNMATCHED] + es->status[ST_EVICTED]);
	put_value(f, h, h->min);
	put_value(f, h, hist_quantile(h, 0.5));
	put_value(f, h, hist_quantile(h, 0.9));
	put_value(f, h, hist_quantile(h, 0.99));
	put_value(f, h, h->max);
	fputc('\n', f);
}

static const enum evlat_status loss_cols[] = {
	ST_LOST_ALLOC_ATOMIC, ST_LOST_ALLOC_OTHER, ST_LOST_OVERRUN, ST_LOST_RINGBUF,
	ST_NOT_DELIVERED,     ST_NO_LISTENER,	   ST_DUPLICATE,    ST_CLOSE_WITHOUT_EVENT,
};
#define NLOSS (sizeof(loss_cols) / sizeof(loss_cols[0]))

static unsigned long long lost(const struct event_stats *es)
{
	return es->status[ST_LOST_ALLOC_ATOMIC] + es->status[ST_LOST_ALLOC_OTHER] +
	       es->status[ST_LOST_OVERRUN] + es->status[ST_LOST_RINGBUF] +
	       es->status[ST_NOT_DELIVERED];
}

/* Per event type, what did not arrive and why; rows with losses stand out. */
static void loss_table(FILE *f, const struct stats *s)
{
	bool tty = isatty(fileno(f)), any = false;
	char lbl[16];

	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		const struct event_stats *es = s->ev[t];
		unsigned long long n = 0;

		for (size_t c = 0; es && c < NLOSS; c++)
			n += es->status[loss_cols[c]];
		if (!n)
			continue;
		if (!any) {
			fprintf(f, "\n%-18s", "EVENT");
			for (size_t c = 0; c < NLOSS; c++)
				fprintf(f, " %s", status_name(loss_cols[c]));
			fputc('\n', f);
			any = true;
		}
		fprintf(f, "%s%-18s", tty && lost(es) ? "\033[1;31m" : "",
			event_label(t, lbl, sizeof(lbl)));
		for (size_t c = 0; c < NLOSS; c++)
			fprintf(f, " %*llu", (int)strlen(status_name(loss_cols[c])),
				es->status[loss_cols[c]]);
		fprintf(f, "%s%s\n", lost(es) ? "  <-- LOST" : "",
			tty && lost(es) ? "\033[0m" : "");
	}
	if (!any)
		fprintf(f, "\nlosses: none\n");
}

void text_summary(FILE *f, const struct stats *s, const struct run_info *info)
{
	double secs = info->duration_ns / 1e9;

	fprintf(f, "\n%-18s %7s", "EVENT", "COUNT");
	if (info->genl_only)
		fprintf(f, "\n");
	else
		fprintf(f, " %9s %9s %9s %9s %9s %9s %9s %9s  (latency, %s)\n", "DELIVERED", "LOST",
			"UNMATCHED", "MIN", "P50", "P90", "P99", "MAX", units_label(env.units));
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (s->ev[t] && stats_total(s->ev[t]))
			summary_row(f, t, s->ev[t], info->genl_only);
	if (!info->genl_only)
		loss_table(f, s);
	fprintf(f,
		"\ninterval: %.1f s; since start: netlink %llu messages, %llu overruns (ENOBUFS), "
		"%llu errors\n",
		secs, info->nl_messages, info->nl_overruns, info->nl_errors);
	if (!info->genl_only)
		fprintf(f, "kernel: %llu records, %llu ring buffer drops (since start)\n",
			info->records, info->ringbuf_drops);
}

void text_event(FILE *f, const struct evlat_event *ev)
{
	char lbl[16], a[INET6_ADDRSTRLEN];

	fprintf(f, "%-16s %-13s", event_label(ev->type, lbl, sizeof(lbl)), status_name(ev->status));
	if (ev->have_token)
		fprintf(f, " token=0x%08x", ev->token);
	fprintf(f, " netns=%u", ev->netns);
	if (ev->have_saddr)
		fprintf(f, " saddr=%s", event_addr(ev, ev->saddr, a, sizeof(a)));
	if (ev->have_daddr)
		fprintf(f, " daddr=%s", event_addr(ev, ev->daddr, a, sizeof(a)));
	if (ev->sport)
		fprintf(f, " sport=%u", ev->sport);
	if (ev->dport)
		fprintf(f, " dport=%u", ev->dport);
	for (int i = 0; i < STAGE_MAX; i++)
		if (ev->have_stage[i])
			fprintf(f, " %s=%" PRIu64 "ns", stage_name(i), (uint64_t)ev->stage_ns[i]);
	fputc('\n', f);
}
