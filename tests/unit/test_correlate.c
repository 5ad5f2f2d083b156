// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Correlation on synthetic streams. Records carry a tag in .cpu and netlink
 * events one in .if_idx (neither is a matching field), so every test can say
 * which record was paired with which event.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "correlate.h"

#define NS	4026532000u
#define TIMEOUT 1000u
#define MAX_GOT 64
#define NO_TAG	(-1)

static struct {
	int n;
	struct corr_result r[MAX_GOT];
} got;

static void collect(void *ctx, const struct corr_result *res)
{
	if (got.n < MAX_GOT)
		got.r[got.n++] = *res;
}

static struct correlator *mk(unsigned int capacity)
{
	struct corr_opts o = { .capacity = capacity, .timeout_ns = TIMEOUT, .cb = collect };

	got.n = 0;
	return corr_new(&o);
}

static struct evlat_record hook(__u8 event, __u32 token, int tag, __u64 ktime)
{
	struct evlat_record r = { .kind = EVLAT_K_EVENT,
				  .event = event,
				  .netns = NS,
				  .token = token,
				  .cpu = tag,
				  .ktime_ns = ktime };

	if (event == EVLAT_EV_ANNOUNCED)
		r.kind = EVLAT_K_ANNOUNCED;
	else if (event == EVLAT_EV_REMOVED)
		r.kind = EVLAT_K_REMOVED;
	else if (event >= EVLAT_EV_LISTENER_CREATED)
		r.kind = EVLAT_K_LISTENER;
	return r;
}

/* A subflow 10.0.0.1:sport -> 10.0.0.2:dport. */
static struct evlat_record sf_hook(__u8 event, __u32 token, __u16 sport, int tag, __u64 ktime)
{
	struct evlat_record r = hook(event, token, tag, ktime);

	r.family = AF_INET;
	r.flags = EVLAT_F_HAVE_SSK;
	r.sport = sport;
	r.dport = 5000;
	inet_pton(AF_INET, "10.0.0.1", r.saddr);
	inet_pton(AF_INET, "10.0.0.2", r.daddr);
	return r;
}

static struct evlat_record send_rec(__u8 event, __u32 token, __u64 ktime)
{
	struct evlat_record r = {
		.kind = EVLAT_K_SEND, .event = event, .netns = NS, .token = token, .ktime_ns = ktime
	};

	return r;
}

static struct nl_event nl(__u8 type, __u32 token, int tag, __u64 recv)
{
	struct nl_event e = { .type = type,
			      .token = token,
			      .if_idx = tag,
			      .recv_ns = recv,
			      .present = NLE_TOKEN | NLE_IF_IDX };

	return e;
}

static struct nl_event sf_nl(__u8 type, __u32 token, __u16 sport, int tag, __u64 recv)
{
	struct nl_event e = nl(type, token, tag, recv);

	e.present |= NLE_FAMILY | NLE_SADDR | NLE_DADDR | NLE_SPORT | NLE_DPORT;
	e.family = AF_INET;
	e.sport = sport;
	e.dport = 5000;
	inet_pton(AF_INET, "10.0.0.1", e.saddr);
	inet_pton(AF_INET, "10.0.0.2", e.daddr);
	return e;
}

static void add(struct correlator *c, struct evlat_record r, __u64 now)
{
	corr_add_record(c, &r, now);
}

static void add_nl(struct correlator *c, struct nl_event e)
{
	corr_add_nl(c, &e, NS);
}

/* Result @i has this status, hook tag and netlink tag (NO_TAG: that half absent). */
static int is(int i, enum corr_status st, int hook_tag, int nl_tag)
{
	const struct corr_result *r = &got.r[i];

	if (i >= got.n || r->status != st || r->have_hook != (hook_tag != NO_TAG) ||
	    r->have_nl != (nl_tag != NO_TAG))
		return 0;
	return (!r->have_hook || (int)r->hook.cpu == hook_tag) &&
	       (!r->have_nl || r->nl.if_idx == nl_tag);
}

