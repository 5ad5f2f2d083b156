// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Log-linear histogram: quantile error bound, log2 view, bcc print shape. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "hist.h"

static struct hist h;

/* Documented bound: never below the true quantile, less than 1/16 above it. */
static int within_bound(__u64 got, __u64 exact)
{
	return got >= exact && (double)got < (double)exact * (1.0 + 1.0 / 16) + 1;
}

static char *print(const struct hist *hp, const char *unit, __u64 div)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (!f)
		return "";
	hist_print_log2(f, hp, unit, div);
	fclose(f);
	return buf;
}

static void test_empty(void)
{
	__u64 slots[HIST_LOG2_SLOTS];

	hist_reset(&h);
	CHECK(h.count == 0 && hist_quantile(&h, 0.5) == 0);
	hist_log2(&h, slots);
	CHECK(slots[0] == 0 && slots[HIST_LOG2_SLOTS - 1] == 0);
	/* bcc prints nothing for an empty histogram */
	CHECK_STR(print(&h, "usecs", 1), "");
}

static void test_single_value(void)
{
	int i;

	hist_reset(&h);
	for (i = 0; i < 5; i++)
		hist_add(&h, 123457);
	CHECK(h.count == 5 && h.min == 123457 && h.max == 123457 && h.sum == 5 * 123457ULL);
	/* the bucket's upper bound is clamped to max: exact */
	CHECK(hist_quantile(&h, 0.5) == 123457);
	CHECK(hist_quantile(&h, 0.99) == 123457);
	CHECK(hist_quantile(&h, 0) == 123457);
	CHECK(hist_quantile(&h, 1) == 123457);
}

static void test_uniform(void)
{
	static const double qs[] = { 0.01, 0.25, 0.5, 0.9, 0.99, 0.999 };
	const __u64 n = 100000;
	unsigned int i, bad = 0;
	__u64 v;

	hist_reset(&h);
	for (v = 1; v <= n; v++)
		hist_add(&h, v * 7); /* values 7 .. 700000 */
	CHECK(h.count == n && h.min == 7 && h.max == 700000);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		/* the rank-th smallest is rank * 7 */
		__u64 exact = (__u64)(qs[i] * n + 0.5) * 7, got = hist_quantile(&h, qs[i]);

		if (!within_bound(got, exact)) {
			fprintf(stderr, "q=%g exact=%llu got=%llu\n", qs[i],
				(unsigned long long)exact, (unsigned long long)got);
			bad++;
		}
	}
	CHECK(bad == 0);
	/* small values are exact: one bucket per value below 16 */
	hist_reset(&h);
	for (v = 0; v < 16; v++)
		hist_add(&h, v);
	for (v = 1; v <= 16; v++)
		CHECK(hist_quantile(&h, (double)v / 16 - 1e-9) == v - 1);
}

static void test_two_clusters(void)
{
	int i;

	hist_reset(&h);
	for (i = 0; i < 900; i++)
		hist_add(&h, 20000 + i); /* 20 us */
	for (i = 0; i < 100; i++)
		hist_add(&h, 50000000 + i * 1000); /* 50 ms */
	CHECK(within_bound(hist_quantile(&h, 0.5), 20499));
	CHECK(within_bound(hist_quantile(&h, 0.9), 20899));
	CHECK(within_bound(hist_quantile(&h, 0.99), 50089000));
	/* the cluster edge: rank 900 is the fast one, rank 901 the slow one */
	CHECK(hist_quantile(&h, 0.9) < 50000000 && hist_quantile(&h, 0.901) >= 50000000);
	CHECK(h.min == 20000 && h.max == 50099000 && h.count == 1000);
}

static void test_log2_slots(void)
{
	static const __u64 vals[] = { 0, 1, 2, 3, 4, 7, 8, 1023, 1024, 1025 };
	__u64 slots[HIST_LOG2_SLOTS];
	unsigned int i;

	hist_reset(&h);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		hist_add(&h, vals[i]);
	hist_log2(&h, slots);
	CHECK(slots[0] == 2 && slots[1] == 2 && slots[2] == 2 && slots[3] == 1);
	CHECK(slots[9] == 1 && slots[10] == 2);
	CHECK(slots[4] == 0 && slots[11] == 0);
}

static void test_clamp(void)
{
	__u64 slots[HIST_LOG2_SLOTS];

	hist_reset(&h);
	hist_add(&h, 0);
	hist_add(&h, UINT64_MAX);
	hist_add(&h, 1ULL << HIST_LOG2_SLOTS);
	CHECK(h.min == 0 && h.max == UINT64_MAX && h.count == 3);
	hist_log2(&h, slots);
	CHECK(slots[0] == 1 && slots[HIST_LOG2_SLOTS - 1] == 2);
	CHECK(hist_quantile(&h, 0.3) == 0);
	/* the clamped bucket has no upper bound: its quantiles are max */
	CHECK(hist_quantile(&h, 0.5) == UINT64_MAX);
}

static void test_merge(void)
{
	struct hist a, b;

	hist_reset(&a);
	hist_reset(&b);
	hist_add(&a, 10);
	hist_merge(&a, &b); /* empty source: min stays */
	CHECK(a.min == 10 && a.count == 1);
	hist_add(&b, 3);
	hist_add(&b, 5000);
	hist_merge(&a, &b);
	CHECK(a.count == 3 && a.min == 3 && a.max == 5000 && a.sum == 5013);
	CHECK(hist_quantile(&a, 0.5) == 10);
}

static void test_print_shape(void)
{
	int i;

	hist_reset(&h);
	hist_add(&h, 1);
	for (i = 0; i < 4; i++)
		hist_add(&h, 5);
	for (i = 0; i < 8; i++)
		hist_add(&h, 8 + i);
	CHECK_STR(
		print(&h, "usecs", 1),
		"     usecs               : count    distribution\n"
		"         0 -> 1          : 1        |*****                                   |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 4        |********************                    |\n"
		"         8 -> 15         : 8        |****************************************|\n");

	/* ns scaled to us: 1.5 us -> slot 0, 2.5 us -> slot 1, 40 us -> slot 5 */
	hist_reset(&h);
	for (i = 0; i < 3; i++)
		hist_add(&h, 1500);
	hist_add(&h, 2500);
	hist_add(&h, 40000);
	CHECK_STR(
		print(&h, "usecs", 1000),
		"     usecs               : count    distribution\n"
		"         0 -> 1          : 3        |****************************************|\n"
		"         2 -> 3          : 1        |*************                           |\n"
		"         4 -> 7          : 0        |                                        |\n"
		"         8 -> 15         : 0        |                                        |\n"
		"        16 -> 31         : 0        |                                        |\n"
		"        32 -> 63         : 1        |*************                           |\n");
}

static void test_print_wide(void)
{
	const char *out;

	/* past slot 32 bcc widens the columns and halves the bar */
	hist_reset(&h);
	hist_add(&h, 1ULL << 33);
	out = print(&h, "nsecs", 1);
	CHECK(!strncmp(
		out,
		"               nsecs                         : count    distribution\n"
		"                   0 -> 1                    : 0        |"
		"                    |\n",
		strlen("               nsecs                         : count    distribution\n"
		       "                   0 -> 1                    : 0        |"
		       "                    |\n")));
	CHECK(strstr(out, "\n          8589934592 -> 17179869183          : 1        |"
			  "********************|\n") != NULL);
}

int main(void)
{
	test_empty();
	test_single_value();
	test_uniform();
	test_two_clusters();
	test_log2_slots();
	test_clamp();
	test_merge();
	test_print_shape();
	test_print_wide();
	return check_report("test_hist");
}
