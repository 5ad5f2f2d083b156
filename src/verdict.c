// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The CI verdict (verdict.h): parse the thresholds, judge them on the total view. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "util.h"
#include "verdict.h"

static const char *const stat_names[] = {
	[V_P50] = "p50",
	[V_P90] = "p90",
	[V_P99] = "p99",
	[V_MAX] = "max",
};

static struct verdict_rule *new_rule(struct verdict_cfg *cfg, enum verdict_kind kind,
				     const char *opt, const char *arg)
{
	struct verdict_rule *r;

	if (cfg->n >= VERDICT_RULES)
		return NULL;
	r = &cfg->rule[cfg->n];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->type = VERDICT_ALL;
	snprintf(r->text, sizeof(r->text), "%s%s%s", opt, arg ? "=" : "", arg ? arg : "");
	return r;
}

/* A decimal number of at most @max without sign or spaces: 0, or -EINVAL */
static int parse_count(const char *s, size_t len, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!len || len > 19)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "created", "11" or "all" in @s (@len bytes) */
static int parse_event(const char *s, size_t len, int *type)
{
	char name[32];
	unsigned long long n;

	if (!len || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, s, len);
	name[len] = '\0';
	if (!strcmp(name, "all")) {
		*type = VERDICT_ALL;
		return 0;
	}
	*type = event_by_name(name);
	if (*type >= 0)
		return 0;
	if (parse_count(s, len, EVLAT_EVENT_TYPES - 1, &n) || !n)
		return -EINVAL;
	*type = (int)n;
	return 0;
}

/* "250us", "1.5ms", "2s": a decimal with a unit, into ns */
static int parse_duration(const char *s, __u64 *ns)
{
	static const struct {
		const char *unit;
		__u64 mult;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 } };
	size_t whole = strspn(s, "0123456789"), frac = 0;
	const char *u = s + whole;
	unsigned long long w, f = 0;

	if (*u == '.') {
		frac = strspn(u + 1, "0123456789");
		if (!frac || frac > 9 || parse_count(u + 1, frac, ~0ULL, &f))
			return -EINVAL;
		u += 1 + frac;
	}
	if (parse_count(s, whole, 1ULL << 40, &w))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		__u64 m = units[i].mult, scale = 1;

		if (strcmp(u, units[i].unit))
			continue;
		for (size_t k = 0; k < frac; k++)
			scale *= 10;
		if (frac && m < scale)
			return -EINVAL; /* finer than a nanosecond */
		*ns = w * m + (frac ? f * (m / scale) : 0);
		return 0;
	}
	return -EINVAL;
}

int verdict_add_loss(struct verdict_cfg *cfg, const char *arg, char *err, size_t size)
{
	struct verdict_rule *r = new_rule(cfg, V_LOSS, "--fail-on-loss", arg);
	char list[128], *save = NULL;

	if (!r)
		return -E2BIG;
	if (!arg) {
		for (int st = 0; st < ST_MAX; st++)
			if (status_class(st) == SC_LOST)
				r->statuses |= 1u << st;
		cfg->n++;
		return 0;
	}
	snprintf(list, sizeof(list), "%s", arg);
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int st = status_by_name(tok);

		if (st < 0) {
			snprintf(err, size, "unknown status '%s' (README: status categories)", tok);
			return -EINVAL;
		}
		r->statuses |= 1u << st;
	}
	if (!r->statuses) {
		snprintf(err, size, "no status in '%s'", arg);
		return -EINVAL;
	}
	cfg->n++;
	return 0;
}

int verdict_add_latency(struct verdict_cfg *cfg, const char *arg, char *err, size_t size)
{
	struct verdict_rule *r = new_rule(cfg, V_LATENCY, "--max-latency", arg);
	const char *colon = strchr(arg, ':'), *eq = strchr(arg, '=');
	size_t i;

	if (!r)
		return -E2BIG;
	snprintf(err, size, "'%s': expected EVENT:STAT=DURATION, e.g. created:p99=5ms", arg);
	if (!colon || !eq || eq < colon || parse_event(arg, (size_t)(colon - arg), &r->type))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(stat_names); i++)
		if ((size_t)(eq - colon - 1) == strlen(stat_names[i]) &&
		    !strncmp(colon + 1, stat_names[i], strlen(stat_names[i])))
			break;
	if (i == ARRAY_SIZE(stat_names) || parse_duration(eq + 1, &r->limit))
		return -EINVAL;
	r->stat = (enum verdict_stat)i;
	cfg->n++;
	return 0;
}

