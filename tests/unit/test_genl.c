// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * genl listener, without privileges: datagram accounting (several messages
 * per datagram, bad ones counted and skipped) on recorded bytes, and the
 * open errors that need no root. The socket side runs as root in
 * tests/host/genl_listener.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "check.h"
#include "genl.h"
#include "nl_decode.h"

#define MAX_EVENTS 64

struct rec {
	__u16 family_id;
	size_t n;
	unsigned char *msg[MAX_EVENTS]; /* one message per recorded datagram */
	size_t len[MAX_EVENTS];
};

struct seen {
	size_t n;
	struct nl_event ev[MAX_EVENTS];
};

static void on_event(void *ctx, const struct nl_event *ev)
{
	struct seen *s = ctx;

	if (s->n < MAX_EVENTS)
		s->ev[s->n++] = *ev;
}

static FILE *data_file(const char *name)
{
	const char *dir = getenv("EVLAT_TEST_DATA") ?: "tests/data";
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "rb");
}

/* tests/data/v4.client.{meta,nlbin}: 4-byte LE length + datagram, repeated */
static int load(struct rec *r)
{
	FILE *m = data_file("v4.client.meta"), *f = data_file("v4.client.nlbin");
	unsigned char hdr[4];
	unsigned int fam = 0;
	int err = 0;

	if (!m || !f || fscanf(m, "family_id=%u", &fam) != 1)
		err = -ENOENT;
	r->family_id = fam;
	while (!err && r->n < MAX_EVENTS && fread(hdr, 1, 4, f) == 4) {
		size_t n = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (size_t)hdr[3] << 24;

		r->msg[r->n] = malloc(n);
		if (!r->msg[r->n] || fread(r->msg[r->n], 1, n, f) != n)
			err = -EIO;
		r->len[r->n++] = n;
	}
	if (m)
		fclose(m);
	if (f)
		fclose(f);
	return err;
}

/* Append message @i of @r to @dg (a datagram being built); returns the new length. */
static size_t put(unsigned char *dg, size_t off, const struct rec *r, size_t i)
{
	memcpy(dg + off, r->msg[i], r->len[i]);
	return off + MNL_ALIGN(r->len[i]);
}

static void test_several_per_datagram(const struct rec *r)
{
	struct genl_listener l = { .family_id = r->family_id };
	static unsigned char dg[8192] __attribute__((aligned(4)));
	struct seen s = { 0 };
	struct nl_event want;
	size_t off = 0;

	for (size_t i = 0; i < 3; i++)
		off = put(dg, off, r, i);
	CHECK(genl_listener_feed(&l, dg, off, 42, on_event, &s) == 3);
	CHECK(s.n == 3);
	CHECK(l.datagrams == 1 && l.messages == 3 && l.errors == 0);
	for (size_t i = 0; i < 3 && i < s.n; i++) {
		CHECK(nl_decode_event(r->msg[i], r->len[i], r->family_id, &want) == 0);
		want.recv_ns = 42;
		CHECK(!memcmp(&s.ev[i], &want, sizeof(want)));
	}
}

/* A bad message in the middle is counted and skipped; a ragged tail too. */
static void test_bad_ones_counted(const struct rec *r)
{
	struct genl_listener l = { .family_id = r->family_id };
	static unsigned char dg[8192] __attribute__((aligned(4)));
	struct seen s = { 0 };
	struct nlmsghdr *mid;
	size_t off;

	off = put(dg, 0, r, 0);
	mid = (struct nlmsghdr *)(dg + off);
	off = put(dg, off, r, 1);
	off = put(dg, off, r, 2);
	mid->nlmsg_type++; /* another family */
	CHECK(genl_listener_feed(&l, dg, off, 1, on_event, &s) == 2);
	CHECK(l.errors == 1 && l.messages == 2);

	mid->nlmsg_type--;
	((struct nlattr *)((unsigned char *)mnl_nlmsg_get_payload(mid) + 4))->nla_len += 1;
	memset(dg + off, 0xee, 6); /* a tail shorter than a header */
	CHECK(genl_listener_feed(&l, dg, off + 6, 2, on_event, &s) == 2);
	CHECK(l.datagrams == 2 && l.errors == 3 && l.messages == 4);
	CHECK(s.n == 4 && s.ev[3].recv_ns == 2);
}

/* Replaying a whole recorded file: one event per datagram, nothing lost. */
static void test_replay(const struct rec *r)
{
	struct genl_listener l = { .family_id = r->family_id };
	struct seen s = { 0 };

	for (size_t i = 0; i < r->n; i++)
		genl_listener_feed(&l, r->msg[i], r->len[i], i, on_event, &s);
	CHECK(r->n > 10);
	CHECK(l.messages == r->n && l.datagrams == r->n && l.errors == 0);
	CHECK(s.n == r->n && s.ev[0].type == 1 && s.ev[r->n - 1].type == 3);
}

static void test_closed_listener(void)
{
	struct genl_listener l;

	memset(&l, 0, sizeof(l));
	CHECK(genl_listener_fd(&l) == -1);
	CHECK(genl_listener_fd(NULL) == -1);
	CHECK(genl_listener_read(&l, on_event, NULL) == -EBADF);
	genl_listener_close(&l);
	genl_listener_close(NULL);
	CHECK(genl_listener_fd(&l) == -1);
}

/* Errors found before any privilege matters. */
static void test_open_errors(void)
{
	struct genl_listener l;

	CHECK(genl_listener_open(&l, "/run/netns/evlat-does-not-exist", 0) == -ENOENT);
	CHECK(l.nl == NULL && l.buf == NULL && genl_listener_fd(&l) == -1);
	/* setns() refuses a file that is not a namespace whoever we are */
	CHECK(genl_listener_open(&l, "/proc/self/stat", 0) == -EINVAL);
	CHECK(genl_listener_fd(&l) == -1);
	CHECK(genl_listener_open(NULL, NULL, 0) == -EINVAL);
}

int main(void)
{
	struct rec r = { 0 };

	test_closed_listener();
	test_open_errors();
	CHECK(load(&r) == 0);
	if (r.n >= 3) {
		test_several_per_datagram(&r);
		test_bad_ones_counted(&r);
		test_replay(&r);
	}
	for (size_t i = 0; i < r.n; i++)
		free(r.msg[i]);
	return check_report("genl");
}
