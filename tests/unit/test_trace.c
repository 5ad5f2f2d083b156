// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --trace (src/trace.c) on a synthetic connection: nothing is printed before
 * its CLOSED plus the linger; then its lines in time order (whatever order
 * they were reported in), times relative to CREATED; the flags: an event a
 * consumer left unread, a command without effect, an event after CLOSED, a
 * duplicate, a loss; the JSON lines say the same; another connection is not
 * traced with a token given; a full table prints its oldest connection.
 */
#include <stdlib.h>

#include "check.h"
#include "trace.h"

#define TOK 0xabcdef01U
#define NS  7
#define MS  1000000ULL

static struct consumer mptcpd = { .ino = 50, .pid = 42, .comm = "mptcpd" };

static struct evlat_event ev(__u8 type, __u64 t, enum evlat_status st)
{
	struct evlat_event e = { .status = st,
				 .type = type,
				 .have_token = true,
				 .token = TOK,
				 .netns = NS,
				 .time_ns = t };

	e.have_stage[STAGE_KERNEL] = true;
	e.stage_ns[STAGE_KERNEL] = 20000;
	return e;
}

static struct delivery del(__u8 type, __u64 queued, enum delivery_status st, __u64 wait)
{
	struct delivery d = { .c = &mptcpd,
			      .status = st,
			      .event = type,
			      .have_token = true,
			      .token = TOK,
			      .netns = NS,
			      .time_ns = queued };

	if (st == DS_READ) {
		d.have_stage[DST_READ] = true;
		d.stage_ns[DST_READ] = wait;
	}
	return d;
}

static struct pm_command cmd(__u8 c, __u64 t, enum pm_effect_status eff)
{
	struct pm_command x = { .cmd = c,
				.have_token = true,
				.token = TOK,
				.netns = NS,
				.pid = 42,
				.comm = "mptcpd",
				.time_ns = t,
				.end_ns = t + MS,
				.effect = eff };

	x.have_trigger = true;
	x.trigger_event = EVLAT_EV_SUB_ESTABLISHED;
	x.trigger_read_ns = t - 2 * MS;
	x.have_stage[PMS_REACTION] = true;
	x.stage_ns[PMS_REACTION] = 2 * MS;
	if (eff == PME_SEEN) {
		x.effect_event = EVLAT_EV_SUB_CLOSED;
		x.effect_netns = NS;
		x.effect_token = TOK;
		x.effect_ns = t + MS / 2;
		x.effect_inside = true;
		x.have_stage[PMS_EFFECT] = true;
		x.stage_ns[PMS_EFFECT] = MS / 2;
	}
	return x;
}

/* The connection, reported out of order as the real paths do */
static void feed(struct trace *t)
{
	struct evlat_event e;
	struct delivery d;
	struct pm_command c;

	e = ev(EVLAT_EV_ESTABLISHED, 101 * MS, ST_DELIVERED);
	trace_event(t, &e);
	e = ev(EVLAT_EV_CREATED, 100 * MS, ST_DELIVERED);
	trace_event(t, &e);
	d = del(EVLAT_EV_CREATED, 100 * MS + 30000, DS_READ, 970000); /* read at +1 ms */
	trace_delivery(t, &d);
	c = cmd(EVLAT_CMD_SUBFLOW_DESTROY, 110 * MS, PME_SEEN);
	trace_command(t, &c);
	e = ev(EVLAT_EV_SUB_CLOSED, 110 * MS + MS / 2, ST_DELIVERED);
	trace_event(t, &e);
	c = cmd(EVLAT_CMD_SUBFLOW_CREATE, 111 * MS, PME_NONE);
	trace_command(t, &c);
	e = ev(EVLAT_EV_SUB_CLOSED, 112 * MS, ST_DUPLICATE);
	trace_event(t, &e);
	e = ev(EVLAT_EV_SUB_ESTABLISHED, 113 * MS, ST_LOST_ALLOC_ATOMIC);
	trace_event(t, &e);
	e = ev(EVLAT_EV_CLOSED, 120 * MS, ST_DELIVERED);
	trace_event(t, &e);
	d = del(EVLAT_EV_CLOSED, 120 * MS + 10000, DS_UNREAD, 0);
	trace_delivery(t, &d);
	/* the initial subflow closed after CLOSED, without an event: no event out of order */
	e = ev(EVLAT_EV_SUB_CLOSED, 125 * MS, ST_CLOSE_WITHOUT_EVENT);
	e.reason = "not_established";
	trace_event(t, &e);
	e = ev(EVLAT_EV_ANNOUNCED, 130 * MS, ST_DELIVERED); /* after CLOSED */
	trace_event(t, &e);
}

static struct trace *mk(bool json, bool all, FILE *f)
{
	struct trace_opts o = {
		.all = all, .token = TOK, .linger_ns = 50 * MS, .json = json, .out = f, .max = 2
	};

	return trace_new(&o);
}

