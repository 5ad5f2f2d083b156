// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loss classification (src/event.c) and duplicate detection (src/dup.c). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dup.h"
#include "event.h"

static struct corr_result expired(__u8 kind, __u8 event, __u32 gfp, bool have_send)
{
	struct corr_result res = {
		.status = CORR_NOT_DELIVERED,
		.event = event,
		.have_hook = true,
		.have_send = have_send,
		.hook = { .kind = kind, .event = event, .gfp = gfp, .token = 0xabcd, .netns = 7 },
	};

	return res;
}

static enum evlat_status classify(struct corr_result res, struct classify_ctx cc)
{
	struct evlat_event ev;

	event_from_corr(&res, &cc, &ev);
	return ev.status;
}

static void test_undelivered(void)
{
	struct classify_ctx cc = { .send_probe = true, .listen_netns = 7 };

	/* no send record: the allocation failed; which kind from the gfp */
	CHECK(classify(expired(EVLAT_K_EVENT, EVLAT_EV_CREATED, 0x820, false), cc) ==
	      ST_LOST_ALLOC_ATOMIC);
	CHECK(classify(expired(EVLAT_K_EVENT, EVLAT_EV_CLOSED, 0xcc0, false), cc) ==
	      ST_LOST_ALLOC_OTHER);
	/* ANNOUNCED / REMOVED take no gfp argument: GFP_ATOMIC upstream */
	CHECK(classify(expired(EVLAT_K_ANNOUNCED, EVLAT_EV_ANNOUNCED, 0, false), cc) ==
	      ST_LOST_ALLOC_ATOMIC);
	CHECK(classify(expired(EVLAT_K_REMOVED, EVLAT_EV_REMOVED, 0, false), cc) ==
	      ST_LOST_ALLOC_ATOMIC);
	CHECK(classify(expired(EVLAT_K_LISTENER, EVLAT_EV_LISTENER_CLOSED, 0, false), cc) ==
	      ST_LOST_ALLOC_OTHER);
	/* sent but not received: an overrun only if our socket said so */
	CHECK(classify(expired(EVLAT_K_EVENT, EVLAT_EV_CREATED, 0x820, true), cc) ==
	      ST_NOT_DELIVERED);
	cc.overrun_seen = true;
	CHECK(classify(expired(EVLAT_K_EVENT, EVLAT_EV_CREATED, 0x820, true), cc) ==
	      ST_LOST_OVERRUN);
	/* -A: sent into another namespace, where we do not listen: not a loss */
	cc.listen_netns = 8;
	CHECK(classify(expired(EVLAT_K_EVENT, EVLAT_EV_CREATED, 0x820, true), cc) ==
	      ST_NO_LISTENER);
	/* ... but an allocation failure there is still one */
	CHECK(classify(expired(EVLAT_K_EVENT, EVLAT_EV_CREATED, 0x820, false), cc) ==
	      ST_LOST_ALLOC_ATOMIC);
	/* no evidence about the send path: never guess an allocation failure */
	cc = (struct classify_ctx){ .send_probe = false, .listen_netns = 7 };
	CHECK(classify(expired(EVLAT_K_EVENT, EVLAT_EV_CREATED, 0x820, false), cc) ==
	      ST_NOT_DELIVERED);
	cc = (struct classify_ctx){ .send_probe = true,
				    .send_drops_seen = true,
				    .listen_netns = 7 };
	CHECK(classify(expired(EVLAT_K_EVENT, EVLAT_EV_CREATED, 0x820, false), cc) ==
	      ST_NOT_DELIVERED);
}