static struct corr_stats stats(const struct correlator *c)
{
	struct corr_stats st;

	corr_get_stats(c, &st);
	return st;
}

static void test_in_order(void)
{
	struct correlator *c = mk(16);

	add(c, sf_hook(EVLAT_EV_SUB_ESTABLISHED, 7, 40000, 1, 100), 150);
	add(c, send_rec(EVLAT_EV_SUB_ESTABLISHED, 7, 110), 150);
	CHECK(got.n == 0);
	add_nl(c, sf_nl(EVLAT_EV_SUB_ESTABLISHED, 7, 40000, 11, 120));
	/* all three halves: reported at once */
	CHECK(got.n == 1 && is(0, CORR_DELIVERED, 1, 11));
	CHECK(got.r[0].have_send && got.r[0].send_ns == 110 && got.r[0].event == 10);
	CHECK(stats(c).delivered == 1 && stats(c).pending == 0 && stats(c).pending_max == 1);
	corr_free(c);
}

static void test_nl_first(void)
{
	struct correlator *c = mk(16);

	add_nl(c, nl(EVLAT_EV_CLOSED, 9, 11, 120));
	add(c, hook(EVLAT_EV_CLOSED, 9, 1, 100), 200);
	/* paired, but its send record may be next in the ring: held */
	CHECK(got.n == 0 && stats(c).pending == 1);
	add(c, send_rec(EVLAT_EV_CLOSED, 9, 110), 200);
	CHECK(got.n == 1 && is(0, CORR_DELIVERED, 1, 11) && got.r[0].have_send);

	/* no send record by the end of the batch: delivered without one */
	add_nl(c, nl(EVLAT_EV_CLOSED, 9, 12, 320));
	add(c, hook(EVLAT_EV_CLOSED, 9, 2, 300), 400);
	corr_expire(c, 400);
	CHECK(got.n == 2 && is(1, CORR_DELIVERED, 2, 12) && !got.r[1].have_send);
	CHECK(stats(c).delivered == 2 && stats(c).pending == 0);
	corr_free(c);
}

/*
 * A send record can come a turn after its event (another CPU still holds an
 * earlier place in the ring): with send_wait_ns the pair waits for it.
 */
static void test_send_wait(void)
{
	struct corr_opts o = {
		.capacity = 16, .timeout_ns = TIMEOUT, .send_wait_ns = 50, .cb = collect
	};
	struct correlator *c;

	got.n = 0;
	c = corr_new(&o);
	add_nl(c, nl(EVLAT_EV_CLOSED, 9, 11, 120));
	add(c, hook(EVLAT_EV_CLOSED, 9, 1, 100), 200); /* paired at 200 */
	corr_expire(c, 200);
	corr_expire(c, 249);
	CHECK(got.n == 0 && stats(c).pending == 1);
	/* the send record one turn later: delivered with it */
	add(c, send_rec(EVLAT_EV_CLOSED, 9, 110), 260);
	CHECK(got.n == 1 && is(0, CORR_DELIVERED, 1, 11) && got.r[0].have_send &&
	      got.r[0].send_ns == 110);

	/* none comes: delivered without it once the wait is over, in pairing order */
	add_nl(c, nl(EVLAT_EV_CLOSED, 9, 12, 320));
	add(c, hook(EVLAT_EV_CLOSED, 9, 2, 300), 400); /* paired at 400 */
	add(c, hook(EVLAT_EV_CLOSED, 9, 3, 410), 420);
	add_nl(c, nl(EVLAT_EV_CLOSED, 9, 13, 430)); /* paired at 430 */
	corr_expire(c, 449);
	CHECK(got.n == 1);
	corr_expire(c, 450);
	CHECK(got.n == 2 && is(1, CORR_DELIVERED, 2, 12) && !got.r[1].have_send);
	corr_expire(c, 479);
	CHECK(got.n == 2 && stats(c).pending == 1);
	/* a clock behind the pairing time does not release it */
	corr_expire(c, 100);
	CHECK(got.n == 2);
	/* at exit nothing waits */
	corr_flush(c);
	CHECK(got.n == 3 && is(2, CORR_DELIVERED, 3, 13) && !got.r[2].have_send);
	CHECK(stats(c).delivered == 3 && stats(c).pending == 0);
	corr_free(c);
}

