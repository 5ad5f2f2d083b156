// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "names.h"
#include "output.h"
#include "probes.h"

static __u64 units_div(enum units u)
{
	return u == UNITS_MSECS ? 1000000 : u == UNITS_USECS ? 1000 : 1;
}

static const char *units_label(enum units u)
{
	return u == UNITS_MSECS ? "msecs" : u == UNITS_USECS ? "usecs" : "nsecs";
}

void text_timestamp(FILE *f)
{
	char buf[16];
	time_t t = time(NULL);
	struct tm tm;

	strftime(buf, sizeof(buf), "%H:%M:%S", localtime_r(&t, &tm));
	fprintf(f, "%-8s\n", buf);
}

/* Per consumer: queued -> read, the time the message waited in its socket */
static void consumer_histograms(FILE *f, const struct report_view *v, enum units u)
{
	for (unsigned int i = 0; i < v->ncons; i++) {
		const struct report_consumer *rc = v->cons[i];

		if (!rc->stage[DST_READ].count)
			continue;
		fprintf(f, "\nconsumer = %s%s (pid %u, inode %u), stage = queued->read\n",
			rc->c->comm[0] ? rc->c->comm : "?", rc->c->ours ? " (ours)" : "",
			rc->c->pid, rc->c->ino);
		hist_print_log2(f, &rc->stage[DST_READ], units_label(u), units_div(u));
	}
}

/* Per command type, every path manager together: how long after its trigger's read it came */
static void command_histograms(FILE *f, const struct report_view *v, enum units u)
{
	for (unsigned int cmd = 0; cmd < EVLAT_CMD_TYPES; cmd++) {
		struct hist h;

		hist_reset(&h);
		for (unsigned int i = 0; i < v->npm; i++)
			if (v->pm[i]->cmd == cmd)
				hist_merge(&h, &v->pm[i]->stage[PMS_REACTION]);
		if (!h.count)
			continue;
		fprintf(f, "\ncommand = %s, stage = reaction (trigger read -> command)\n",
			pm_cmd_name(cmd) ? pm_cmd_name(cmd) : "?");
		hist_print_log2(f, &h, units_label(u), units_div(u));
	}
}

void text_histograms(FILE *f, const struct report_view *v, enum units u)
{
	char lbl[16];

	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		const struct report_type *es = v->ev[t];

		if (!es)
			continue;
		for (int i = 0; i < STAGE_MAX; i++) {
			if (!es->stage[i].count)
				continue;
			fprintf(f, "\nevent = %s, stage = %s\n", event_label(t, lbl, sizeof(lbl)),
				stage_name(i));
			hist_print_log2(f, &es->stage[i], units_label(u), units_div(u));
		}
	}
	consumer_histograms(f, v, u);
	command_histograms(f, v, u);
}

static void put_value(FILE *f, const struct hist *h, __u64 ns, enum units u)
{
	double div = (double)units_div(u);

	if (!h->count)
		fprintf(f, " %9s", "-");
	else
		fprintf(f, " %9.1f", (double)ns / div);
}

/* Results of @es in one class of statuses */
static unsigned long long class_sum(const struct report_type *es, enum status_class c)
{
	unsigned long long n = 0;

	for (int st = 0; st < ST_MAX; st++)
		if (status_class(st) == c)
			n += es->status[st];
	return n;
}

static void summary_row(FILE *f, unsigned int type, const struct report_type *es, bool genl,
			enum units u)
{
	const struct hist *h = &es->stage[STAGE_TOTAL];
	char lbl[16];

	fprintf(f, "%-18s %7llu", event_label(type, lbl, sizeof(lbl)), report_type_total(es));
	if (genl) {
		fprintf(f, "\n");
		return;
	}
	fprintf(f, " %9llu %9llu %9llu", es->status[ST_DELIVERED], class_sum(es, SC_LOST),
		class_sum(es, SC_UNMATCHED));
	put_value(f, h, h->min, u);
	put_value(f, h, hist_quantile(h, 0.5), u);
	put_value(f, h, hist_quantile(h, 0.9), u);
	put_value(f, h, hist_quantile(h, 0.99), u);
	put_value(f, h, h->max, u);
	fputc('\n', f);
}

/* The loss table's columns: every status that is a loss or worth a note, in enum order */
static bool loss_col(int st)
{
	return status_class(st) == SC_LOST || status_class(st) == SC_NOTE;
}

static void loss_header(FILE *f)
{
	fprintf(f, "\n%-18s", "EVENT");
	for (int st = 0; st < ST_MAX; st++)
		if (loss_col(st))
			fprintf(f, " %s", status_name(st));
	fputc('\n', f);
}