static void test_other_statuses(void)
{
	struct classify_ctx cc = { .send_probe = true, .listen_netns = 7 };
	struct corr_result res = expired(EVLAT_K_EVENT, EVLAT_EV_CREATED, 0x820, true);

	res.status = CORR_DELIVERED;
	CHECK(classify(res, cc) == ST_DELIVERED);
	res.status = CORR_UNMATCHED_NL;
	res.have_hook = false;
	CHECK(classify(res, cc) == ST_UNMATCHED);
	res.status = CORR_EVICTED;
	CHECK(classify(res, cc) == ST_EVICTED);
	for (int st = 0; st < ST_MAX; st++)
		CHECK(strcmp(status_name(st), "?") != 0);
	CHECK_STR(status_name(ST_LOST_ALLOC_ATOMIC), "lost_alloc_atomic");
	CHECK_STR(status_name(ST_MAX), "?");
}

static struct evlat_record close_rec(__u8 sk_state, __u8 flags)
{
	struct evlat_record r = { .kind = EVLAT_K_CLOSE_SSK,
				  .family = AF_INET,
				  .sk_state = sk_state,
				  .token = 0x42,
				  .sport = 1,
				  .dport = 2,
				  .flags = EVLAT_F_HAVE_SSK | flags,
				  .loc_id = 3,
				  .rem_id = 4 };

	return r;
}

static void test_close_without_event(void)
{
	struct evlat_event ev;
	struct evlat_record r = close_rec(1, 0);

	/* established, first close: SUB_CLOSED will follow */
	CHECK(!event_from_close(&r, &ev));
	r = close_rec(7, 0);
	CHECK(event_from_close(&r, &ev));
	CHECK_STR(ev.reason, "not_established");
	CHECK(ev.type == EVLAT_EV_SUB_CLOSED && ev.status == ST_CLOSE_WITHOUT_EVENT);
	CHECK(ev.token == 0x42 && ev.loc_id == 3 && ev.rem_id == 4 && ev.sport == 1);
	r = close_rec(1, EVLAT_F_HAVE_CLOSE_DONE | EVLAT_F_CLOSE_EVENT_DONE);
	CHECK(event_from_close(&r, &ev));
	CHECK_STR(ev.reason, "already_sent");
}

static struct evlat_event sub_ev(__u8 type, __u16 sport)
{
	struct evlat_event ev = { .type = type, .token = 9, .netns = 1, .sport = sport };

	return ev;
}

static void test_duplicates(void)
{
	struct dup_table *t = calloc(1, sizeof(*t));
	struct evlat_event ev;

	if (!t)
		return;
	ev = sub_ev(EVLAT_EV_SUB_CLOSED, 100);
	CHECK(!dup_check(t, &ev));
	CHECK(dup_check(t, &ev)); /* the same subflow closed twice */
	ev = sub_ev(EVLAT_EV_SUB_CLOSED, 101);
	CHECK(!dup_check(t, &ev)); /* another subflow of the connection */
	ev = sub_ev(EVLAT_EV_SUB_ESTABLISHED, 100);
	CHECK(!dup_check(t, &ev)); /* the port is reused by a new subflow */
	ev = sub_ev(EVLAT_EV_SUB_CLOSED, 100);
	CHECK(!dup_check(t, &ev));
	ev = sub_ev(EVLAT_EV_CLOSED, 0);
	CHECK(!dup_check(t, &ev));
	CHECK(dup_check(t, &ev));
	ev = sub_ev(EVLAT_EV_CREATED, 0); /* token reuse: a new connection */
	CHECK(!dup_check(t, &ev));
	ev = sub_ev(EVLAT_EV_CLOSED, 0);
	CHECK(!dup_check(t, &ev));
	ev = sub_ev(EVLAT_EV_ANNOUNCED, 0); /* only closes are judged */
	CHECK(!dup_check(t, &ev) && !dup_check(t, &ev));
	ev = sub_ev(EVLAT_EV_CLOSED, 0);
	ev.netns = 2; /* same token in another namespace */
	CHECK(!dup_check(t, &ev));
	free(t);
}

int main(void)
{
	test_undelivered();
	test_other_statuses();
	test_close_without_event();
	test_duplicates();
	return check_report("test_classify");
}
