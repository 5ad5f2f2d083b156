// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Peak memory of the correlation path after N (default 1 M) MPTCP events:
 * one correlator sized like the tracer's default table (--pending 65536),
 * fed what the loader feeds it for IPv4 connections (CREATED, ESTABLISHED,
 * CLOSED each: a hook record, a send record, a netlink event), one latency
 * histogram per event type and stage, as the tracer keeps them.
 *
 *   bench_rss [delivered|lost] [EVENTS] [PENDING]
 *
 * delivered: every netlink event arrives (the steady state);
 * lost:      none does, so the table fills up and entries expire or are
 *            evicted (the worst case for memory).
 * Events come 1 us apart (1 M events/s), 64 to a ring-buffer drain.
 *
 * Prints one line of key=value: the peak resident set (VmHWM of
 * /proc/self/status) before the correlator exists, right after corr_new(),
 * and after the events, all in KiB, plus the correlator's counters.
 * tests/bench/run reads it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "correlate.h"
#include "hist.h"

#define DRAIN	    64	  /* records handed over per loop turn */
#define STEP_NS	    1000  /* between two events */
#define RECV_NS	    20000 /* hook -> our recv(), typical of a TCG guest / 10 */
#define SEND_NS	    300	  /* hook -> send path */
#define NETNS	    4026532164u
#define EV_TYPES    17	  /* event ids 0..16 */
#define STAGES	    3	  /* total, kernel, delivery */
#define PENDING_DEF 65536 /* mptcp-evlat --pending default */

static struct hist lat[EV_TYPES][STAGES];

static const __u8 life[] = { EVLAT_EV_CREATED, EVLAT_EV_ESTABLISHED, EVLAT_EV_CLOSED };

static long vmhwm_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void on_result(void *ctx, const struct corr_result *res)
{
	__u8 t = res->event < EV_TYPES ? res->event : 0;

	(void)ctx;
	if (res->status != CORR_DELIVERED)
		return;
	hist_add(&lat[t][0], res->nl.recv_ns - res->hook.ktime_ns);
	if (res->have_send) {
		hist_add(&lat[t][1], res->send_ns - res->hook.ktime_ns);
		hist_add(&lat[t][2], res->nl.recv_ns - res->send_ns);
	}
}

/* Event @n: connection n / 3 (its own token and client port), type n % 3. */
static void event_at(__u64 n, struct evlat_record *hook, struct evlat_record *send,
		     struct nl_event *nl)
{
	static const __u8 cli[4] = { 10, 0, 1, 2 }, srv[4] = { 10, 0, 1, 1 };
	__u64 conn = n / 3;
	__u32 token = (__u32)((conn + 1) * 0x9e3779b1u);

	memset(hook, 0, sizeof(*hook));
	hook->kind = EVLAT_K_EVENT;
	hook->event = life[n % 3];
	hook->family = AF_INET;
	hook->netns = NETNS;
	hook->token = token;
	hook->sport = (__u16)(32768 + conn % 28000);
	hook->dport = 10100;
	hook->ktime_ns = 1000000000ULL + n * STEP_NS;
	memcpy(hook->saddr, cli, 4);
	memcpy(hook->daddr, srv, 4);

	*send = *hook;
	send->kind = EVLAT_K_SEND;
	send->ktime_ns += SEND_NS;

	memset(nl, 0, sizeof(*nl));
	nl->type = hook->event;
	nl->token = token;
	nl->family = AF_INET;
	nl->sport = hook->sport;
	nl->dport = hook->dport;
	memcpy(nl->saddr, cli, 4);
	memcpy(nl->daddr, srv, 4);
	nl->present = NLE_TOKEN | NLE_FAMILY | NLE_SADDR | NLE_DADDR | NLE_SPORT | NLE_DPORT;
	nl->recv_ns = hook->ktime_ns + RECV_NS;
}

/* One loop turn of the loader: the netlink events read, then the ring, then expiry. */
static void turn(struct correlator *c, __u64 first, unsigned int k, int lost)
{
	struct evlat_record hook[DRAIN], send[DRAIN];
	struct nl_event nl[DRAIN];
	unsigned int i;
	__u64 now;

	for (i = 0; i < k; i++)
		event_at(first + i, &hook[i], &send[i], &nl[i]);
	now = nl[k - 1].recv_ns;
	for (i = 0; !lost && i < k; i++)
		corr_add_nl(c, &nl[i], NETNS);
	for (i = 0; i < k; i++) {
		corr_add_record(c, &hook[i], now);
		corr_add_record(c, &send[i], now);
	}
	corr_expire(c, now);
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_rss [delivered|lost] [EVENTS] [PENDING]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "delivered";
	__u64 events = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
	unsigned long pending = argc > 3 ? strtoul(argv[3], NULL, 0) : PENDING_DEF;
	struct corr_opts o = { .capacity = (unsigned int)pending, .cb = on_result };
	long before, created, after;
	struct correlator *c;
	struct corr_stats st;
	int lost;
	__u64 n;

	if (strcmp(mode, "delivered") && strcmp(mode, "lost"))
		return usage();
	if (!events || !pending || pending > CORR_MAX_CAPACITY)
		return usage();
	lost = !strcmp(mode, "lost");
	for (n = 0; n < EV_TYPES * STAGES; n++)
		hist_reset(&lat[n / STAGES][n % STAGES]);

	before = vmhwm_kib();
	c = corr_new(&o);
	if (!c) {
		fprintf(stderr, "bench_rss: corr_new(%lu): %s\n", pending, strerror(errno));
		return 1;
	}
	created = vmhwm_kib();
	for (n = 0; n < events; n += DRAIN)
		turn(c, n, events - n < DRAIN ? (unsigned int)(events - n) : DRAIN, lost);
	corr_flush(c);
	after = vmhwm_kib();
	corr_get_stats(c, &st);
	printf("rss mode=%s events=%llu pending=%lu vmhwm_start_kib=%ld vmhwm_table_kib=%ld "
	       "vmhwm_end_kib=%ld delivered=%llu not_delivered=%llu evicted=%llu "
	       "pending_max=%u\n",
	       mode, (unsigned long long)events, pending, before, created, after, st.delivered,
	       st.not_delivered, st.evicted, st.pending_max);
	corr_free(c);
	return 0;
}
