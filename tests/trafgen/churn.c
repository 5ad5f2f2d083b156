// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trafgen --churn: connections back to back, the load of the overhead
 * benchmarks (tests/bench/), with the number of events the kernel emitted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trafgen.h"

/*
 * --churn: connections back to back for a fixed time, each one connect,
 * accept, one small echo round trip, close, with no endpoint changes while it
 * runs. What each connection makes the kernel emit, by the reasoning of the
 * scenario above:
 *   the echo round trip      CREATED, ESTABLISHED      both sides    4
 *   close of both ends       CLOSED                    both sides    2
 * With --subflows the server has one signal endpoint from the start, so the
 * in-kernel PM announces it to every new connection once it is fully
 * established and the client joins to it; each cycle waits for that join to
 * be established on both ends before closing:
 *   ADD_ADDR received        ANNOUNCED                 client        1
 *   join established         SUB_ESTABLISHED           both sides    2
 * The join is closed with the connection (msk no longer established), which
 * emits no SUB_CLOSED. Plus LISTENER_CREATED/CLOSED once (6.2+). events= is
 * the sum; the scenario's per-step checks (MPTCP_INFO: not fallen back, a
 * token on both ends; both subflows established) are kept, each cycle.
 *
 * Now and then (about one connection in 1500 in a TCG guest) the join does
 * not come at all. Such a cycle is given up after CHURN_JOIN_GIVEUP_MS: its
 * connection and its time are left out of conns=, seconds= and events= (what
 * it emitted is not known), and the line ends with stalled=K stalled_s=T.
 *
 * --churn-failures PERCENT: that share of the cycles, spread evenly, ends in
 * a failure instead, the kinds in turn (churn_fail_end()): the join reset
 * with ss -K in the client (the server gets the reset), in the server (the
 * client gets a peer reset), and a close() with SO_LINGER 0 (MP_FASTCLOSE;
 * the only kind without --subflows). Their events are counted as trafgen's
 * failure scenarios observe them: two SUB_CLOSED for a reset join, seen closed
 * on both ends while the connection lives; a CLOSED per msk that still has its
 * token at close() (a fastclose receiver has lost it). The line then ends with
 * failures=F reset_client=A reset_server=B fastclose=C.
 *
 * --sink joins mptcp_pm_events in the client netns on a socket that is read
 * only after the run: the kernel builds and queues each client-side event as
 * for any listener, and no process wakes up for it, the floor of what any
 * netlink listener costs. The line ends with sink_msgs=N (queued, read after
 * the run) sink_drops=N (not queued: the floor is then too low).
 */
#define CHURN_EVENTS	     6
#define CHURN_EVENTS_SUBFLOW 3
#define CHURN_POLL_NS	     50000 /* join not yet established: look again after */
#define CHURN_JOIN_GIVEUP_MS 1000
/*
 * --sink: the queue of the listener that is not read holds every event of a
 * run (about 1.3 KiB of truesize each); SO_RCVBUFFORCE, so rmem_max does not cap it.
 */