static void loss_row(FILE *f, unsigned int type, const struct report_type *es, bool tty)
{
	bool lost = class_sum(es, SC_LOST) > 0;
	char lbl[16];

	fprintf(f, "%s%-18s", tty && lost ? "\033[1;31m" : "", event_label(type, lbl, sizeof(lbl)));
	for (int st = 0; st < ST_MAX; st++)
		if (loss_col(st))
			fprintf(f, " %*llu", (int)strlen(status_name(st)), es->status[st]);
	fprintf(f, "%s%s\n", lost ? "  <-- LOST" : "", tty && lost ? "\033[0m" : "");
}

/* Per event type, what did not arrive and why; rows with losses stand out. */
static void loss_table(FILE *f, const struct report_view *v)
{
	bool tty = isatty(fileno(f)), any = false;

	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		const struct report_type *es = v->ev[t];

		if (!es || !(class_sum(es, SC_LOST) + class_sum(es, SC_NOTE)))
			continue;
		if (!any)
			loss_header(f);
		any = true;
		loss_row(f, t, es, tty);
	}
	if (!any)
		fprintf(f, "\nlosses: none\n");
}

/* "mptcpd" and whether it is ours, for the table */
static const char *consumer_label(const struct consumer *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", c->comm[0] ? c->comm : "?", c->ours ? " (ours)" : "");
	return buf;
}

/* Per consumer: what it got, lost and left, and how long its socket held each message */
static void consumer_table(FILE *f, const struct report_view *v, enum units u)
{
	char lbl[40];

	if (!v->ncons)
		return;
	fprintf(f,
		"\n%-7s %-22s %10s %7s %7s %7s %7s %9s %9s %9s %9s  (queued->read, "
		"hook->read; %s)\n",
		"PID", "CONSUMER", "INODE", "READ", "LOST", "UNREAD", "ENOBUFS", "Q.P50", "Q.P99",
		"Q.MAX", "H.P99", units_label(u));
	for (unsigned int i = 0; i < v->ncons; i++) {
		const struct report_consumer *rc = v->cons[i];
		const struct hist *q = &rc->stage[DST_READ], *h = &rc->stage[DST_TOTAL];

		fprintf(f, "%-7u %-22s %10u %7llu %7llu %7llu %7llu", rc->c->pid,
			consumer_label(rc->c, lbl, sizeof(lbl)), rc->c->ino, rc->status[DS_READ],
			rc->status[DS_LOST_OVERRUN], rc->status[DS_UNREAD], rc->c->enobufs);
		put_value(f, q, hist_quantile(q, 0.5), u);
		put_value(f, q, hist_quantile(q, 0.99), u);
		put_value(f, q, q->max, u);
		put_value(f, h, hist_quantile(h, 0.99), u);
		fprintf(f, "%s%s\n", rc->status[DS_LOST_OVERRUN] ? "  <-- LOST" : "",
			rc->c->gone ? "  (closed)" : "");
	}
}

/* Per path manager and command: results, effects, reaction and effect latencies */
static void command_table(FILE *f, const struct report_view *v, enum units u)
{
	if (!v->npm)
		return;
	fprintf(f,
		"\n%-16s %-16s %6s %5s %5s %5s %6s %5s %6s %9s %9s %9s %9s  (reaction, effect; "
		"%s)\n",
		"COMMAND", "COMM", "COUNT", "OK", "ERROR", "DUMP", "EFFECT", "NONE", "NOPEER",
		"R.P50", "R.P99", "R.MAX", "E.P50", units_label(u));
	for (unsigned int i = 0; i < v->npm; i++) {
		const struct report_pm *p = v->pm[i];
		const struct hist *r = &p->stage[PMS_REACTION], *e = &p->stage[PMS_EFFECT];

		fprintf(f, "%-16s %-16s %6llu %5llu %5llu %5llu %6llu %5llu %6llu",
			pm_cmd_name(p->cmd) ? pm_cmd_name(p->cmd) : "?", p->comm[0] ? p->comm : "?",
			p->result[PMR_OK] + p->result[PMR_ERROR] + p->result[PMR_DUMP],
			p->result[PMR_OK], p->result[PMR_ERROR], p->result[PMR_DUMP],
			p->effect[PME_SEEN], p->effect[PME_NONE], p->effect[PME_NO_PEER]);
		put_value(f, r, hist_quantile(r, 0.5), u);
		put_value(f, r, hist_quantile(r, 0.99), u);
		put_value(f, r, r->max, u);
		put_value(f, e, hist_quantile(e, 0.5), u);
		fprintf(f, "%s\n", p->effect[PME_NONE] ? "  <-- NO EFFECT" : "");
	}
}

