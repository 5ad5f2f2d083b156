// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

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
	fprintf(f, " %9llu %9llu %9llu", es->status[ST_DELIVERED], es->status[ST_NOT_DELIVERED],
		es->status[ST_UNMATCHED] + es->status[ST_EVICTED]);
	put_value(f, h, h->min);
	put_value(f, h, hist_quantile(h, 0.5));
	put_value(f, h, hist_quantile(h, 0.9));
	put_value(f, h, hist_quantile(h, 0.99));
	put_value(f, h, h->max);
	fputc('\n', f);
}

void text_summary(FILE *f, const struct stats *s, const struct run_info *info)
{
	double secs = info->duration_ns / 1e9;

	fprintf(f, "\n%-18s %7s", "EVENT", "COUNT");
	if (info->genl_only)
		fprintf(f, "\n");
	else
		fprintf(f, " %9s %9s %9s %9s %9s %9s %9s %9s  (latency, %s)\n", "DELIVERED",
			"NOT_DELIV", "UNMATCHED", "MIN", "P50", "P90", "P99", "MAX",
			units_label(env.units));
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (s->ev[t] && stats_total(s->ev[t]))
			summary_row(f, t, s->ev[t], info->genl_only);
	fprintf(f, "\nnetlink: %llu messages in %.1f s, %llu overruns (ENOBUFS), %llu errors\n",
		info->nl_messages, secs, info->nl_overruns, info->nl_errors);
	if (!info->genl_only)
		fprintf(f, "kernel: %llu records, %llu ring buffer drops\n", info->records,
			info->ringbuf_drops);
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
