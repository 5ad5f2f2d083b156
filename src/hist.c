// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Log-linear latency histogram.
 *
 * Bucket b = slot * 2^HIST_SUB_BITS + sub: slot is the log2 slot of the
 * value (bcc's, [2^slot, 2^(slot+1)), 0 in slot 0) and sub splits that
 * octave into 16 equal parts. A bucket's width is at most 1/16 of its lower
 * bound, so reporting its upper bound overstates a quantile by less than
 * 6.25 % and never understates it. Octaves narrower than 16 (values < 16)
 * get one bucket per value: exact (0 and 1 share slot 0, not a bucket).
 * Log2 slots are sums of whole buckets.
 */
#include <stdint.h>
#include <string.h>

#include "hist.h"

#define SUB_N	 (1u << HIST_SUB_BITS)
#define HIST_TOP (1ULL << HIST_LOG2_SLOTS) /* first clamped value */

static unsigned int log2_slot(__u64 v)
{
	return v ? 63 - __builtin_clzll(v) : 0;
}

/* The k of the smallest 2^k >= v (0 for v <= 1), clamped to HIST_LOG2_SLOTS */
static unsigned int ceil_log2(__u64 v)
{
	unsigned int k = v <= 1 ? 0 : 64 - __builtin_clzll(v - 1);

	return k < HIST_LOG2_SLOTS ? k : HIST_LOG2_SLOTS;
}

static unsigned int bucket_of(__u64 v)
{
	unsigned int s, sub;

	if (v >= HIST_TOP)
		return HIST_BUCKETS - 1;
	if (v <= 1)
		return v; /* slot 0 holds two values: one bucket each */
	s = log2_slot(v);
	if (s >= HIST_SUB_BITS)
		sub = (unsigned int)(v >> (s - HIST_SUB_BITS)) - SUB_N;
	else
		sub = (unsigned int)(v << (HIST_SUB_BITS - s)) - SUB_N;
	return s * SUB_N + sub;
}

/* The largest value that lands in bucket @b (the last bucket has no end). */
static __u64 bucket_upper(unsigned int b)
{
	unsigned int s = b / SUB_N, sub = b % SUB_N;
	__u64 next = SUB_N + sub + 1; /* next bucket's lower bound, in 2^(s-SUB_BITS) units */

	if (b == HIST_BUCKETS - 1)
		return UINT64_MAX;
	if (s == 0)
		return b ? 1 : 0;
	if (s >= HIST_SUB_BITS)
		return (next << (s - HIST_SUB_BITS)) - 1;
	/* narrow octave: round the next lower bound up to a whole value */
	return ((next + (1u << (HIST_SUB_BITS - s)) - 1) >> (HIST_SUB_BITS - s)) - 1;
}

static __u64 bucket_lower(unsigned int b)
{
	return b ? bucket_upper(b - 1) + 1 : 0;
}

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, __u64 value)
{
	if (!h->count || value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
	h->count++;
	h->sum += value;
	h->buckets[bucket_of(value)]++;
	h->le_pow2[ceil_log2(value)]++;
}

__u64 hist_count_le_pow2(const struct hist *h, unsigned int k)
{
	__u64 n = 0;

	if (k >= HIST_LOG2_SLOTS)
		return h->count;
	for (unsigned int i = 0; i <= k; i++)
		n += h->le_pow2[i];
	return n;
}

__u64 hist_quantile(const struct hist *h, double q)
{
	__u64 rank, seen = 0, v;
	unsigned int b;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* the rank-th smallest value, 1-based: ceil(q * count) */
	rank = (__u64)(q * (double)h->count);
	if ((double)rank < q * (double)h->count || !rank)
		rank++;
	for (b = 0; b < HIST_BUCKETS - 1; b++) {
		seen += h->buckets[b];
		if (seen >= rank)
			break;
	}
	v = bucket_upper(b);
	return v > h->max ? h->max : v;
}

void hist_log2(const struct hist *h, __u64 slots[HIST_LOG2_SLOTS])
{
	unsigned int b;

	memset(slots, 0, HIST_LOG2_SLOTS * sizeof(slots[0]));
	for (b = 0; b < HIST_BUCKETS; b++)
		slots[b / SUB_N] += h->buckets[b];
}

/*
 * Slots of value / @div. A bucket that straddles a slot edge once divided
 * goes whole to the slot of its middle: off by less than a bucket's width.
 */
static void log2_scaled(const struct hist *h, __u64 div, __u64 slots[HIST_LOG2_SLOTS])
{
	unsigned int b, s;
	__u64 mid;

	if (div <= 1) {
		hist_log2(h, slots);
		return;
	}
	memset(slots, 0, HIST_LOG2_SLOTS * sizeof(slots[0]));
	for (b = 0; b < HIST_BUCKETS; b++) {
		if (!h->buckets[b])
			continue;
		mid = b == HIST_BUCKETS - 1
			      ? bucket_lower(b)
			      : bucket_lower(b) + (bucket_upper(b) - bucket_lower(b)) / 2;
		s = log2_slot(mid / div);
		slots[s < HIST_LOG2_SLOTS ? s : HIST_LOG2_SLOTS - 1] += h->buckets[b];
	}
}

static void print_bar(FILE *f, __u64 val, __u64 val_max, unsigned int width)
{
	unsigned int n = (unsigned int)(val * width / val_max), i;

	for (i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', f);
}

/*
 * bcc's layout: rows from slot 0 to the last non-empty slot, nothing at all
 * when empty, and wider columns with a half-length bar past slot 32.
 */
void hist_print_log2(FILE *f, const struct hist *h, const char *unit, __u64 div)
{
	__u64 slots[HIST_LOG2_SLOTS], val_max = 0, low, high;
	int i, last = -1, wide, width;

	log2_scaled(h, div, slots);
	for (i = 0; i < HIST_LOG2_SLOTS; i++) {
		if (slots[i])
			last = i;
		if (slots[i] > val_max)
			val_max = slots[i];
	}
	if (last < 0)
		return;
	wide = last > 32;
	width = wide ? 20 : 10;
	fprintf(f, "%*s%-*s : count    distribution\n", wide ? 15 : 5, "", wide ? 29 : 19, unit);
	for (i = 0; i <= last; i++) {
		low = (1ULL << (i + 1)) >> 1;
		high = (1ULL << (i + 1)) - 1;
		if (low == high)
			low--; /* slot 0 also holds 0 */
		fprintf(f, "%*lld -> %-*lld : %-8lld |", width, (long long)low, width,
			(long long)high, (long long)slots[i]);
		print_bar(f, slots[i], val_max, wide ? 20 : 40);
		fputs("|\n", f);
	}
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int b;

	if (!src->count)
		return;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (b = 0; b < HIST_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
	for (b = 0; b <= HIST_LOG2_SLOTS; b++)
		dst->le_pow2[b] += src->le_pow2[b];
}
