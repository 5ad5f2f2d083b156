// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One connection's timeline (trace.h). Items are copies of what the report
 * path saw, kept per connection in arrival order and sorted by time when the
 * connection is printed: the ring buffer, the correlator and the consumers'
 * reads each report in their own order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "names.h"
#include "output.h"
#include "trace.h"

#define ITEMS_MAX 4096 /* per connection: past it, items are counted, not kept */

enum trace_kind {
	TK_EVENT,
	TK_DELIVERY,
	TK_COMMAND,
};

struct trace_item {
	enum trace_kind kind;
	__u64 t; /* CLOCK_MONOTONIC: the hook, the read (or drop), the command */
	union {
		struct evlat_event ev;
		struct {
			struct delivery d;
			struct consumer c; /* as it was then: d.c points to this copy */
		} del;
		struct pm_command cmd;
	};
};

struct trace_conn {
	__u32 netns, token;
	__u64 closed_ns; /* CLOSED's hook, 0 while open */
	struct trace_item *items;
	unsigned int n, cap, dropped;
};

struct trace {
	struct trace_opts o;
	struct trace_conn *conns;
	unsigned int n;
};

/* ---- collecting ------------------------------------------------------------------ */

static struct trace_conn *conn_get(struct trace *t, __u32 netns, __u32 token)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->conns[i].netns == netns && t->conns[i].token == token)
			return &t->conns[i];
	return NULL;
}

static void conn_print(struct trace *t, struct trace_conn *c);

static void conn_drop(struct trace *t, unsigned int i)
{
	free(t->conns[i].items);
	memmove(&t->conns[i], &t->conns[i + 1], (t->n - i - 1) * sizeof(*t->conns));
	t->n--;
}

/* The connection's entry, new ones at the end; NULL when not traced (or no memory) */
static struct trace_conn *conn_of(struct trace *t, __u32 netns, __u32 token)
{
	struct trace_conn *c = conn_get(t, netns, token);

	if (c || (!t->o.all && token != t->o.token))
		return c;
	if (t->n == t->o.max) {
		conn_print(t, &t->conns[0]);
		conn_drop(t, 0);
	}
	c = &t->conns[t->n++];
	*c = (struct trace_conn){ .netns = netns, .token = token };
	return c;
}

static struct trace_item *item_add(struct trace_conn *c, enum trace_kind kind, __u64 time)
{
	struct trace_item *it;

	if (c->n == ITEMS_MAX) {
		c->dropped++;
		return NULL;
	}
	if (c->n == c->cap) {
		unsigned int cap = c->cap ? c->cap * 2 : 32;

		it = realloc(c->items, cap * sizeof(*it));
		if (!it) {
			c->dropped++;
			return NULL;
		}
		c->items = it;
		c->cap = cap;
	}
	it = &c->items[c->n++];
	it->kind = kind;
	it->t = time;
	return it;
}

void trace_event(struct trace *t, const struct evlat_event *ev)
{
	struct trace_conn *c = ev->have_token ? conn_of(t, ev->netns, ev->token) : NULL;
	struct trace_item *it = c ? item_add(c, TK_EVENT, ev->time_ns) : NULL;

	if (!it)
		return;
	it->ev = *ev; /* its reason, when it has one, is a string constant */
	if (ev->type == EVLAT_EV_CLOSED && ev->status != ST_DUPLICATE)
		c->closed_ns = ev->time_ns;
}

void trace_delivery(struct trace *t, const struct delivery *d)
{
	struct trace_conn *c = d->have_token ? conn_of(t, d->netns, d->token) : NULL;
	__u64 at = d->time_ns + (d->have_stage[DST_READ] ? d->stage_ns[DST_READ] : 0);
	struct trace_item *it = c ? item_add(c, TK_DELIVERY, at) : NULL;

	if (!it)
		return;
	it->del.d = *d;
	it->del.c = *d->c;
	it->del.d.c = NULL; /* the copy's address moves with the array: see del_consumer() */
}

void trace_command(struct trace *t, const struct pm_command *cmd)
{
	struct trace_conn *c = cmd->have_token ? conn_of(t, cmd->netns, cmd->token) : NULL;
	struct trace_item *it = c ? item_add(c, TK_COMMAND, cmd->time_ns) : NULL;

	if (it)
		it->cmd = *cmd;
}

/* ---- rendering: one line per item, text or JSON ---------------------------------- */