/* the lines of @text starting with @prefix, in order: the index of each in @want, or -1 */
static int nth_line(const char *text, int n)
{
	const char *p = text;

	for (int i = 0; i < n && p; i++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return p ? (int)(p - text) : -1;
}

static void test_text(void)
{
	static const char *const want[] = {
		"",
		"connection token 0xabcdef01 netns 7: 12 lines, times from its CREATED",
		"      +0.000 ms  event    created          delivered     hook->send 0.020 ms",
		"      +1.000 ms  event    established      delivered     hook->send 0.020 ms",
		"      +1.000 ms  read     created          by mptcpd (pid 42, ino 50) "
		"queued->read "
		"0.970 ms",
		"     +10.000 ms  command  subflow_destroy  by mptcpd (pid 42): ok; trigger "
		"sub_established read at +8.000 ms reaction 2.000 ms; effect seen sub_closed at "
		"+10.500 ms "
		"(inside)",
		"     +10.500 ms  event    sub_closed       delivered     hook->send 0.020 ms",
		"     +11.000 ms  command  subflow_create   by mptcpd (pid 42): ok; trigger "
		"sub_established read at +9.000 ms reaction 2.000 ms; effect none",
		"     +12.000 ms  event    sub_closed       duplicate     hook->send 0.020 ms",
		"     +13.000 ms  event    sub_established  lost_alloc_atomic hook->send 0.020 ms",
		"     +20.000 ms  event    closed           delivered     hook->send 0.020 ms",
		"     +20.010 ms  unread   closed           by mptcpd (pid 42, ino 50)",
		"     +25.000 ms  event    sub_closed       close_without_event hook->send 0.020 "
		"ms",
		"     +30.000 ms  event    announced        delivered     hook->send 0.020 ms",
		"  !! no_effect subflow_create at +11.000 ms: no event of its effect came",
		"  !! duplicate sub_closed at +12.000 ms: the kernel sent it twice",
		"  !! lost      sub_established at +13.000 ms: lost_alloc_atomic",
		"  !! unread    closed at +20.010 ms: not read by mptcpd: unread",
		"  !! order     announced at +30.000 ms: after the connection's CLOSED",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct trace *t = mk(false, false, f);

	feed(t);
	/* another connection: not traced with a token given */
	{
		struct evlat_event e = ev(EVLAT_EV_CREATED, 1, ST_DELIVERED);

		e.token = TOK + 1;
		trace_event(t, &e);
	}
	trace_expire(t, 120 * MS + 50 * MS - 1);
	fflush(f);
	CHECK(len == 0);
	trace_expire(t, 120 * MS + 50 * MS);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int at = nth_line(text, i);
		const char *nl = at < 0 ? NULL : strchr(text + at, '\n');
		char got[400] = "";

		if (at >= 0 && nl)
			snprintf(got, sizeof(got), "%.*s", (int)(nl - text - at), text + at);
		CHECK_STR(got, want[i]);
	}
	CHECK(nth_line(text, sizeof(want) / sizeof(want[0])) == (int)len); /* nothing more */
	trace_flush(t); /* printed already: nothing again */
	free(text);
	trace_free(t);
}

static void test_json(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct trace *t = mk(true, true, f);

	feed(t);
	trace_flush(t);
	fclose(f);
	CHECK(strstr(text,
		     "{\"type\":\"trace\",\"netns\":7,\"token\":\"0xabcdef01\",\"t_ns\":0,"
		     "\"what\":\"connection\",\"items\":12,\"dropped\":0,\"created\":true}\n") ==
	      text);
	CHECK(strstr(text, "\"t_ns\":10000000,\"what\":\"command\",\"command\":\"subflow_destroy\","
			   "\"comm\":\"mptcpd\",\"pid\":42,\"result\":\"ok\",\"trigger\":"
			   "\"sub_established\",\"reaction_ns\":2000000,\"effect\":\"seen\","
			   "\"effect_event\":\"sub_closed\",\"effect_latency_ns\":500000,"
			   "\"peer\":false,\"inside\":true}\n"));
	CHECK(strstr(text, "\"t_ns\":20010000,\"what\":\"unread\",\"event\":\"closed\""));
	CHECK(strstr(text, "\"what\":\"flag\",\"flag\":\"order\",\"of\":\"announced\",\"why\":"
			   "\"after the connection's CLOSED\"}\n"));
	CHECK(strstr(text, "\"what\":\"flag\",\"flag\":\"no_effect\",\"of\":\"subflow_create\""));
	free(text);
	trace_free(t);
}

/* A full table: the oldest connection is printed to make room; an open one at exit */
static void test_full(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct trace *t = mk(false, true, f);

	for (__u32 i = 1; i <= 3; i++) {
		struct evlat_event e = ev(EVLAT_EV_CREATED, i * MS, ST_DELIVERED);

		e.token = i;
		trace_event(t, &e);
	}
	fflush(f);
	CHECK(strstr(text, "connection token 0x00000001") && !strstr(text, "0x00000002"));
	trace_flush(t);
	fclose(f);
	CHECK(strstr(text, "connection token 0x00000002") && strstr(text, "0x00000003"));
	free(text);
	trace_free(t);
}

int main(void)
{
	test_text();
	test_json();
	test_full();
	return check_report("trace");
}