int verdict_add_expect(struct verdict_cfg *cfg, const char *arg, char *err, size_t size)
{
	struct verdict_rule *r = new_rule(cfg, V_EXPECT, "--expect-events", arg);
	const char *eq = strchr(arg, '='), *n = eq ? eq + 1 : arg;
	size_t len = strlen(n);

	if (!r)
		return -E2BIG;
	snprintf(err, size, "'%s': expected N (at least N events) or EVENT=N (exactly N), EVENT=N+",
		 arg);
	r->at_least = !eq || (len && n[len - 1] == '+');
	if (len && n[len - 1] == '+')
		len--;
	if ((eq && parse_event(arg, (size_t)(eq - arg), &r->type)) ||
	    parse_count(n, len, ~0ULL >> 1, &r->limit))
		return -EINVAL;
	cfg->n++;
	return 0;
}

/* ---- judging ---------------------------------------------------------------- */

static bool type_in(const struct verdict_rule *r, int t)
{
	return r->type == VERDICT_ALL || r->type == t;
}

static void judge_loss(const struct verdict_rule *r, const struct report_view *v,
		       unsigned long long nl_overruns, bool genl_only, struct verdict_check *c)
{
	for (int t = 0; t < EVLAT_EVENT_TYPES; t++)
		for (int st = 0; v->ev[t] && type_in(r, t) && st < ST_MAX; st++)
			if (r->statuses & (1u << st))
				c->value += v->ev[t]->status[st];
	/* --genl-only classifies nothing: an overrun of our socket is the loss it sees */
	if (genl_only && r->type == VERDICT_ALL && (r->statuses & (1u << ST_LOST_OVERRUN)))
		c->value += nl_overruns;
	c->have_value = true;
	c->pass = c->value == 0;
}

static void judge_latency(const struct verdict_rule *r, const struct report_view *v,
			  struct verdict_check *c)
{
	static const double q[] = { [V_P50] = 0.5, [V_P90] = 0.9, [V_P99] = 0.99 };
	struct hist *h = calloc(1, sizeof(*h));

	for (int t = 0; h && t < EVLAT_EVENT_TYPES; t++)
		if (v->ev[t] && type_in(r, t))
			hist_merge(h, &v->ev[t]->stage[STAGE_TOTAL]);
	c->have_value = h && h->count;
	if (c->have_value)
		c->value = r->stat == V_MAX ? h->max : hist_quantile(h, q[r->stat]);
	/* no sample, nothing to judge: --expect-events says whether there must be some */
	c->pass = !c->have_value || c->value <= r->limit;
	free(h);
}

static void judge_expect(const struct verdict_rule *r, const struct report_view *v,
			 struct verdict_check *c)
{
	for (int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (v->ev[t] && type_in(r, t))
			c->value += report_type_total(v->ev[t]);
	c->have_value = true;
	c->pass = r->at_least ? c->value >= r->limit : c->value == r->limit;
}

void verdict_eval(const struct verdict_cfg *cfg, const struct report_view *total,
		  unsigned long long nl_overruns, bool genl_only, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->pass = true;
	for (int i = 0; i < cfg->n; i++) {
		const struct verdict_rule *r = &cfg->rule[i];
		struct verdict_check *c = &v->check[v->n++];

		c->rule = r;
		if (r->kind == V_LOSS)
			judge_loss(r, total, nl_overruns, genl_only, c);
		else if (r->kind == V_LATENCY)
			judge_latency(r, total, c);
		else
			judge_expect(r, total, c);
		v->pass &= c->pass;
	}
}

/* ---- the lines at exit ---------------------------------------------------- */

static const char *what(const struct verdict_rule *r, char *buf, size_t size)
{
	char lbl[16];

	if (r->type == VERDICT_ALL)
		return "all events";
	snprintf(buf, size, "%s", event_label((unsigned int)r->type, lbl, sizeof(lbl)));
	return buf;
}

static void print_failed(FILE *f, const struct verdict_check *c)
{
	const struct verdict_rule *r = c->rule;
	char w[32];

	fprintf(f, EVLAT_PROG ": verdict: FAIL %s: ", r->text);
	if (r->kind == V_LOSS)
		fprintf(f, "%s: %llu lost\n", what(r, w, sizeof(w)), c->value);
	else if (r->kind == V_LATENCY)
		fprintf(f, "%s: %s latency %.1f us, bound %.1f us\n", what(r, w, sizeof(w)),
			stat_names[r->stat], c->value / 1e3, r->limit / 1e3);
	else
		fprintf(f, "%s: %llu seen, expected %s%llu\n", what(r, w, sizeof(w)), c->value,
			r->at_least ? "at least " : "", (unsigned long long)r->limit);
}

void verdict_print(FILE *f, const struct verdict *v)
{
	int failed = 0;

	for (int i = 0; i < v->n; i++) {
		if (v->check[i].pass)
			continue;
		print_failed(f, &v->check[i]);
		failed++;
	}
	if (failed)
		fprintf(f, EVLAT_PROG ": verdict: FAIL, %d of %d checks\n", failed, v->n);
	else
		fprintf(f, EVLAT_PROG ": verdict: PASS, %d checks\n", v->n);
}