static void test_out_of_order_connections(void)
{
	struct correlator *c = mk(16);

	add_nl(c, nl(EVLAT_EV_CREATED, 0xc, 13, 130));
	add_nl(c, nl(EVLAT_EV_CREATED, 0xa, 11, 131));
	add_nl(c, nl(EVLAT_EV_CREATED, 0xb, 12, 132));
	add(c, hook(EVLAT_EV_CREATED, 0xa, 1, 100), 200);
	add(c, hook(EVLAT_EV_CREATED, 0xb, 2, 101), 200);
	add(c, hook(EVLAT_EV_CREATED, 0xc, 3, 102), 200);
	corr_expire(c, 200);
	CHECK(got.n == 3 && is(0, CORR_DELIVERED, 1, 11) && is(1, CORR_DELIVERED, 2, 12) &&
	      is(2, CORR_DELIVERED, 3, 13));
	corr_free(c);
}

static void test_missing_nl(void)
{
	struct correlator *c = mk(16);
	int i;

	for (i = 0; i < 5; i++)
		add(c, hook(EVLAT_EV_CREATED, 100 + i, i, 100 + i), 200);
	add_nl(c, nl(EVLAT_EV_CREATED, 101, 11, 210));
	add_nl(c, nl(EVLAT_EV_CREATED, 103, 13, 210));
	corr_expire(c, 200 + TIMEOUT);
	CHECK(got.n == 2 && is(0, CORR_DELIVERED, 1, 11) && is(1, CORR_DELIVERED, 3, 13));
	corr_expire(c, 201 + TIMEOUT);
	CHECK(got.n == 5 && is(2, CORR_NOT_DELIVERED, 0, NO_TAG) &&
	      is(3, CORR_NOT_DELIVERED, 2, NO_TAG) && is(4, CORR_NOT_DELIVERED, 4, NO_TAG));
	CHECK(stats(c).not_delivered == 3 && stats(c).delivered == 2 && stats(c).pending == 0);
	corr_free(c);
}

static void test_missing_record(void)
{
	struct correlator *c = mk(16);

	add_nl(c, nl(EVLAT_EV_ESTABLISHED, 1, 11, 100));
	add_nl(c, nl(EVLAT_EV_ESTABLISHED, 2, 12, 101));
	add_nl(c, nl(EVLAT_EV_ESTABLISHED, 3, 13, 102));
	add(c, hook(EVLAT_EV_ESTABLISHED, 2, 2, 90), 150);
	corr_expire(c, 150);
	corr_expire(c, 102 + TIMEOUT + 1);
	CHECK(got.n == 3 && is(0, CORR_DELIVERED, 2, 12) && is(1, CORR_UNMATCHED_NL, NO_TAG, 11) &&
	      is(2, CORR_UNMATCHED_NL, NO_TAG, 13));
	CHECK(stats(c).unmatched_nl == 2 && stats(c).delivered == 1);
	corr_free(c);
}