/* A time relative to the connection's start, in ms with µs; @width 0: not aligned */
static void put_time(FILE *f, __u64 t, __u64 base, int width)
{
	long long d = (long long)(t - base), a = llabs(d) / 1000;
	char buf[32];

	snprintf(buf, sizeof(buf), "%c%lld.%03lld", d < 0 ? '-' : '+', a / 1000, a % 1000);
	fprintf(f, "%*s ms", width, buf);
}

/* The first column, aligned */
static void put_rel(FILE *f, __u64 t, __u64 base)
{
	put_time(f, t, base, 10);
}

static void put_ms(FILE *f, const char *what, __u64 ns)
{
	fprintf(f, " %s %llu.%03llu ms", what, (unsigned long long)ns / 1000000,
		(unsigned long long)ns / 1000 % 1000);
}

static void json_head(FILE *f, const struct trace_conn *c, __u64 t, __u64 base, const char *what)
{
	fprintf(f,
		"{\"type\":\"trace\",\"netns\":%u,\"token\":\"0x%08x\",\"t_ns\":%lld,"
		"\"what\":\"%s\"",
		c->netns, c->token, (long long)(t - base), what);
}

static void text_event_line(FILE *f, const struct evlat_event *ev)
{
	char lbl[16], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	fprintf(f, "  event    %-16s %-13s", event_label(ev->type, lbl, sizeof(lbl)),
		status_name(ev->status));
	if (ev->have_saddr && ev->have_daddr)
		fprintf(f, " %s:%u -> %s:%u", addr_str(event_af(ev), ev->saddr, a, sizeof(a)),
			ev->sport, addr_str(event_af(ev), ev->daddr, b, sizeof(b)), ev->dport);
	if (ev->have_ids)
		fprintf(f, " rem_id %u", ev->rem_id);
	if (ev->have_stage[STAGE_KERNEL])
		put_ms(f, "hook->send", ev->stage_ns[STAGE_KERNEL]);
	if (ev->have_stage[STAGE_TOTAL])
		put_ms(f, "hook->ours", ev->stage_ns[STAGE_TOTAL]);
}

static void json_event_line(FILE *f, const struct evlat_event *ev)
{
	char lbl[16];

	fprintf(f, ",\"event\":\"%s\",\"status\":\"%s\"", event_label(ev->type, lbl, sizeof(lbl)),
		status_name(ev->status));
	if (ev->sport || ev->dport)
		fprintf(f, ",\"sport\":%u,\"dport\":%u", ev->sport, ev->dport);
	if (ev->have_stage[STAGE_KERNEL])
		fprintf(f, ",\"kernel_ns\":%" PRIu64, (uint64_t)ev->stage_ns[STAGE_KERNEL]);
	if (ev->have_stage[STAGE_TOTAL])
		fprintf(f, ",\"latency_ns\":%" PRIu64, (uint64_t)ev->stage_ns[STAGE_TOTAL]);
}

static const char *delivery_what(const struct delivery *d)
{
	return d->status == DS_READ ? "read" : d->status == DS_LOST_OVERRUN ? "lost" : "unread";
}

static void text_delivery_line(FILE *f, const struct trace_item *it)
{
	const struct delivery *d = &it->del.d;
	char lbl[16];

	fprintf(f, "  %-8s %-16s by %s (pid %u, ino %u)", delivery_what(d),
		event_label(d->event, lbl, sizeof(lbl)), it->del.c.comm[0] ? it->del.c.comm : "?",
		it->del.c.pid, it->del.c.ino);
	if (d->have_stage[DST_QUEUE])
		put_ms(f, "send->queued", d->stage_ns[DST_QUEUE]);
	if (d->have_stage[DST_READ])
		put_ms(f, "queued->read", d->stage_ns[DST_READ]);
}

static void json_delivery_line(FILE *f, const struct trace_item *it)
{
	const struct delivery *d = &it->del.d;
	char lbl[16];

	fprintf(f, ",\"event\":\"%s\",\"comm\":", event_label(d->event, lbl, sizeof(lbl)));
	json_str(f, it->del.c.comm);
	fprintf(f, ",\"pid\":%u,\"ino\":%u", it->del.c.pid, it->del.c.ino);
	for (int s = 0; s < DST_MAX; s++)
		if (d->have_stage[s])
			fprintf(f, ",\"%s\":%" PRIu64, delivery_stage_key(s),
				(uint64_t)d->stage_ns[s]);
}