void text_summary(FILE *f, const struct report_view *v, const struct run_info *info, enum units u)
{
	double secs = (info->now_ns - v->start_ns) / 1e9;

	fprintf(f, "\n%-18s %7s", "EVENT", "COUNT");
	if (info->genl_only)
		fprintf(f, "\n");
	else
		fprintf(f, " %9s %9s %9s %9s %9s %9s %9s %9s  (latency, %s)\n", "DELIVERED", "LOST",
			"UNMATCHED", "MIN", "P50", "P90", "P99", "MAX", units_label(u));
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (v->ev[t] && report_type_total(v->ev[t]))
			summary_row(f, t, v->ev[t], info->genl_only, u);
	if (!info->genl_only)
		loss_table(f, v);
	if (info->consumers)
		consumer_table(f, v, u);
	if (info->pm)
		command_table(f, v, u);
	fprintf(f,
		"\ninterval: %.1f s; since start: netlink %llu messages, %llu overruns (ENOBUFS), "
		"%llu errors\n",
		secs, info->nl_messages, info->nl_overruns, info->nl_errors);
	if (!info->genl_only)
		fprintf(f,
			"kernel: %llu records, %llu ring buffer drops, %llu probe misses (since "
			"start)\n",
			info->records, info->ringbuf_drops, info->probe_misses);
}

void text_delivery(FILE *f, const struct delivery *d)
{
	char lbl[16];

	fprintf(f, "%-16s %-13s", event_label(d->event, lbl, sizeof(lbl)),
		delivery_status_name(d->status));
	if (d->have_token)
		fprintf(f, " token=0x%08x", d->token);
	fprintf(f, " netns=%u consumer=%s pid=%u ino=%u", d->netns,
		d->c->comm[0] ? d->c->comm : "?", d->c->pid, d->c->ino);
	for (int i = 0; i < DST_MAX; i++)
		if (d->have_stage[i])
			fprintf(f, " %s=%" PRIu64 "ns", delivery_stage_name(i),
				(uint64_t)d->stage_ns[i]);
	fputc('\n', f);
}

void text_command(FILE *f, const struct pm_command *c)
{
	char lbl[16];

	fprintf(f, "%-16s %-13s", pm_cmd_name(c->cmd) ? pm_cmd_name(c->cmd) : "?",
		pm_result_name(c->result));
	if (c->have_token)
		fprintf(f, " token=0x%08x", c->token);
	fprintf(f, " netns=%u comm=%s pid=%u ino=%u", c->netns, c->comm[0] ? c->comm : "?", c->pid,
		c->ino);
	if (c->result == PMR_ERROR)
		fprintf(f, " error=%d", c->err);
	if (c->have_trigger)
		fprintf(f, " trigger=%s", event_label(c->trigger_event, lbl, sizeof(lbl)));
	else if (c->trigger_lost)
		fputs(" trigger=lost", f);
	for (int i = 0; i < PMS_MAX; i++)
		if (c->have_stage[i])
			fprintf(f, " %s=%" PRIu64 "ns", pm_stage_name(i), (uint64_t)c->stage_ns[i]);
	fprintf(f, " effect=%s", pm_effect_name(c->effect));
	if (c->effect == PME_SEEN)
		fprintf(f, ":%s%s%s", event_label(c->effect_event, lbl, sizeof(lbl)),
			c->effect_peer ? ",peer" : "", c->effect_inside ? ",inside" : "");
	fputc('\n', f);
}

void text_event(FILE *f, const struct evlat_event *ev)
{
	char lbl[16], a[INET6_ADDRSTRLEN];

	fprintf(f, "%-16s %-13s", event_label(ev->type, lbl, sizeof(lbl)), status_name(ev->status));
	if (ev->have_token)
		fprintf(f, " token=0x%08x", ev->token);
	fprintf(f, " netns=%u", ev->netns);
	if (ev->have_saddr)
		fprintf(f, " saddr=%s", addr_str(event_af(ev), ev->saddr, a, sizeof(a)));
	if (ev->have_daddr)
		fprintf(f, " daddr=%s", addr_str(event_af(ev), ev->daddr, a, sizeof(a)));
	if (ev->sport)
		fprintf(f, " sport=%u", ev->sport);
	if (ev->dport)
		fprintf(f, " dport=%u", ev->dport);
	if (ev->have_error)
		fprintf(f, " error=%u", ev->error);
	if (ev->have_reset)
		fprintf(f, " reset_reason=%u reset_flags=%#x", ev->reset_reason, ev->reset_flags);
	for (int i = 0; i < STAGE_MAX; i++)
		if (ev->have_stage[i])
			fprintf(f, " %s=%" PRIu64 "ns", stage_name(i), (uint64_t)ev->stage_ns[i]);
	fputc('\n', f);
}