static void test_duplicates(void)
{
	struct correlator *c = mk(16);

	/* SUB_CLOSED twice for one subflow (the pre-2026 double-send bug) */
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 5, 40000, 1, 100), 300);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 5, 101), 300);
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 5, 40000, 2, 102), 300);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 5, 103), 300);
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 5, 40000, 11, 310));
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 5, 40000, 12, 311));
	CHECK(got.n == 2 && is(0, CORR_DELIVERED, 1, 11) && is(1, CORR_DELIVERED, 2, 12));
	CHECK(got.r[0].send_ns == 101 && got.r[1].send_ns == 103);

	/* the same, netlink side first */
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 5, 40000, 13, 410));
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 5, 40000, 14, 411));
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 5, 40000, 3, 400), 500);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 5, 401), 500);
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 5, 40000, 4, 402), 500);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 5, 403), 500);
	CHECK(got.n == 4 && is(2, CORR_DELIVERED, 3, 13) && is(3, CORR_DELIVERED, 4, 14));
	CHECK(got.r[2].send_ns == 401 && got.r[3].send_ns == 403);
	CHECK(stats(c).delivered == 4 && stats(c).pending == 0);
	corr_free(c);
}

static void test_token_reuse(void)
{
	struct correlator *c = mk(16);

	/* connection 1 (sport 40000): CREATED's event lost, CLOSED's record lost */
	add(c, sf_hook(EVLAT_EV_CREATED, 0x77, 40000, 1, 100), 200);
	add_nl(c, nl(EVLAT_EV_CLOSED, 0x77, 12, 150));
	/* connection 2 reuses the token: its CREATED is told apart by its port */
	add(c, sf_hook(EVLAT_EV_CREATED, 0x77, 41000, 3, 160), 200);
	add(c, hook(EVLAT_EV_CLOSED, 0x77, 4, 170), 200);
	add_nl(c, sf_nl(EVLAT_EV_CREATED, 0x77, 41000, 13, 210));
	/* ... its CLOSED by time: connection 1's event was received before it fired */
	add_nl(c, nl(EVLAT_EV_CLOSED, 0x77, 14, 211));
	corr_expire(c, 220);
	CHECK(got.n == 2 && is(0, CORR_DELIVERED, 3, 13) && is(1, CORR_DELIVERED, 4, 14));
	corr_expire(c, 200 + TIMEOUT + 1);
	CHECK(got.n == 4 && is(2, CORR_NOT_DELIVERED, 1, NO_TAG) &&
	      is(3, CORR_UNMATCHED_NL, NO_TAG, 12));

	/* CLOSED (token only) of a connection whose event was lost expired first */
	add(c, hook(EVLAT_EV_CLOSED, 0x88, 5, 5000), 5000);
	corr_expire(c, 5000 + TIMEOUT + 1);
	add(c, hook(EVLAT_EV_CLOSED, 0x88, 6, 9000), 9000);
	add_nl(c, nl(EVLAT_EV_CLOSED, 0x88, 16, 9010));
	corr_expire(c, 9010);
	CHECK(got.n == 6 && is(4, CORR_NOT_DELIVERED, 5, NO_TAG) && is(5, CORR_DELIVERED, 6, 16));
	corr_free(c);
}

static void test_expiry_boundary(void)
{
	struct correlator *c = mk(16);

	add(c, hook(EVLAT_EV_CLOSED, 1, 1, 900), 1000);
	add_nl(c, nl(EVLAT_EV_CLOSED, 2, 12, 1000));
	corr_expire(c, 1000 + TIMEOUT);
	/* pending exactly timeout_ns: not yet */
	CHECK(got.n == 0 && stats(c).pending == 2);
	corr_expire(c, 1000 + TIMEOUT + 1);
	CHECK(got.n == 2 && is(0, CORR_NOT_DELIVERED, 1, NO_TAG) &&
	      is(1, CORR_UNMATCHED_NL, NO_TAG, 12));
	/* a clock behind the entry's arrival never expires it */
	add(c, hook(EVLAT_EV_CLOSED, 3, 3, 2000), 5000);
	corr_expire(c, 10);
	CHECK(got.n == 2);
	corr_free(c);
}