static void text_command_line(FILE *f, const struct pm_command *c, __u64 base)
{
	char lbl[16];

	fprintf(f, "  command  %-16s by %s (pid %u): %s",
		pm_cmd_name(c->cmd) ? pm_cmd_name(c->cmd) : "?", c->comm[0] ? c->comm : "?", c->pid,
		pm_result_name(c->result));
	if (c->result == PMR_ERROR)
		fprintf(f, " %d", c->err);
	if (c->have_trigger) {
		fprintf(f, "; trigger %s read at ",
			event_label(c->trigger_event, lbl, sizeof(lbl)));
		put_time(f, c->trigger_read_ns, base, 0);
		put_ms(f, "reaction", c->stage_ns[PMS_REACTION]);
	} else if (c->trigger_lost) {
		fputs("; trigger lost (a read the kernel did not record)", f);
	}
	fprintf(f, "; effect %s", pm_effect_name(c->effect));
	if (c->effect != PME_SEEN)
		return;
	fprintf(f, " %s at ", event_label(c->effect_event, lbl, sizeof(lbl)));
	put_time(f, c->effect_ns, base, 0);
	fprintf(f, "%s%s", c->effect_peer ? " (peer)" : "", c->effect_inside ? " (inside)" : "");
}

static void json_command_line(FILE *f, const struct pm_command *c)
{
	char lbl[16];

	fprintf(f, ",\"command\":\"%s\",\"comm\":",
		pm_cmd_name(c->cmd) ? pm_cmd_name(c->cmd) : "unknown");
	json_str(f, c->comm);
	fprintf(f, ",\"pid\":%u,\"result\":\"%s\"", c->pid, pm_result_name(c->result));
	if (c->result == PMR_ERROR)
		fprintf(f, ",\"error\":%d", c->err);
	if (c->have_trigger)
		fprintf(f, ",\"trigger\":\"%s\",\"reaction_ns\":%" PRIu64,
			event_label(c->trigger_event, lbl, sizeof(lbl)),
			(uint64_t)c->stage_ns[PMS_REACTION]);
	else if (c->trigger_lost)
		fputs(",\"trigger_lost\":true", f);
	fprintf(f, ",\"effect\":\"%s\"", pm_effect_name(c->effect));
	if (c->effect == PME_SEEN)
		fprintf(f,
			",\"effect_event\":\"%s\",\"effect_latency_ns\":%" PRIu64
			",\"peer\":%s,\"inside\":%s",
			event_label(c->effect_event, lbl, sizeof(lbl)),
			(uint64_t)c->stage_ns[PMS_EFFECT], c->effect_peer ? "true" : "false",
			c->effect_inside ? "true" : "false");
}

static const char *item_what(const struct trace_item *it)
{
	if (it->kind == TK_EVENT)
		return "event";
	return it->kind == TK_COMMAND ? "command" : delivery_what(&it->del.d);
}

static void item_line(FILE *f, bool json, const struct trace_conn *c, const struct trace_item *it,
		      __u64 base)
{
	if (json) {
		json_head(f, c, it->t, base, item_what(it));
		if (it->kind == TK_EVENT)
			json_event_line(f, &it->ev);
		else if (it->kind == TK_DELIVERY)
			json_delivery_line(f, it);
		else
			json_command_line(f, &it->cmd);
		fputs("}\n", f);
		return;
	}
	fputs("  ", f);
	put_rel(f, it->t, base);
	if (it->kind == TK_EVENT)
		text_event_line(f, &it->ev);
	else if (it->kind == TK_DELIVERY)
		text_delivery_line(f, it);
	else
		text_command_line(f, &it->cmd, base);
	fputc('\n', f);
}

/* ---- what is wrong -------------------------------------------------------------- */

static void flag(FILE *f, bool json, const struct trace_conn *c, const struct trace_item *it,
		 __u64 base, const char *kind, const char *why)
{
	char lbl[16];
	const char *name = it->kind == TK_COMMAND ? pm_cmd_name(it->cmd.cmd)
			   : it->kind == TK_EVENT ? event_label(it->ev.type, lbl, sizeof(lbl))
						  : event_label(it->del.d.event, lbl, sizeof(lbl));

	if (json) {
		json_head(f, c, it->t, base, "flag");
		fprintf(f, ",\"flag\":\"%s\",\"of\":\"%s\",\"why\":\"%s\"}\n", kind,
			name ? name : "?", why);
		return;
	}
	fprintf(f, "  !! %-9s %s at ", kind, name ? name : "?");
	put_time(f, it->t, base, 0);
	fprintf(f, ": %s\n", why);
}

