// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CI verdict (src/verdict.c): every option's syntax, good and bad, and
 * the judgement of each kind of threshold on a report's total view, both
 * ways (the exit code is tests/host/verdict.sh's and the guest suite's).
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "verdict.h"

static struct verdict_cfg cfg;
static char err[160];

static int loss(const char *arg)
{
	return verdict_add_loss(&cfg, arg, err, sizeof(err));
}

static int lat(const char *arg)
{
	return verdict_add_latency(&cfg, arg, err, sizeof(err));
}

static int expect(const char *arg)
{
	return verdict_add_expect(&cfg, arg, err, sizeof(err));
}

static const struct verdict_rule *last(void)
{
	return &cfg.rule[cfg.n - 1];
}

static void test_parse(void)
{
	static const char *const bad_lat[] = {
		"created",	    "created:p99",	"created:p99=",
		"created:p98=5ms",  "created:p99=5",	"created:p99=5m",
		"created:p99=-5ms", "nope:p99=5ms",	"0:p99=5ms",
		"256:p99=5ms",	    ":p99=5ms",		"created:p99=1.5",
		"created:p99=.5s",  "created:p99=5.ms", "created:max=0.0000000001s",
	};
	static const char *const bad_expect[] = { "",	      "x",	     "-1",
						  "created=", "created=x",   "nope=1",
						  "=1",	      "created=1++", "+" };

	CHECK(loss(NULL) == 0 && last()->kind == V_LOSS);
	CHECK(last()->statuses ==
	      (1u << ST_LOST_ALLOC_ATOMIC | 1u << ST_LOST_ALLOC_OTHER | 1u << ST_LOST_OVERRUN |
	       1u << ST_LOST_RINGBUF | 1u << ST_NOT_DELIVERED));
	CHECK_STR(last()->text, "--fail-on-loss");
	CHECK(loss("lost_overrun,unmatched") == 0);
	CHECK(last()->statuses == (1u << ST_LOST_OVERRUN | 1u << ST_UNMATCHED));
	CHECK_STR(last()->text, "--fail-on-loss=lost_overrun,unmatched");
	CHECK(loss("lost_everything") == -EINVAL && strstr(err, "lost_everything"));
	CHECK(loss(",") == -EINVAL);

	CHECK(lat("created:p99=5ms") == 0 && last()->type == 1 && last()->stat == V_P99 &&
	      last()->limit == 5000000);
	CHECK(lat("all:max=1.5s") == 0 && last()->type == VERDICT_ALL && last()->stat == V_MAX &&
	      last()->limit == 1500000000);
	CHECK(lat("11:p50=250us") == 0 && last()->type == 11 && last()->limit == 250000);
	CHECK(lat("sub_closed:p90=7ns") == 0 && last()->limit == 7);
	CHECK(lat("all:p99=0.000001s") == 0 && last()->limit == 1000);
	for (size_t i = 0; i < sizeof(bad_lat) / sizeof(bad_lat[0]); i++) {
		int n = cfg.n;

		if (lat(bad_lat[i]) != -EINVAL || cfg.n != n)
			fprintf(stderr, "--max-latency %s accepted\n", bad_lat[i]);
		CHECK(cfg.n == n);
	}
	CHECK(expect("12") == 0 && last()->type == VERDICT_ALL && last()->at_least &&
	      last()->limit == 12);
	CHECK(expect("created=1") == 0 && last()->type == 1 && !last()->at_least);
	CHECK(expect("sub_closed=3+") == 0 && last()->type == 11 && last()->at_least &&
	      last()->limit == 3);
	for (size_t i = 0; i < sizeof(bad_expect) / sizeof(bad_expect[0]); i++) {
		int n = cfg.n;

		if (expect(bad_expect[i]) != -EINVAL)
			fprintf(stderr, "--expect-events '%s' accepted\n", bad_expect[i]);
		CHECK(cfg.n == n);
	}
	while (cfg.n < VERDICT_RULES)
		CHECK(loss(NULL) == 0);
	CHECK(loss(NULL) == -E2BIG && lat("all:max=1s") == -E2BIG && expect("1") == -E2BIG);
}

static void add(struct report *r, unsigned int type, enum evlat_status st, __u64 ns)
{
	struct evlat_event ev = { .type = type, .status = st, .token = type };

	if (ns) {
		ev.have_stage[STAGE_TOTAL] = true;
		ev.stage_ns[STAGE_TOTAL] = ns;
	}
	report_event(r, &ev);
}