static void test_table_full(void)
{
	struct correlator *c = mk(4);
	int i;

	for (i = 0; i < 6; i++)
		add(c, hook(EVLAT_EV_CREATED, 10 + i, i, 100 + i), 200 + i);
	/* the two oldest made room */
	CHECK(got.n == 2 && is(0, CORR_EVICTED, 0, NO_TAG) && is(1, CORR_EVICTED, 1, NO_TAG));
	CHECK(stats(c).evicted == 2 && stats(c).pending == 4 && stats(c).pending_max == 4);
	add_nl(c, nl(EVLAT_EV_CREATED, 10, 10, 300)); /* its record was evicted */
	CHECK(got.n == 3 && is(2, CORR_EVICTED, 2, NO_TAG));
	add_nl(c, nl(EVLAT_EV_CREATED, 15, 15, 301));
	CHECK(got.n == 3 && stats(c).pending == 4);
	corr_flush(c);
	CHECK(got.n == 7 && is(3, CORR_DELIVERED, 5, 15) && is(4, CORR_NOT_DELIVERED, 3, NO_TAG) &&
	      is(5, CORR_NOT_DELIVERED, 4, NO_TAG) && is(6, CORR_UNMATCHED_NL, NO_TAG, 10));
	corr_free(c);

	/* only matched pairs left: the oldest is delivered early, not lost */
	c = mk(2);
	add_nl(c, nl(EVLAT_EV_CLOSED, 1, 11, 100));
	add(c, hook(EVLAT_EV_CLOSED, 1, 1, 90), 110);
	add_nl(c, nl(EVLAT_EV_CLOSED, 2, 12, 100));
	add(c, hook(EVLAT_EV_CLOSED, 2, 2, 90), 110);
	add(c, hook(EVLAT_EV_CLOSED, 3, 3, 95), 110);
	CHECK(got.n == 1 && is(0, CORR_DELIVERED, 1, 11) && stats(c).evicted == 0);
	corr_free(c);
}

static void test_send_order(void)
{
	struct correlator *c = mk(16);

	/* netlink event matched before the reader drained the send record */
	add(c, hook(EVLAT_EV_ANNOUNCED, 3, 1, 100), 200);
	add_nl(c, nl(EVLAT_EV_ANNOUNCED, 3, 11, 120));
	CHECK(got.n == 0);
	add(c, send_rec(EVLAT_EV_ANNOUNCED, 3, 110), 200);
	CHECK(got.n == 1 && is(0, CORR_DELIVERED, 1, 11) && got.r[0].send_ns == 110);

	/* the send record came after the batch ended (dropped, or blocked): orphan */
	add(c, hook(EVLAT_EV_ANNOUNCED, 3, 2, 300), 400);
	add_nl(c, nl(EVLAT_EV_ANNOUNCED, 3, 12, 320));
	corr_expire(c, 400);
	CHECK(got.n == 2 && is(1, CORR_DELIVERED, 2, 12) && !got.r[1].have_send);
	add(c, send_rec(EVLAT_EV_ANNOUNCED, 3, 310), 500);
	CHECK(stats(c).orphan_send == 1);

	/* a send record never attaches to a hook that fired after it */
	add(c, hook(EVLAT_EV_ANNOUNCED, 3, 3, 600), 700);
	add(c, send_rec(EVLAT_EV_ANNOUNCED, 3, 590), 700);
	add(c, send_rec(EVLAT_EV_ANNOUNCED, 4, 610), 700); /* other token */
	CHECK(stats(c).orphan_send == 3);
	/* a hook with its send but no event: not delivered, yet it was sent */
	add(c, send_rec(EVLAT_EV_ANNOUNCED, 3, 605), 700);
	corr_flush(c);
	CHECK(got.n == 3 && is(2, CORR_NOT_DELIVERED, 3, NO_TAG) && got.r[2].have_send &&
	      got.r[2].send_ns == 605);
	corr_free(c);
}

