// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one report path (src/report.c): -e / -t filters, duplicates, the two
 * views (an -i reset clears the interval one only), counts without events,
 * the per-event JSON line, and the summaries rendered from the interval view;
 * the failure attributes of a SUB_CLOSED (error, reset reason and flags).
 */
#include <stdlib.h>

#include "check.h"
#include "output.h"
#include "report.h"

static struct evlat_event ev_of(unsigned int type, enum evlat_status st, __u32 token)
{
	struct evlat_event ev = { .type = type, .status = st, .token = token, .have_token = true };

	if (st == ST_DELIVERED) {
		ev.have_stage[STAGE_TOTAL] = true;
		ev.stage_ns[STAGE_TOTAL] = 1000 + token;
	}
	return ev;
}

static void send(struct report *r, unsigned int type, enum evlat_status st, __u32 token)
{
	struct evlat_event ev = ev_of(type, st, token);

	report_event(r, &ev);
}

static unsigned long long count(const struct report_view *v, unsigned int type,
				enum evlat_status st)
{
	return v->ev[type] ? v->ev[type]->status[st] : 0;
}

static void test_views(void)
{
	static const struct report_cfg cfg;
	struct report r;

	report_init(&r, &cfg, NULL, 100);
	send(&r, EVLAT_EV_CREATED, ST_DELIVERED, 1);
	send(&r, EVLAT_EV_CLOSED, ST_DELIVERED, 1);
	send(&r, EVLAT_EV_CLOSED, ST_DELIVERED, 1); /* the same connection closed twice */
	send(&r, EVLAT_EV_CREATED, ST_LOST_ALLOC_ATOMIC, 2);
	report_count(&r, EVLAT_EV_SUB_ESTABLISHED, ST_LOST_RINGBUF, 3);
	CHECK(count(&r.interval, EVLAT_EV_CREATED, ST_DELIVERED) == 1);
	CHECK(count(&r.interval, EVLAT_EV_CLOSED, ST_DELIVERED) == 1);
	CHECK(count(&r.interval, EVLAT_EV_CLOSED, ST_DUPLICATE) == 1);
	CHECK(count(&r.interval, EVLAT_EV_CREATED, ST_LOST_ALLOC_ATOMIC) == 1);
	CHECK(count(&r.interval, EVLAT_EV_SUB_ESTABLISHED, ST_LOST_RINGBUF) == 3);
	CHECK(r.interval.ev[EVLAT_EV_CREATED]->stage[STAGE_TOTAL].count == 1);
	CHECK(report_type_total(r.interval.ev[EVLAT_EV_CLOSED]) == 2);
	/* both views saw the same */
	CHECK(r.total.ev[EVLAT_EV_CLOSED] &&
	      !memcmp(r.interval.ev[EVLAT_EV_CLOSED], r.total.ev[EVLAT_EV_CLOSED],
		      sizeof(struct report_type)));
	/* -i: the interval starts again, the total goes on */
	report_reset_interval(&r, 200);
	CHECK(r.interval.start_ns == 200 && r.total.start_ns == 100);
	CHECK(count(&r.interval, EVLAT_EV_CLOSED, ST_DUPLICATE) == 0);
	CHECK(r.interval.ev[EVLAT_EV_CREATED]->stage[STAGE_TOTAL].count == 0);
	send(&r, EVLAT_EV_CLOSED, ST_DELIVERED, 1); /* still a duplicate after the reset */
	CHECK(count(&r.interval, EVLAT_EV_CLOSED, ST_DUPLICATE) == 1);
	CHECK(count(&r.total, EVLAT_EV_CLOSED, ST_DUPLICATE) == 2);
	CHECK(count(&r.total, EVLAT_EV_CREATED, ST_DELIVERED) == 1);
	CHECK(r.err == 0);
	report_free(&r);
}

static void test_filters(void)
{
	struct report_cfg cfg = { 0 };
	struct report r;

	cfg.filter.event_set = true;
	cfg.filter.events[EVLAT_EV_CREATED] = true;
	report_init(&r, &cfg, NULL, 0);
	send(&r, EVLAT_EV_CREATED, ST_DELIVERED, 1);
	send(&r, EVLAT_EV_CLOSED, ST_DELIVERED, 1);
	report_count(&r, EVLAT_EV_CLOSED, ST_LOST_RINGBUF, 5);
	report_count(&r, EVLAT_EV_CREATED, ST_LOST_RINGBUF, 5);
	CHECK(count(&r.total, EVLAT_EV_CREATED, ST_DELIVERED) == 1);
	CHECK(r.total.ev[EVLAT_EV_CLOSED] == NULL);
	CHECK(count(&r.total, EVLAT_EV_CREATED, ST_LOST_RINGBUF) == 5);
	CHECK(!report_wants(&r, 300, 0)); /* out of range: never */
	report_free(&r);

	cfg = (struct report_cfg){ .filter = { .token_set = true, .token = 7 } };
	report_init(&r, &cfg, NULL, 0);
	send(&r, EVLAT_EV_CREATED, ST_DELIVERED, 7);
	send(&r, EVLAT_EV_CREATED, ST_DELIVERED, 8);
	/* ring drops have no token: not attributable with -t */
	report_count(&r, EVLAT_EV_CREATED, ST_LOST_RINGBUF, 5);
	CHECK(count(&r.total, EVLAT_EV_CREATED, ST_DELIVERED) == 1);
	CHECK(count(&r.total, EVLAT_EV_CREATED, ST_LOST_RINGBUF) == 0);
	/* a status out of range is refused, not counted past the array */
	send(&r, EVLAT_EV_CREATED, ST_MAX, 7);
	CHECK(report_type_total(r.total.ev[EVLAT_EV_CREATED]) == 1);
	report_free(&r);
}

