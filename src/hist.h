/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Latency histograms: log-linear buckets (precise percentiles) that also
 * print as bcc's log2 histogram (print_log2_hist shape).
 */
#ifndef EVLAT_HIST_H
#define EVLAT_HIST_H

#include <stdio.h>
#include <linux/types.h>

#define HIST_LOG2_SLOTS 40 /* 2^40 ns = 18 min: anything above is clamped */
#define HIST_SUB_BITS	4  /* 16 linear sub-buckets per power of two: < 6.25 % error */
#define HIST_BUCKETS	(HIST_LOG2_SLOTS << HIST_SUB_BITS)

struct hist {
	__u64 count, sum, min, max;
	__u32 buckets[HIST_BUCKETS];
	/*
	 * Values by ceil(log2(v)) (v <= 1 in [0]), clamped to the last: the
	 * edges 2^k as "less than or equal" (Prometheus' le), which the
	 * buckets above, [lo, hi) as bcc counts, cannot give for v = 2^k.
	 */
	__u64 le_pow2[HIST_LOG2_SLOTS + 1];
};

void hist_reset(struct hist *h);
void hist_add(struct hist *h, __u64 value);
/*
 * Value at quantile q (0..1): the upper bound of the bucket holding it, clamped
 * to max. Never below the true value, less than 6.25 % above it (exact below
 * 16). q <= 0 gives min, q >= 1 max, an empty histogram 0.
 */
__u64 hist_quantile(const struct hist *h, double q);
/* Counts per log2 slot: slot i counts values in [2^i, 2^(i+1)), slot 0 also holds 0. */
void hist_log2(const struct hist *h, __u64 slots[HIST_LOG2_SLOTS]);
/*
 * bcc print_log2_hist() shape:
 *      usecs               : count    distribution
 *          0 -> 1          : 0        |                                        |
 * @unit is "nsecs", "usecs" or "msecs"; @div converts ns to it. Nothing is
 * printed for an empty histogram (as bcc). With @div > 1 a bucket that
 * straddles a slot edge once divided counts whole in the slot of its middle.
 */
void hist_print_log2(FILE *f, const struct hist *h, const char *unit, __u64 div);
/* How many values are <= 2^@k (@k < HIST_LOG2_SLOTS; above: all). */
__u64 hist_count_le_pow2(const struct hist *h, unsigned int k);
/* Merge @src into @dst */
void hist_merge(struct hist *dst, const struct hist *src);

#endif