static void test_announced_removed(void)
{
	struct correlator *c = mk(16);
	struct evlat_record r1 = hook(EVLAT_EV_ANNOUNCED, 3, 1, 100);
	struct evlat_record r2 = hook(EVLAT_EV_ANNOUNCED, 3, 2, 101);
	struct nl_event e1 = nl(EVLAT_EV_ANNOUNCED, 3, 11, 120);
	struct nl_event e2 = nl(EVLAT_EV_ANNOUNCED, 3, 12, 121);

	r1.rem_id = e1.rem_id = 1;
	r2.rem_id = e2.rem_id = 2;
	r1.family = r2.family = e1.family = e2.family = AF_INET;
	inet_pton(AF_INET, "10.0.9.1", r1.daddr);
	inet_pton(AF_INET, "10.0.9.2", r2.daddr);
	inet_pton(AF_INET, "10.0.9.1", e1.daddr);
	inet_pton(AF_INET, "10.0.9.2", e2.daddr);
	e1.present |= NLE_REM_ID | NLE_DADDR | NLE_FAMILY;
	e2.present |= NLE_REM_ID | NLE_DADDR | NLE_FAMILY;
	add(c, r1, 200);
	add(c, r2, 200);
	corr_add_nl(c, &e2, NS);
	/* same id, another address: a different announcement */
	inet_pton(AF_INET, "10.0.9.9", e1.daddr);
	corr_add_nl(c, &e1, NS);
	corr_expire(c, 200);
	CHECK(got.n == 1 && is(0, CORR_DELIVERED, 2, 12));

	r1 = hook(EVLAT_EV_REMOVED, 3, 3, 300);
	r2 = hook(EVLAT_EV_REMOVED, 3, 4, 301);
	e1 = nl(EVLAT_EV_REMOVED, 3, 13, 320);
	r1.rem_id = 1;
	r2.rem_id = e1.rem_id = 2;
	e1.present |= NLE_REM_ID;
	add(c, r1, 400);
	add(c, r2, 400);
	corr_add_nl(c, &e1, NS);
	corr_expire(c, 400);
	CHECK(got.n == 2 && is(1, CORR_DELIVERED, 4, 13));
	corr_free(c);
}

static void test_listener(void)
{
	struct correlator *c = mk(16);
	struct evlat_record r1 = sf_hook(EVLAT_EV_LISTENER_CREATED, 0, 10100, 1, 100);
	struct evlat_record r2 = sf_hook(EVLAT_EV_LISTENER_CREATED, 0, 10200, 2, 101);
	struct nl_event e1 = sf_nl(EVLAT_EV_LISTENER_CREATED, 0, 10100, 11, 120);
	struct nl_event e2 = sf_nl(EVLAT_EV_LISTENER_CREATED, 0, 10200, 12, 121);

	/* listener events carry no token, no daddr, no dport */
	e1.present &= ~(NLE_TOKEN | NLE_DADDR | NLE_DPORT);
	e2.present &= ~(NLE_TOKEN | NLE_DADDR | NLE_DPORT);
	e1.token = e2.token = 0xffff; /* absent: never read */
	r1.kind = r2.kind = EVLAT_K_LISTENER;
	add(c, r1, 200);
	add(c, r2, 200);
	corr_add_nl(c, &e2, NS);
	corr_add_nl(c, &e1, NS);
	corr_expire(c, 200);
	CHECK(got.n == 2 && is(0, CORR_DELIVERED, 2, 12) && is(1, CORR_DELIVERED, 1, 11));
	/* another namespace's listener on the same port is not ours */
	add(c, r1, 300);
	corr_add_nl(c, &e1, NS + 1);
	corr_flush(c);
	CHECK(got.n == 4 && is(2, CORR_NOT_DELIVERED, 1, NO_TAG) &&
	      is(3, CORR_UNMATCHED_NL, NO_TAG, 11));
	corr_free(c);
}