/* An event out of the kernel's order: before its connection's CREATED or after its CLOSED */
/* A kernel event before CREATED or after CLOSED (a subflow closed without one is no event) */
static bool out_of_order(const struct trace_item *it, __u64 created, __u64 closed)
{
	if (it->kind != TK_EVENT || it->ev.status == ST_DUPLICATE ||
	    it->ev.status == ST_CLOSE_WITHOUT_EVENT)
		return false;
	if (created && it->t < created)
		return true;
	return closed && it->t > closed && it->ev.type != EVLAT_EV_CLOSED;
}

static void item_flags(FILE *f, bool json, const struct trace_conn *c, const struct trace_item *it,
		       __u64 base, __u64 created)
{
	char why[64];

	if (it->kind == TK_DELIVERY && it->del.d.status != DS_READ) {
		snprintf(why, sizeof(why), "not read by %s: %s",
			 it->del.c.comm[0] ? it->del.c.comm : "?",
			 delivery_status_name(it->del.d.status));
		flag(f, json, c, it, base, "unread", why);
	}
	if (it->kind == TK_COMMAND && it->cmd.effect == PME_NONE)
		flag(f, json, c, it, base, "no_effect", "no event of its effect came");
	if (it->kind != TK_EVENT)
		return;
	if (it->ev.status == ST_DUPLICATE)
		flag(f, json, c, it, base, "duplicate", "the kernel sent it twice");
	if (status_class(it->ev.status) == SC_LOST)
		flag(f, json, c, it, base, "lost", status_name(it->ev.status));
	if (out_of_order(it, created, c->closed_ns))
		flag(f, json, c, it, base, "order",
		     it->t < created ? "before the connection's CREATED"
				     : "after the connection's CLOSED");
}

/* ---- printing a connection ------------------------------------------------------- */

static int by_time(const void *a, const void *b)
{
	const struct trace_item *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (int)x->kind - (int)y->kind; /* an event before its reads, at the same time */
}

/* CREATED's hook (0: none), and the base of the relative times */
static __u64 created_at(const struct trace_conn *c, __u64 *base)
{
	*base = c->n ? c->items[0].t : 0;
	for (unsigned int i = 0; i < c->n; i++)
		if (c->items[i].kind == TK_EVENT && c->items[i].ev.type == EVLAT_EV_CREATED &&
		    c->items[i].ev.status != ST_DUPLICATE) {
			*base = c->items[i].t;
			return c->items[i].t;
		}
	return 0;
}

static void conn_header(FILE *f, bool json, const struct trace_conn *c, __u64 base, bool created)
{
	if (json) {
		json_head(f, c, base, base, "connection");
		fprintf(f, ",\"items\":%u,\"dropped\":%u,\"created\":%s}\n", c->n, c->dropped,
			created ? "true" : "false");
		return;
	}
	fprintf(f, "\nconnection token 0x%08x netns %u: %u lines%s, times from %s\n", c->token,
		c->netns, c->n, c->dropped ? " (more dropped)" : "",
		created ? "its CREATED" : "its first line (no CREATED seen)");
}

static void conn_print(struct trace *t, struct trace_conn *c)
{
	FILE *f = t->o.out;
	__u64 base, created;

	if (!f || !c->n)
		return;
	qsort(c->items, c->n, sizeof(*c->items), by_time);
	created = created_at(c, &base);
	conn_header(f, t->o.json, c, base, created);
	for (unsigned int i = 0; i < c->n; i++)
		item_line(f, t->o.json, c, &c->items[i], base);
	for (unsigned int i = 0; i < c->n; i++)
		item_flags(f, t->o.json, c, &c->items[i], base, created);
	fflush(f);
}

void trace_expire(struct trace *t, __u64 now_ns)
{
	for (unsigned int i = 0; i < t->n;) {
		struct trace_conn *c = &t->conns[i];

		if (!c->closed_ns || c->closed_ns + t->o.linger_ns > now_ns) {
			i++;
			continue;
		}
		conn_print(t, c);
		conn_drop(t, i);
	}
}

void trace_flush(struct trace *t)
{
	while (t->n) {
		conn_print(t, &t->conns[0]);
		conn_drop(t, 0);
	}
}

struct trace *trace_new(const struct trace_opts *o)
{
	struct trace *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->o = *o;
	if (!t->o.max)
		t->o.max = 1024;
	t->conns = calloc(t->o.max, sizeof(*t->conns));
	if (!t->conns) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	for (unsigned int i = 0; i < t->n; i++)
		free(t->conns[i].items);
	free(t->conns);
	free(t);
}
