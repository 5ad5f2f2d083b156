// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Correlator + histogram throughput, and the pending table's high-water mark
 * when every netlink event is lost. Synthetic data, one thread.
 *
 * Build and run from the top of the repository:
 *   cc -std=gnu11 -O2 -Iinclude -Isrc tests/bench/bench_correlate.c src/correlate.c \
 *      src/hist.c -o build/bench_correlate && build/bench_correlate [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "correlate.h"
#include "hist.h"

#define BATCH 64 /* records per ring-buffer drain */

static const __u8 lifecycle[] = { EVLAT_EV_CREATED,	    EVLAT_EV_ESTABLISHED,
				  EVLAT_EV_SUB_ESTABLISHED, EVLAT_EV_SUB_PRIORITY,
				  EVLAT_EV_SUB_CLOSED,	    EVLAT_EV_CLOSED };
#define NLIFE (sizeof(lifecycle) / sizeof(lifecycle[0]))

static struct hist h_nl, h_send;
static __u64 gap_ns = 1000; /* between two events */

static void on_result(void *ctx, const struct corr_result *r)
{
	if (r->status != CORR_DELIVERED)
		return;
	hist_add(&h_nl, r->nl.recv_ns - r->hook.ktime_ns);
	if (r->have_send)
		hist_add(&h_send, r->send_ns - r->hook.ktime_ns);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Event i: connections of NLIFE events each, gap_ns apart, one subflow per connection. */
static void make(__u64 i, struct evlat_record *r, struct evlat_record *s, struct nl_event *e)
{
	__u32 token = (__u32)(i / NLIFE) * 2654435761u;

	*r = (struct evlat_record){ .kind = EVLAT_K_EVENT,
				    .event = lifecycle[i % NLIFE],
				    .family = AF_INET,
				    .netns = 4026532000u,
				    .token = token,
				    .sport = 1024 + i / NLIFE % 60000,
				    .dport = 5000,
				    .ktime_ns = i * gap_ns };
	*s = *r;
	s->kind = EVLAT_K_SEND;
	s->ktime_ns += 200;
	*e = (struct nl_event){ .type = r->event,
				.token = token,
				.family = AF_INET,
				.sport = r->sport,
				.dport = 5000,
				.present = NLE_TOKEN | NLE_FAMILY | NLE_SPORT | NLE_DPORT,
				.recv_ns = r->ktime_ns + 5000 + i % 97 * 100 };
}

/* The usual order: a batch's netlink events are read before its records. */
static void feed_batch(struct correlator *c, __u64 first, __u64 n, int lose_nl)
{
	struct evlat_record r[BATCH], s[BATCH];
	struct nl_event e[BATCH];
	__u64 i;

	for (i = 0; i < n; i++) {
		make(first + i, &r[i], &s[i], &e[i]);
		if (!lose_nl)
			corr_add_nl(c, &e[i], r[i].netns);
	}
	for (i = 0; i < n; i++) {
		corr_add_record(c, &r[i], e[n - 1].recv_ns);
		corr_add_record(c, &s[i], e[n - 1].recv_ns);
	}
	corr_expire(c, e[n - 1].recv_ns);
}

static struct correlator *run(__u64 n, int lose_nl, double *secs)
{
	struct corr_opts o = { .cb = on_result };
	struct correlator *c = corr_new(&o);
	__u64 i, t0;

	if (!c) {
		perror("corr_new");
		exit(1);
	}
	t0 = now_ns();
	for (i = 0; i < n; i += BATCH)
		feed_batch(c, i, n - i < BATCH ? n - i : BATCH, lose_nl);
	corr_flush(c);
	*secs = (now_ns() - t0) / 1e9;
	return c;
}

int main(int argc, char **argv)
{
	__u64 n = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;
	struct corr_stats st;
	struct correlator *c;
	double secs;

	hist_reset(&h_nl);
	hist_reset(&h_send);
	c = run(n, 0, &secs);
	corr_get_stats(c, &st);
	printf("matched: %llu triples in %.3f s: %.0f records/s, %.1f ns/record "
	       "(hook+send+netlink = 3 records), delivered %llu, pending max %u\n",
	       (unsigned long long)n, secs, 3 * n / secs, secs * 1e9 / (3 * n), st.delivered,
	       st.pending_max);
	printf("  hook->netlink p50 %llu p99 %llu max %llu ns; hook->send p50 %llu ns\n",
	       hist_quantile(&h_nl, 0.5), hist_quantile(&h_nl, 0.99), h_nl.max,
	       hist_quantile(&h_send, 0.5));
	corr_free(c);

	/* loss storms, 1 s timeout: 1 M events/s overflow the table, 10 k/s do not */
	for (gap_ns = 1000; gap_ns <= 100000; gap_ns *= 100) {
		c = run(n, 1, &secs);
		corr_get_stats(c, &st);
		printf("loss storm at %llu events/s: %.1f ns/record; pending max %u of %u, "
		       "not delivered %llu, evicted %llu\n",
		       1000000000ULL / gap_ns, secs * 1e9 / (2 * n), st.pending_max,
		       CORR_DEFAULT_CAPACITY, st.not_delivered, st.evicted);
		corr_free(c);
	}
	return 0;
}