static void test_v4mapped(void)
{
	struct correlator *c = mk(16);
	struct evlat_record r = sf_hook(EVLAT_EV_SUB_ESTABLISHED, 4, 40000, 1, 100);
	struct evlat_record r6 = sf_hook(EVLAT_EV_SUB_ESTABLISHED, 4, 40000, 2, 101);
	struct nl_event e = sf_nl(EVLAT_EV_SUB_ESTABLISHED, 4, 40000, 11, 120);

	/* the record sees an AF_INET6 socket; the event says AF_INET */
	r.family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", r.saddr);
	inet_pton(AF_INET6, "::ffff:10.0.0.2", r.daddr);
	/* a real IPv6 subflow whose low 4 bytes look the same must not match */
	r6.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::a00:1", r6.saddr);
	inet_pton(AF_INET6, "2001:db8::a00:2", r6.daddr);
	add(c, r6, 200);
	add(c, r, 200);
	add_nl(c, e);
	/* and the other way round: mapped on the netlink side */
	r = sf_hook(EVLAT_EV_SUB_ESTABLISHED, 4, 40001, 3, 102);
	e = sf_nl(EVLAT_EV_SUB_ESTABLISHED, 4, 40001, 13, 121);
	e.family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", e.saddr);
	inet_pton(AF_INET6, "::ffff:10.0.0.2", e.daddr);
	add(c, r, 200);
	add_nl(c, e);
	corr_flush(c);
	CHECK(got.n == 3 && is(0, CORR_DELIVERED, 1, 11) && is(1, CORR_DELIVERED, 3, 13) &&
	      is(2, CORR_NOT_DELIVERED, 2, NO_TAG));
	corr_free(c);
}

static void test_subflows_by_port(void)
{
	struct correlator *c = mk(16);
	int i;

	for (i = 0; i < 3; i++) {
		add(c, sf_hook(EVLAT_EV_SUB_PRIORITY, 6, 40000 + i, i, 100 + 2 * i), 200);
		add(c, send_rec(EVLAT_EV_SUB_PRIORITY, 6, 101 + 2 * i), 200);
	}
	add_nl(c, sf_nl(EVLAT_EV_SUB_PRIORITY, 6, 40002, 12, 210));
	add_nl(c, sf_nl(EVLAT_EV_SUB_PRIORITY, 6, 40000, 10, 211));
	add_nl(c, sf_nl(EVLAT_EV_SUB_PRIORITY, 6, 40001, 11, 212));
	CHECK(got.n == 3 && is(0, CORR_DELIVERED, 2, 12) && is(1, CORR_DELIVERED, 0, 10) &&
	      is(2, CORR_DELIVERED, 1, 11));
	/* each send record went to its own hook */
	CHECK(got.r[0].send_ns == 105 && got.r[1].send_ns == 101 && got.r[2].send_ns == 103);

	/*
	 * An event came first, for the second of two hooks whose send records
	 * come after both: each send record still goes to its own hook (FIFO
	 * by hook arrival, not by entry creation).
	 */
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 6, 40001, 21, 300));
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 6, 40000, 20, 250), 400);
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 6, 40001, 21, 252), 400);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 6, 253), 400);
	CHECK(got.n == 3);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 6, 254), 400);
	CHECK(got.n == 4 && is(3, CORR_DELIVERED, 21, 21) && got.r[3].send_ns == 254);
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 6, 40000, 20, 410));
	CHECK(got.n == 5 && is(4, CORR_DELIVERED, 20, 20) && got.r[4].send_ns == 253);
	corr_free(c);
}

/*
 * The identity rule (correlate.h): a hook record whose local port the
 * probe read as 0 (a reset subflow before the fix of issue 11) and the
 * event with the real port are one event, paired when one of them is
 * about to expire; two fields apart, or another token, they are not.
 */