/* One JSON line per event through the same path, then the summary of the interval view */
static void test_outputs(void)
{
	struct report_cfg cfg = { .json = true };
	struct run_info info = { .now_ns = 2000000000, .genl_only = true, .nl_messages = 2 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct report r;

	report_init(&r, &cfg, f, 1000000000);
	send(&r, EVLAT_EV_CREATED, ST_RECEIVED, 0x10);
	send(&r, EVLAT_EV_CLOSED, ST_RECEIVED, 0x10);
	report_summary(&r, &info);
	fclose(f);
	CHECK(strstr(text, "{\"type\":\"event\",\"event\":\"created\",\"event_id\":1,"
			   "\"token\":\"0x00000010\"") == text);
	CHECK(strstr(text, "\"status\":\"received\"}\n{\"type\":\"event\",\"event\":\"closed\""));
	CHECK(strstr(text,
		     "{\"type\":\"summary\",\"mode\":\"genl-only\",\"duration_ns\":1000000000,"
		     "\"events\":{\"created\":{\"event_id\":1,\"count\":1,"));
	CHECK(strstr(text, "\"netlink\":{\"messages\":2,"));
	free(text);
	report_free(&r);

	/* the terminal summary of the same */
	cfg.json = false;
	text = NULL;
	f = open_memstream(&text, &len);
	report_init(&r, &cfg, f, 1000000000);
	send(&r, EVLAT_EV_CREATED, ST_RECEIVED, 0x10);
	report_summary(&r, &info);
	fclose(f);
	CHECK(strstr(text, "\nEVENT                COUNT\ncreated                  1\n") != NULL);
	CHECK(strstr(text, "interval: 1.0 s; since start: netlink 2 messages") != NULL);
	free(text);
	report_free(&r);
}

/* render @nl as received: the JSON line and the -v text line */
static void render_nl(const struct nl_event *nl, char **json, char **text)
{
	struct evlat_event ev;
	size_t len;
	FILE *f;

	event_from_nl(nl, 7, &ev);
	f = open_memstream(json, &len);
	json_event(f, &ev);
	fclose(f);
	f = open_memstream(text, &len);
	text_event(f, &ev);
	fclose(f);
}

/* SUB_CLOSED of a reset subflow: ERROR, RESET_REASON and RESET_FLAGS are shown */
static void test_failure_fields(void)
{
	struct nl_event nl = {
		.type = EVLAT_EV_SUB_CLOSED,
		.present = NLE_TOKEN | NLE_SPORT | NLE_DPORT | NLE_ERROR | NLE_RESET_REASON |
			   NLE_RESET_FLAGS,
		.token = 0x1234,
		.sport = 5000,
		.dport = 35153,
		.error = 104,
		.reset_reason = 3,
		.reset_flags = 1,
	};
	char *json = NULL, *text = NULL;

	render_nl(&nl, &json, &text);
	CHECK(strstr(json, ",\"sport\":5000,\"dport\":35153,\"error\":104,\"reset_reason\":3,"
			   "\"reset_flags\":1,") != NULL);
	CHECK(strstr(text, " dport=35153 error=104 reset_reason=3 reset_flags=0x1") != NULL);
	free(json);
	free(text);

	/* error 0 is still shown when sent; a message without them has none */
	nl.error = 0;
	nl.present &= ~(NLE_RESET_REASON | NLE_RESET_FLAGS);
	render_nl(&nl, &json, &text);
	CHECK(strstr(json, "\"error\":0,") && !strstr(json, "reset_"));
	CHECK(strstr(text, " error=0") && !strstr(text, "reset_"));
	free(json);
	free(text);
	nl.present &= ~NLE_ERROR;
	render_nl(&nl, &json, &text);
	CHECK(!strstr(json, "error") && !strstr(text, "error"));
	free(json);
	free(text);
}

int main(void)
{
	test_views();
	test_filters();
	test_outputs();
	test_failure_fields();
	return check_report("report");
}