#define SINK_RCVBUF (256 << 20)

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleep until CLOCK_MONOTONIC @t (ns). */
static void sleep_until(long long t)
{
	struct timespec ts = { .tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * Both ends have their two subflows established. The path manager works in
 * softirqs and a workqueue, with nothing to poll() on: look again after a
 * short sleep (milliseconds, as in poll_until(), would cap the rate).
 * 1: the join did not come in time (a stalled cycle).
 */
static int churn_join_wait(struct run *r, struct conn *c)
{
	int giveup = env.timeout_ms < CHURN_JOIN_GIVEUP_MS ? env.timeout_ms : CHURN_JOIN_GIVEUP_MS;
	long long deadline = now_ns() + giveup * 1000000LL;
	struct obs_subflows cs = { 0 }, ss = { 0 };
	struct timespec nap = { .tv_nsec = CHURN_POLL_NS };
	int err;

	for (;;) {
		err = both_subflows(c, &cs, &ss);
		if (err)
			return fail(r, EXIT_STEP, err, "conn %u: MPTCP_TCPINFO: %s", c->idx,
				    strerror(-err));
		if (cs.count == 2 && cs.established == 2 && ss.count == 2 && ss.established == 2)
			return 0;
		if (now_ns() >= deadline) {
			fprintf(stderr,
				"trafgen: conn %u: join not established within %d ms (subflows "
				"established: client %u/%u, server %u/%u): cycle left out\n",
				c->idx, giveup, cs.established, cs.count, ss.established, ss.count);
			return 1;
		}
		nanosleep(&nap, NULL);
	}
}

/* --churn-failures: what a failing cycle does, in turn */
enum churn_fail {
	CF_NONE,
	CF_RESET_CLIENT, /* ss -K of the join in the client: the server gets the reset */
	CF_RESET_SERVER, /* ss -K of the join in the server: the client gets a peer reset */
	CF_FASTCLOSE,	 /* the client closes with SO_LINGER 0 */
	CF_MAX,
};

static const char *const fail_names[CF_MAX] = {
	[CF_RESET_CLIENT] = "reset_client",
	[CF_RESET_SERVER] = "reset_server",
	[CF_FASTCLOSE] = "fastclose",
};

struct churn_stats {
	unsigned int conns, stalled;
	long long stalled_ns;
	unsigned long long events;
	unsigned int failed[CF_MAX];
};

/*
 * Which cycles fail: PERCENT of them, spread evenly (cycle n fails when
 * n * PERCENT / 100 steps up), the kinds taken in turn; without --subflows
 * there is no join to reset, only fastclose.
 */
static enum churn_fail churn_fail_kind(const struct churn_stats *st)
{
	unsigned long long n = st->conns + st->stalled, total = 0;
	unsigned int k;

	if (!env.churn_failures ||
	    (n + 1) * env.churn_failures / 100 == n * env.churn_failures / 100)
		return CF_NONE;
	if (!env.churn_subflows)
		return CF_FASTCLOSE;
	for (k = 0; k < CF_MAX; k++)
		total += st->failed[k];
	return CF_RESET_CLIENT + total % (CF_MAX - CF_RESET_CLIENT);
}

/*
 * A failing cycle's end, its events counted as the failure scenarios list
 * them (scenario.c): a reset join is seen closed on both sides while the
 * connection lives (two SUB_CLOSED), then both close (CLOSED each); a
 * fastclose gives the sender's CLOSED, and the receiver's only if its token
 * survived it.
 */
static int churn_fail_end(struct run *r, struct conn *c, enum churn_fail kind)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int server = kind == CF_RESET_SERVER, err;

	if (kind == CF_FASTCLOSE) {
		if (setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			return fail(r, EXIT_STEP, -errno, "client: SO_LINGER 0: %s",
				    strerror(errno));
		err = close_msk(r, c, &c->cfd, &r->cli);
		if (!err)
			err = wait_until(r, c, hangup_done, "server msk closed by MP_FASTCLOSE");
		return err ? err : close_msk(r, c, &c->sfd, &r->srv);
	}
	err = kill_join(r, c, server, AF_INET, server ? &env.srv[1] : &env.cli[1]);
	if (!err)
		err = wait_joins(r, c, 0, "the reset join closed on both sides");
	if (!err)
		err = conn_alive(r, c, "the join's reset");
	if (!err)
		err = expect_sub_closed(r, c, 1);
	if (!err)
		err = close_msk(r, c, &c->sfd, &r->srv);
	return err ? err : close_msk(r, c, &c->cfd, &r->cli);
}

/* One cycle; its events added to @events. 1: the join never came (left out) */
static int churn_conn(struct run *r, unsigned int idx, enum churn_fail kind,
		      unsigned long long *events)
{
	struct conn c = { .idx = idx, .cfd = -1, .sfd = -1 };
	unsigned long long counted = r->counted;
	int err;

	err = conn_open(r, &c);
	if (!err)
		err = conn_echo(r, &c);
	if (!err)
		err = msk_token(r, &c, c.cfd, "client", &c.ctok);
	if (!err)
		err = msk_token(r, &c, c.sfd, "server", &c.stok);
	if (!err && env.churn_subflows)
		err = churn_join_wait(r, &c);
	if (!err && kind != CF_NONE) {
		err = churn_fail_end(r, &c, kind);
		*events += CHURN_EVENTS - 2 + (env.churn_subflows ? CHURN_EVENTS_SUBFLOW : 0) +
			   r->counted - counted;
	} else if (!err) {
		*events += CHURN_EVENTS + (env.churn_subflows ? CHURN_EVENTS_SUBFLOW : 0);
	}
	/*
	 * The server closes first: the side that closes first keeps the subflow
	 * in TIME_WAIT, and on the server that holds no port of the client's
	 * ephemeral range.
	 */
	if (c.sfd >= 0 && close(c.sfd) < 0 && err <= 0)
		err = fail(r, EXIT_STEP, -errno, "conn %u: server close: %s", idx, strerror(errno));
	if (c.cfd >= 0 && close(c.cfd) < 0 && err <= 0)
		err = fail(r, EXIT_STEP, -errno, "conn %u: client close: %s", idx, strerror(errno));
	return err;
}

static int churn_setup(struct run *r, int *sink)
{
	struct pm_endpoint ep = signal_endpoint(0);
	int err;

	/* a failing cycle's events are counted, not listed: thousands of tokens */
	r->count_only = 1;
	if (env.churn_sink) {
		err = side_enter(r, &r->cli, env.client_ns);
		if (err)
			return err;
		*sink = pm_genl_sink_open(&r->cli.pm, SINK_RCVBUF);
		if (*sink < 0)
			return fail(r, EXIT_SETUP, *sink, "client: join mptcp_pm_events: %s",
				    strerror(-*sink));
	}
	if (!env.churn_subflows)
		return 0;
	/* no connection yet: the endpoint is announced to each one to come */
	err = pm_genl_add_addr(&r->srv.pm, &ep);
	if (err)
		return fail(r, EXIT_SETUP, err, "server: ADD_ADDR %s id %u: %s", inet_ntoa(ep.addr),
			    ep.id, pm_why(&r->srv.pm, err));
	return 0;
}

/* Cycles until the end of --churn; 0 and the figures in @st, or an error */
static int churn_loop(struct run *r, struct churn_stats *st, long long t0)
{
	long long end = t0 + env.churn_ms * 1000000LL, start;
	enum churn_fail kind;
	int err = 0;

	while (!err && now_ns() < end) {
		if (env.rate) {
			long long next = t0 + (long long)st->conns * 1000000000LL / env.rate;

			if (next >= end)
				break;
			sleep_until(next);
		}
		start = now_ns();
		kind = churn_fail_kind(st);
		err = churn_conn(r, st->conns + st->stalled + 1, kind, &st->events);
		if (err == 1) {
			st->stalled++;
			st->stalled_ns += now_ns() - start;
			err = 0;
		} else if (!err) {
			st->conns++;
			st->failed[kind]++;
		}
	}
	return err;
}

static void churn_print(const struct churn_stats *st, double secs, int sink,
			unsigned long long sink_msgs, unsigned long long sink_drops)
{
	unsigned int k, failures = 0;

	printf("churn conns=%u seconds=%.3f rate=%.1f/s events=%llu", st->conns, secs,
	       st->conns / secs, st->events);
	if (st->stalled)
		printf(" stalled=%u stalled_s=%.3f", st->stalled, st->stalled_ns / 1e9);
	if (sink >= 0)
		printf(" sink_msgs=%llu sink_drops=%llu", sink_msgs, sink_drops);
	if (env.churn_failures) {
		for (k = CF_RESET_CLIENT; k < CF_MAX; k++)
			failures += st->failed[k];
		printf(" failures=%u", failures);
		for (k = CF_RESET_CLIENT; k < CF_MAX; k++)
			printf(" %s=%u", fail_names[k], st->failed[k]);
	}
	putchar('\n');
	fflush(stdout);
}

int run_churn(struct run *r)
{
	struct churn_stats st = { 0 };
	unsigned long long sink_msgs = 0, sink_drops = 0;
	long long t0, t1;
	int err, sink = -1;

	err = churn_setup(r, &sink);
	t0 = now_ns();
	if (!err)
		err = churn_loop(r, &st, t0);
	t1 = now_ns();
	/*
	 * Let the closed msks go before the endpoint is flushed (run_cleanup):
	 * an orphan still exchanging its DATA_FIN would be sent the RM_ADDR.
	 */
	if (!err)
		err = conn_quiesce(r, &(struct conn){ .idx = st.conns });
	if (!err)
		err = listener_close(r);
	if (!err && sink >= 0) {
		err = pm_genl_sink_drain(sink, &sink_msgs, &sink_drops);
		if (err)
			fail(r, EXIT_SETUP, err, "client: sink: %s", strerror(-err));
	}
	if (!err) {
		st.events += r->listener_events ? 2 : 0;
		churn_print(&st, (t1 - t0 - st.stalled_ns) / 1e9, sink, sink_msgs, sink_drops);
	}
	if (sink >= 0)
		close(sink);
	return err;
}