static void test_loose(void)
{
	struct correlator *c = mk(16);
	struct evlat_record r;
	struct nl_event e;

	/* two subflows of one connection closed: one read right, one with sport 0 */
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 6, 0, 1, 100), 100);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 6, 101), 100);
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 6, 40002, 2, 102), 100);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 6, 103), 100);
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 6, 40001, 11, 150));
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 6, 40002, 12, 151));
	CHECK(got.n == 1 && is(0, CORR_DELIVERED, 2, 12) && !got.r[0].differs);
	corr_expire(c, 100 + TIMEOUT); /* nothing expires yet */
	CHECK(got.n == 1);
	corr_expire(c, 101 + TIMEOUT);
	CHECK(got.n == 2 && is(1, CORR_DELIVERED, 1, 11) && got.r[1].differs == CORR_F_SPORT);
	CHECK(got.r[1].have_send && got.r[1].send_ns == 101);
	CHECK(stats(c).loose == 1 && stats(c).pending == 0 && stats(c).not_delivered == 0 &&
	      stats(c).unmatched_nl == 0);

	/* the event side expires first: the same pairing, from the other end */
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 7, 40001, 21, 2000));
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 7, 0, 20, 1990), 2100);
	add(c, send_rec(EVLAT_EV_SUB_CLOSED, 7, 1995), 2100);
	corr_expire(c, 2001 + TIMEOUT);
	CHECK(got.n == 3 && is(2, CORR_DELIVERED, 20, 21) && got.r[2].differs == CORR_F_SPORT);

	/* two fields apart: not the same subflow */
	r = sf_hook(EVLAT_EV_SUB_CLOSED, 8, 0, 30, 3000);
	r.dport = 6000;
	add(c, r, 3000);
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 8, 40001, 31, 3050));
	/* another token: another connection */
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 9, 0, 32, 3001), 3001);
	/* an event older than the hook record cannot be its product */
	add_nl(c, sf_nl(EVLAT_EV_SUB_CLOSED, 10, 40001, 33, 2999));
	add(c, sf_hook(EVLAT_EV_SUB_CLOSED, 10, 0, 34, 3002), 3002);
	corr_flush(c);
	CHECK(got.n == 8);
	CHECK(stats(c).loose == 2 && stats(c).not_delivered == 3 && stats(c).unmatched_nl == 2);

	/* at exit too: the flush pairs what expiry would have */
	e = sf_nl(EVLAT_EV_SUB_ESTABLISHED, 11, 40001, 41, 5010);
	r = sf_hook(EVLAT_EV_SUB_ESTABLISHED, 11, 40001, 40, 5000);
	inet_pton(AF_INET, "10.0.0.9", r.saddr);
	add(c, r, 5000);
	add_nl(c, e);
	CHECK(got.n == 8);
	corr_flush(c);
	CHECK(got.n == 9 && is(8, CORR_DELIVERED, 40, 41) && got.r[8].differs == CORR_F_SADDR);
	corr_free(c);
}

static void test_ignored_and_opts(void)
{
	struct corr_opts o = { .capacity = CORR_MAX_CAPACITY + 1 };
	struct evlat_record r = sf_hook(0, 5, 40000, 1, 100);
	struct correlator *c = mk(0);

	CHECK(c != NULL);
	r.kind = EVLAT_K_CLOSE_SSK;
	add(c, r, 200);
	r.kind = EVLAT_K_MAX;
	add(c, r, 200);
	CHECK(stats(c).pending == 0 && stats(c).pending_max == 0);
	corr_free(c);
	corr_free(NULL);
	CHECK(corr_new(&o) == NULL && errno == EINVAL);
}

int main(void)
{
	test_in_order();
	test_nl_first();
	test_send_wait();
	test_out_of_order_connections();
	test_missing_nl();
	test_missing_record();
	test_duplicates();
	test_token_reuse();
	test_expiry_boundary();
	test_table_full();
	test_send_order();
	test_announced_removed();
	test_listener();
	test_v4mapped();
	test_subflows_by_port();
	test_loose();
	test_ignored_and_opts();
	return check_report("test_correlate");
}
