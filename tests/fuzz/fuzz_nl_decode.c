// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: the input is one datagram, as recv() would return it. It goes
 * through nl_decode_event() (the first message) and genl_listener_feed() (every
 * message, on a zeroed listener as tests/data replays use), and every event
 * that decodes is formatted with nl_event_format().
 *
 * The family id is the one of the recorded seeds (every .meta of tests/data says
 * family_id=28; seeds.sh refuses others), not fuzzed: mutations of a real
 * message keep its nlmsg_type, and a wrong one is a single early return.
 *
 * Besides ASan and UBSan, a broken promise of nl_decode.h / genl.h traps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "fuzz.h"
#include "genl.h"
#include "nl_decode.h"

#define FUZZ_FAMILY_ID 28
#define FUZZ_STAMP_NS  123456789ull
/* What main.c and the tools print an event into. */
#define LINE_SIZE 512

struct feed_seen {
	int events;
	struct nl_event first;
};

static int fmt_event(const void *ev, char *buf, size_t size)
{
	return nl_event_format(ev, buf, size);
}

static void on_event(void *ctx, const struct nl_event *ev)
{
	struct feed_seen *s = ctx;

	FUZZ_CHECK(ev->recv_ns == FUZZ_STAMP_NS);
	if (!s->events++)
		s->first = *ev;
	fuzz_check_line(fmt_event, ev, LINE_SIZE);
}

static int decode_ok(int err)
{
	return err == 0 || err == -ENODATA || err == -EMSGSIZE || err == -ENOMSG || err == -EBADMSG;
}

/* "Only the first message is read; bytes after its nlmsg_len are ignored." */
static void check_prefix(const unsigned char *buf, size_t len, int err, const struct nl_event *ev)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	struct nl_event again;
	unsigned char *copy;

	if (len < sizeof(*nlh) || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	copy = malloc(nlh->nlmsg_len);
	FUZZ_CHECK(copy);
	memcpy(copy, buf, nlh->nlmsg_len);
	FUZZ_CHECK(nl_decode_event(copy, nlh->nlmsg_len, FUZZ_FAMILY_ID, &again) == err);
	FUZZ_CHECK(err || !memcmp(&again, ev, sizeof(again)));
	free(copy);
}

/*
 * @len bytes are all the decoder may read: decode copies that are followed by
 * different bytes, and expect the same answer. ASan cannot see such a read
 * when libmnl (not instrumented) makes it. The patterns put a known attribute
 * type (1, TOKEN) or a bad length where the bytes after @len would be read as
 * a header at 1, 2 or 3 bytes past the end of an unaligned message.
 */
static void check_tail(const unsigned char *buf, size_t len, int err, const struct nl_event *ev)
{
	static const unsigned char tails[][4] = { { 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 0xff, 0xff } };
	unsigned char *copy = malloc(len + 4);
	struct nl_event other;

	FUZZ_CHECK(copy);
	memcpy(copy, buf, len);
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		memcpy(copy + len, tails[i], 4);
		FUZZ_CHECK(nl_decode_event(copy, len, FUZZ_FAMILY_ID, &other) == err);
		FUZZ_CHECK(err || !memcmp(&other, ev, sizeof(other)));
	}
	free(copy);
}

static void fuzz_decode(const unsigned char *buf, size_t len)
{
	struct nl_event ev;
	int err = nl_decode_event(buf, len, FUZZ_FAMILY_ID, &ev);

	FUZZ_CHECK(decode_ok(err));
	check_prefix(buf, len, err, &ev);
	check_tail(buf, len, err, &ev);
	if (err)
		return;
	FUZZ_CHECK(ev.recv_ns == 0);
	FUZZ_CHECK(!(ev.present & ~(NLE_SERVER_SIDE * 2 - 1)));
	fuzz_check_line(fmt_event, &ev, LINE_SIZE);
}

static void fuzz_feed(const unsigned char *buf, size_t len)
{
	struct genl_listener l = { .family_id = FUZZ_FAMILY_ID };
	struct feed_seen seen = { 0 };
	struct nl_event ev;
	int n;

	n = genl_listener_feed(&l, buf, len, FUZZ_STAMP_NS, on_event, &seen);
	FUZZ_CHECK(n >= 0 && n == seen.events);
	FUZZ_CHECK(l.datagrams == 1 && l.messages == (unsigned long long)n);
	/* The first message, when it decodes, is the first event. */
	if (len >= sizeof(struct nlmsghdr) && !nl_decode_event(buf, len, FUZZ_FAMILY_ID, &ev)) {
		ev.recv_ns = FUZZ_STAMP_NS;
		FUZZ_CHECK(n >= 1 && !memcmp(&seen.first, &ev, sizeof(ev)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exactly @size bytes on the heap (4-byte aligned, as feed wants): ASan sees any overread */
	unsigned char *buf = malloc(size ? size : 1);

	FUZZ_CHECK(buf);
	if (size)
		memcpy(buf, data, size);
	fuzz_decode(buf, size);
	fuzz_feed(buf, size);
	free(buf);
	return 0;
}