static bool judge(const struct report *r, const char *what, const char *arg, bool genl,
		  unsigned long long overruns, unsigned long long *value)
{
	struct verdict v;

	memset(&cfg, 0, sizeof(cfg));
	if (!strcmp(what, "loss"))
		CHECK(loss(arg) == 0);
	else if (!strcmp(what, "lat"))
		CHECK(lat(arg) == 0);
	else
		CHECK(expect(arg) == 0);
	verdict_eval(&cfg, &r->total, overruns, genl, &v);
	CHECK(v.n == 1 && v.check[0].rule == &cfg.rule[0] && v.pass == v.check[0].pass);
	*value = v.check[0].value;
	return v.pass;
}

static void test_judge(void)
{
	static const struct report_cfg quiet;
	unsigned long long val;
	struct report r;

	report_init(&r, &quiet, NULL, 0);
	for (int i = 1; i <= 100; i++)
		add(&r, EVLAT_EV_CREATED, ST_DELIVERED, i * 1000ULL); /* 1 .. 100 us */
	add(&r, EVLAT_EV_CLOSED, ST_DELIVERED, 5000000);
	add(&r, EVLAT_EV_CLOSED, ST_LOST_ALLOC_OTHER, 0);
	add(&r, EVLAT_EV_SUB_CLOSED, ST_UNMATCHED, 0);
	report_count(&r, EVLAT_EV_SUB_ESTABLISHED, ST_LOST_RINGBUF, 2);

	CHECK(!judge(&r, "loss", NULL, false, 0, &val) && val == 3);
	CHECK(!judge(&r, "loss", "lost_alloc_other", false, 0, &val) && val == 1);
	CHECK(judge(&r, "loss", "lost_alloc_atomic,lost_overrun", false, 0, &val) && val == 0);
	CHECK(!judge(&r, "loss", "unmatched", false, 0, &val) && val == 1);
	/* --genl-only: our socket's overruns are the loss it can see, for all events only */
	CHECK(!judge(&r, "loss", "lost_overrun", true, 4, &val) && val == 4);
	CHECK(judge(&r, "loss", "lost_overrun", false, 4, &val) && val == 0);

	CHECK(judge(&r, "lat", "created:max=100us", false, 0, &val) && val == 100000);
	CHECK(!judge(&r, "lat", "created:max=99999ns", false, 0, &val) && val == 100000);
	/* quantiles are bucket upper bounds, < 6.25 % above the true value */
	CHECK(judge(&r, "lat", "created:p50=54us", false, 0, &val) && val >= 50000 && val < 53125);
	CHECK(!judge(&r, "lat", "created:p50=49us", false, 0, &val));
	CHECK(!judge(&r, "lat", "all:max=1ms", false, 0, &val) && val == 5000000);
	CHECK(judge(&r, "lat", "all:p90=1ms", false, 0, &val));
	/* no sample: nothing to judge, a pass (--expect-events requires events) */
	CHECK(judge(&r, "lat", "removed:max=1ns", false, 0, &val));

	CHECK(judge(&r, "expect", "created=100", false, 0, &val) && val == 100);
	CHECK(!judge(&r, "expect", "created=99", false, 0, &val));
	CHECK(judge(&r, "expect", "created=99+", false, 0, &val));
	CHECK(!judge(&r, "expect", "created=101+", false, 0, &val));
	CHECK(judge(&r, "expect", "closed=2", false, 0, &val));
	CHECK(!judge(&r, "expect", "removed=1", false, 0, &val) && val == 0);
	CHECK(judge(&r, "expect", "removed=0", false, 0, &val));
	CHECK(judge(&r, "expect", "105", false, 0, &val) && val == 105);
	CHECK(!judge(&r, "expect", "106", false, 0, &val));
	report_free(&r);
}

static void test_print(void)
{
	struct verdict v = { .n = 2 };
	struct verdict_rule r1 = { .kind = V_LOSS, .type = VERDICT_ALL }, r2 = { .kind = V_EXPECT };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	snprintf(r1.text, sizeof(r1.text), "--fail-on-loss");
	snprintf(r2.text, sizeof(r2.text), "--expect-events=created=1");
	r2.type = EVLAT_EV_CREATED;
	r2.limit = 1;
	v.check[0] = (struct verdict_check){ .rule = &r1, .pass = false, .value = 2 };
	v.check[1] = (struct verdict_check){ .rule = &r2, .pass = true, .value = 1 };
	verdict_print(f, &v);
	fclose(f);
	CHECK_STR(text, "mptcp-evlat: verdict: FAIL --fail-on-loss: all events: 2 lost\n"
			"mptcp-evlat: verdict: FAIL, 1 of 2 checks\n");
	free(text);
}

int main(void)
{
	test_parse();
	test_judge();
	test_print();
	return check_report("verdict");
}
