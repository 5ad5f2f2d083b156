// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JSON lines. Numbers and strings we generate ourselves (names from fixed
 * tables, addresses from inet_ntop) need no escaping; strings from outside
 * (a verdict option as written, a process's comm) go through json_str().
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "consumers.h"
#include "correlate.h"
#include "names.h"
#include "output.h"
#include "probes.h"
#include "verdict.h"

/* A string we did not make (a verdict option, a comm) as a JSON value */
void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static const char *const stage_keys[STAGE_MAX] = {
	[STAGE_TOTAL] = "latency_ns",
	[STAGE_KERNEL] = "kernel_ns",
	[STAGE_DELIVERY] = "delivery_ns",
};

static void json_addrs(FILE *f, const struct evlat_event *ev)
{
	char a[INET6_ADDRSTRLEN];

	if (ev->family)
		fprintf(f, ",\"family\":%u", ev->family);
	if (ev->have_saddr)
		fprintf(f, ",\"saddr\":\"%s\"", addr_str(event_af(ev), ev->saddr, a, sizeof(a)));
	if (ev->have_daddr)
		fprintf(f, ",\"daddr\":\"%s\"", addr_str(event_af(ev), ev->daddr, a, sizeof(a)));
	if (ev->sport)
		fprintf(f, ",\"sport\":%u", ev->sport);
	if (ev->dport)
		fprintf(f, ",\"dport\":%u", ev->dport);
}

/* "differs":["sport"]: the fields our kernel record read otherwise than the message */
static void json_differs(FILE *f, unsigned int differs)
{
	const char *sep = "";

	if (!differs)
		return;
	fputs(",\"differs\":[", f);
	for (unsigned int bit = 1; bit <= differs; bit <<= 1) {
		if (!(differs & bit) || !ident_field_name(bit))
			continue;
		fprintf(f, "%s\"%s\"", sep, ident_field_name(bit));
		sep = ",";
	}
	fputc(']', f);
}

void json_event(FILE *f, const struct evlat_event *ev)
{
	char lbl[16];

	fprintf(f, "{\"type\":\"event\",\"event\":\"%s\",\"event_id\":%u",
		event_label(ev->type, lbl, sizeof(lbl)), ev->type);
	if (ev->have_token)
		fprintf(f, ",\"token\":\"0x%08x\"", ev->token);
	fprintf(f, ",\"netns\":%u", ev->netns);
	json_addrs(f, ev);
	if (ev->have_loc_id)
		fprintf(f, ",\"loc_id\":%u", ev->loc_id);
	if (ev->have_ids)
		fprintf(f, ",\"rem_id\":%u", ev->rem_id);
	if (ev->gfp)
		fprintf(f, ",\"gfp\":\"0x%x\"", ev->gfp);
	if (ev->have_error)
		fprintf(f, ",\"error\":%u", ev->error);
	if (ev->have_reset)
		fprintf(f, ",\"reset_reason\":%u,\"reset_flags\":%u", ev->reset_reason,
			ev->reset_flags);
	if (ev->reason)
		fprintf(f, ",\"reason\":\"%s\"", ev->reason);
	json_differs(f, ev->differs);
	fprintf(f, ",\"time_ns\":%" PRIu64, (uint64_t)ev->time_ns);
	for (int i = 0; i < STAGE_MAX; i++)
		if (ev->have_stage[i])
			fprintf(f, ",\"%s\":%" PRIu64, stage_keys[i], (uint64_t)ev->stage_ns[i]);
	fprintf(f, ",\"status\":\"%s\"}\n", status_name(ev->status));
}

static void json_hist(FILE *f, const char *key, const struct hist *h)
{
	__u64 slots[HIST_LOG2_SLOTS];
	int last = -1;

	fprintf(f, "\"%s\":{\"count\":%" PRIu64, key, (uint64_t)h->count);
	if (h->count)
		fprintf(f,
			",\"min\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p90\":%" PRIu64
			",\"p99\":%" PRIu64 ",\"max\":%" PRIu64 ",\"sum\":%" PRIu64,
			(uint64_t)h->min, (uint64_t)hist_quantile(h, 0.5),
			(uint64_t)hist_quantile(h, 0.9), (uint64_t)hist_quantile(h, 0.99),
			(uint64_t)h->max, (uint64_t)h->sum);
	hist_log2(h, slots);
	for (int i = 0; i < HIST_LOG2_SLOTS; i++)
		if (slots[i])
			last = i;
	fprintf(f, ",\"buckets\":[");
	for (int i = 0; i <= last; i++)
		fprintf(f, "%s{\"lo\":%" PRIu64 ",\"hi\":%" PRIu64 ",\"count\":%" PRIu64 "}",
			i ? "," : "", i ? (uint64_t)1 << i : 0, ((uint64_t)1 << (i + 1)) - 1,
			(uint64_t)slots[i]);
	fprintf(f, "]}");
}

static void json_event_stats(FILE *f, unsigned int type, const struct report_type *es)
{
	char lbl[16];

	fprintf(f, "\"%s\":{\"event_id\":%u,\"count\":%llu", event_label(type, lbl, sizeof(lbl)),
		type, report_type_total(es));
	for (int st = 0; st < ST_MAX; st++)
		fprintf(f, ",\"%s\":%llu", status_name(st), es->status[st]);
	for (int i = 0; i < STAGE_MAX; i++) {
		fputc(',', f);
		json_hist(f, stage_keys[i], &es->stage[i]);
	}
	fputc('}', f);
}

/* "consumer":{...}: who it is */
static void json_consumer_id(FILE *f, const struct consumer *c)
{
	fprintf(f, "\"consumer\":{\"pid\":%u,\"comm\":", c->pid);
	json_str(f, c->comm);
	fprintf(f, ",\"ino\":%u,\"portid\":%u,\"netns\":%u,\"ours\":%s}", c->ino, c->portid,
		c->netns, c->ours ? "true" : "false");
}

void json_delivery(FILE *f, const struct delivery *d)
{
	char lbl[16];

	fprintf(f, "{\"type\":\"delivery\",\"event\":\"%s\",\"event_id\":%u",
		event_label(d->event, lbl, sizeof(lbl)), d->event);
	if (d->have_token)
		fprintf(f, ",\"token\":\"0x%08x\"", d->token);
	fprintf(f, ",\"netns\":%u,", d->netns);
	json_consumer_id(f, d->c);
	fprintf(f, ",\"time_ns\":%" PRIu64, (uint64_t)d->time_ns);
	for (int i = 0; i < DST_MAX; i++)
		if (d->have_stage[i])
			fprintf(f, ",\"%s\":%" PRIu64, delivery_stage_key(i),
				(uint64_t)d->stage_ns[i]);
	fprintf(f, ",\"status\":\"%s\"}\n", delivery_status_name(d->status));
}

static void json_consumers(FILE *f, const struct report_view *v)
{
	fputs(",\"consumers\":[", f);
	for (unsigned int i = 0; i < v->ncons; i++) {
		const struct report_consumer *rc = v->cons[i];
		const struct consumer *c = rc->c;

		fprintf(f, "%s{", i ? "," : "");
		json_consumer_id(f, c);
		fprintf(f, ",\"gone\":%s,\"no_enobufs\":%s,\"enobufs\":%llu",
			c->gone ? "true" : "false", c->no_enobufs ? "true" : "false", c->enobufs);
		for (int st = 0; st < DS_MAX; st++)
			fprintf(f, ",\"%s\":%llu", delivery_status_name(st), rc->status[st]);
		for (int s = 0; s < DST_MAX; s++) {
			fputc(',', f);
			json_hist(f, delivery_stage_key(s), &rc->stage[s]);
		}
		fputc('}', f);
	}
	fputc(']', f);
}

static const char *const pm_stage_keys[PMS_MAX] = {
	[PMS_REACTION] = "reaction_ns",
	[PMS_E2E] = "end_to_end_ns",
	[PMS_EFFECT] = "latency_ns",
};

/* "local":{"family":4,"addr":"10.0.2.2","id":5,"port":0}: an address of a command */
static void json_pm_addr(FILE *f, const char *key, const struct pm_addr *a)
{
	char s[INET_ADDRSTRLEN];
	__u32 v;

	fprintf(f, ",\"%s\":{\"family\":%u", key, a->family == AF_INET6 ? 6 : 4);
	if (a->family == AF_INET6) {
		memcpy(&v, a->addr, sizeof(v));
		fprintf(f, ",\"addr_fold\":\"0x%08x\"", ntohl(v));
	} else {
		fprintf(f, ",\"addr\":\"%s\"", inet_ntop(AF_INET, a->addr, s, sizeof(s)));
	}
	fprintf(f, ",\"id\":%u,\"port\":%u}", a->id, a->port);
}

static void json_effect(FILE *f, const struct pm_command *c)
{
	char lbl[16];

	fprintf(f, ",\"effect\":{\"status\":\"%s\"", pm_effect_name(c->effect));
	if (c->effect == PME_SEEN)
		fprintf(f,
			",\"event\":\"%s\",\"netns\":%u,\"token\":\"0x%08x\",\"time_ns\":%" PRIu64
			",\"latency_ns\":%" PRIu64 ",\"peer\":%s,\"inside\":%s",
			event_label(c->effect_event, lbl, sizeof(lbl)), c->effect_netns,
			c->effect_token, (uint64_t)c->effect_ns, (uint64_t)c->stage_ns[PMS_EFFECT],
			c->effect_peer ? "true" : "false", c->effect_inside ? "true" : "false");
	fputc('}', f);
}

static void json_trigger(FILE *f, const struct pm_command *c)
{
	char lbl[16];

	if (c->trigger_lost)
		fputs(",\"trigger_lost\":true", f);
	if (!c->have_trigger)
		return;
	fprintf(f, ",\"trigger\":{\"event\":\"%s\",\"read_ns\":%" PRIu64,
		event_label(c->trigger_event, lbl, sizeof(lbl)), (uint64_t)c->trigger_read_ns);
	if (c->trigger_hook_ns)
		fprintf(f, ",\"hook_ns\":%" PRIu64, (uint64_t)c->trigger_hook_ns);
	fputc('}', f);
	for (int i = PMS_REACTION; i <= PMS_E2E; i++)
		if (c->have_stage[i])
			fprintf(f, ",\"%s\":%" PRIu64, pm_stage_keys[i], (uint64_t)c->stage_ns[i]);
}

void json_command(FILE *f, const struct pm_command *c)
{
	const char *name = pm_cmd_name(c->cmd);

	fprintf(f, "{\"type\":\"command\",\"command\":\"%s\",\"cmd_id\":%u,\"netns\":%u",
		name ? name : "unknown", c->cmd, c->netns);
	if (c->have_token)
		fprintf(f, ",\"token\":\"0x%08x\"", c->token);
	fprintf(f, ",\"pid\":%u,\"comm\":", c->pid);
	json_str(f, c->comm);
	fprintf(f, ",\"ino\":%u,\"seq\":%u,\"time_ns\":%" PRIu64 ",\"duration_ns\":%" PRIu64,
		c->ino, c->seq, (uint64_t)c->time_ns, (uint64_t)(c->end_ns - c->time_ns));
	fprintf(f, ",\"result\":\"%s\"", pm_result_name(c->result));
	if (c->result == PMR_ERROR)
		fprintf(f, ",\"error\":%d", c->err);
	if (c->local.family)
		json_pm_addr(f, "local", &c->local);
	if (c->have_remote)
		json_pm_addr(f, "remote", &c->remote);
	if (c->addr_flags)
		fprintf(f, ",\"flags\":%u", c->addr_flags);
	json_trigger(f, c);
	json_effect(f, c);
	fputs("}\n", f);
}

static void json_commands(FILE *f, const struct report_view *v)
{
	fputs(",\"commands\":[", f);
	for (unsigned int i = 0; i < v->npm; i++) {
		const struct report_pm *p = v->pm[i];
		const char *name = pm_cmd_name(p->cmd);
		unsigned long long n = 0;

		for (int r = 0; r < PMR_MAX; r++)
			n += p->result[r];
		fprintf(f, "%s{\"command\":\"%s\",\"cmd_id\":%u,\"comm\":", i ? "," : "",
			name ? name : "unknown", p->cmd);
		json_str(f, p->comm);
		fprintf(f, ",\"count\":%llu", n);
		for (int r = 0; r < PMR_MAX; r++)
			fprintf(f, ",\"%s\":%llu", pm_result_name(r), p->result[r]);
		fputs(",\"effects\":{", f);
		for (int e = 0; e < PME_MAX; e++)
			fprintf(f, "%s\"%s\":%llu", e ? "," : "", pm_effect_name(e), p->effect[e]);
		fputc('}', f);
		for (int s = 0; s < PMS_MAX; s++) {
			fputc(',', f);
			json_hist(f, s == PMS_EFFECT ? "effect_ns" : pm_stage_keys[s],
				  &p->stage[s]);
		}
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_probes(FILE *f, const struct probe_set *ps)
{
	fprintf(f, ",\"probes\":{");
	for (int i = 0; i < PROBE_NR; i++) {
		const struct probe *p = &ps->p[i];

		fprintf(f, "%s\"%s\":{\"target\":\"%s\",\"state\":\"%s\"", i ? "," : "", p->name,
			p->target, probe_state_name(p->state));
		if (p->state == PROBE_ATTACHED)
			fprintf(f, ",\"mode\":\"%s\",\"misses\":%llu", probe_mode_name(p->mode),
				p->misses);
		fputc('}', f);
	}
	fputc('}', f);
}

/* "verdict":{"pass":B,"checks":[{"option":"--max-latency=created:p99=5ms",...}]} */
static void json_verdict(FILE *f, const struct verdict *v)
{
	char lbl[16];

	fprintf(f, ",\"verdict\":{\"pass\":%s,\"checks\":[", v->pass ? "true" : "false");
	for (int i = 0; i < v->n; i++) {
		const struct verdict_check *c = &v->check[i];
		const struct verdict_rule *r = c->rule;

		fprintf(f, "%s{\"option\":", i ? "," : "");
		json_str(f, r->text);
		fprintf(f, ",\"event\":\"%s\"",
			r->type == VERDICT_ALL
				? "all"
				: event_label((unsigned int)r->type, lbl, sizeof(lbl)));
		if (c->have_value)
			fprintf(f, ",\"value\":%llu", c->value);
		else
			fputs(",\"value\":null", f);
		fprintf(f, ",\"limit\":%llu,\"pass\":%s}", (unsigned long long)r->limit,
			c->pass ? "true" : "false");
	}
	fputs("]}", f);
}

void json_summary(FILE *f, const struct report_view *v, const struct run_info *info)
{
	bool first = true;

	fprintf(f, "{\"type\":\"summary\",\"mode\":\"%s\",\"duration_ns\":%" PRIu64,
		info->genl_only ? "genl-only" : "trace", (uint64_t)(info->now_ns - v->start_ns));
	fprintf(f, ",\"events\":{");
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		if (!v->ev[t] || !report_type_total(v->ev[t]))
			continue;
		fprintf(f, "%s", first ? "" : ",");
		json_event_stats(f, t, v->ev[t]);
		first = false;
	}
	fprintf(f, "},\"netlink\":{\"messages\":%llu,\"overruns\":%llu,\"errors\":%llu}",
		info->nl_messages, info->nl_overruns, info->nl_errors);
	if (!info->genl_only)
		fprintf(f, ",\"records\":%llu,\"ringbuf_drops\":%llu,\"probe_misses\":%llu",
			info->records, info->ringbuf_drops, info->probe_misses);
	if (info->corr)
		fprintf(f,
			",\"correlation\":{\"pending\":%u,\"pending_max\":%u,\"orphan_send\":%llu,"
			"\"loose\":%llu}",
			info->corr->pending, info->corr->pending_max, info->corr->orphan_send,
			info->corr->loose);
	if (info->consumers) {
		json_consumers(f, v);
		fprintf(f,
			",\"deliveries\":{\"pending\":%u,\"pending_max\":%u,\"orphan_reads\":%llu,"
			"\"unseen_reads\":%llu,\"evicted\":%llu,\"own_unknown\":%llu,"
			"\"own_late\":%llu}",
			info->cstats->pending, info->cstats->pending_max,
			info->cstats->orphan_reads, info->cstats->unseen_reads,
			info->cstats->evicted, info->own_unknown, info->cstats->own_late);
	}
	if (info->pm)
		json_commands(f, v);
	if (info->probes)
		json_probes(f, info->probes);
	if (info->verdict)
		json_verdict(f, info->verdict);
	fprintf(f, "}\n");
}
