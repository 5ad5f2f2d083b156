// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nl_decode: recorded mptcp_pm_events datagrams (tests/data, made by
 * tests/tools/capture.sh on a 6.18 kernel) decode to what `ip mptcp monitor`
 * printed for the same events; malformed variants of them are refused with
 * the documented errno; the line and flag formatters.
 *
 * Data files are read from $EVLAT_TEST_DATA, else tests/data (tests/unit/run
 * runs from the repository root).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>

#include "check.h"
#include "names.h"
#include "nl_decode.h"

#define MAX_MSGS 256

struct capture {
	const char *name;
	__u32 required; /* bit per event type that the file must contain */
	__u16 family_id;
	size_t n;
	const struct nlmsghdr *msg[MAX_MSGS];
	size_t len[MAX_MSGS]; /* bytes from the message to the end of its datagram */
	size_t n_mon;
	char *mon[MAX_MSGS]; /* the monitor's lines, one per event */
};

#define T(x) (1u << (x))
#define SERVER_TYPES                                                                               \
	(T(1) | T(2) | T(3) | T(10) | T(11) | T(15) | T(16)) /* no ANNOUNCED etc. on the server */
#define CLIENT_TYPES (T(1) | T(2) | T(3) | T(6) | T(7) | T(10) | T(11) | T(13))

static struct capture caps[] = {
	{ .name = "v4.server", .required = SERVER_TYPES },
	{ .name = "v4.client", .required = CLIENT_TYPES },
	{ .name = "v6.server", .required = SERVER_TYPES },
	{ .name = "v6.client", .required = CLIENT_TYPES },
};

/* ---- loading ---------------------------------------------------------------- */

static char *slurp(const char *name, const char *ext, size_t *len)
{
	const char *dir = getenv("EVLAT_TEST_DATA") ?: "tests/data";
	char path[512];
	char *buf = NULL;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
out:
	if (!buf)
		fprintf(stderr, "cannot read %s\n", path);
	if (f)
		fclose(f);
	return buf;
}

/* One datagram, copied so that its messages are aligned; the copy is kept. */
static int add_datagram(struct capture *c, const unsigned char *p, size_t len)
{
	void *d = malloc(len ? len : 1);
	const struct nlmsghdr *nlh = d;
	int rem = len;

	if (!d)
		return -ENOMEM;
	memcpy(d, p, len);
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (c->n == MAX_MSGS)
			return -E2BIG;
		c->msg[c->n] = nlh;
		c->len[c->n++] = rem;
	}
	return rem ? -EBADMSG : 0;
}

/* <u32 little-endian length><datagram>, repeated (tests/data/README.md) */
static int load_nlbin(struct capture *c)
{
	size_t len, off = 0, n;
	unsigned char *b = (unsigned char *)slurp(c->name, "nlbin", &len);
	int err = b ? 0 : -ENOENT;

	while (!err && off < len) {
		if (len - off < 4)
			return -EBADMSG;
		n = b[off] | b[off + 1] << 8 | b[off + 2] << 16 | (size_t)b[off + 3] << 24;
		if (n > len - off - 4)
			return -EBADMSG;
		err = add_datagram(c, b + off + 4, n);
		off += 4 + n;
	}
	free(b);
	return err;
}

static int load_meta(struct capture *c)
{
	size_t len;
	char *m = slurp(c->name, "meta", &len), *p;

	p = m ? strstr(m, "family_id=") : NULL;
	if (p)
		c->family_id = strtoul(p + 10, NULL, 10);
	free(m);
	return c->family_id ? 0 : -ENOENT;
}

static int load_monitor(struct capture *c)
{
	size_t len;
	char *m = slurp(c->name, "monitor.txt", &len), *save = NULL, *line;

	if (!m)
		return -ENOENT;
	for (line = strtok_r(m, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '[') /* a monitor prints nothing else, but be lenient */
			continue;
		if (c->n_mon == MAX_MSGS)
			return -E2BIG;
		c->mon[c->n_mon++] = line;
	}
	return 0; /* m stays allocated: the lines point into it */
}

static int load(struct capture *c)
{
	int err = load_meta(c);

	if (!err)
		err = load_nlbin(c);
	if (!err)
		err = load_monitor(c);
	if (err)
		fprintf(stderr, "%s: cannot load: %s\n", c->name, strerror(-err));
	return err;
}

/* ---- what `ip mptcp monitor` printed ------------------------------------------ */

/* iproute2's names (ip/ipmptcp.c); it prints "[UNKNOWN n]" for newer types. */
static int monitor_type(const char *line)
{
	static const struct {
		const char *name;
		int type;
	} names[] = {
		{ "CREATED", 1 },	   { "ESTABLISHED", 2 }, { "CLOSED", 3 },
		{ "ANNOUNCED", 6 },	   { "REMOVED", 7 },	 { "SF_ESTABLISHED", 10 },
		{ "SF_CLOSED", 11 },	   { "SF_PRIO", 13 },	 { "LISTENER_CREATED", 15 },
		{ "LISTENER_CLOSED", 16 },
	};
	char name[32];
	unsigned int n;

	if (sscanf(line, "[UNKNOWN %u]", &n) == 1)
		return n;
	if (sscanf(line, "[ %31[A-Z_]]", name) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name))
			return names[i].type;
	return -1;
}

/* An address as 16 bytes, IPv4 as IPv4-mapped, to compare across representations. */
static void canon_ev(const struct nl_event *ev, const __u8 *a, __u8 out[16])
{
	memset(out, 0, 16);
	if (ev->family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a, 4);
	} else {
		memcpy(out, a, 16);
	}
}

static int addr_eq(const struct nl_event *ev, const __u8 *a, char kind, const char *v)
{
	__u8 want[16] = { [10] = 0xff, [11] = 0xff }, got[16];

	if (kind == '4' ? inet_pton(AF_INET, v, want + 12) != 1 : inet_pton(AF_INET6, v, want) != 1)
		return 0;
	/* the kernel sends MPTCP_ATTR_FAMILY of the address attribute's kind */
	if (ev->family != (kind == '4' ? AF_INET : AF_INET6))
		return 0;
	canon_ev(ev, a, got);
	return !memcmp(got, want, 16);
}

struct seen {
	__u32 bits;	 /* NLE_* the line showed */
	unsigned int fw; /* flag bits the line showed as words (newer iproute2) */
	long flags;	 /* "flags=" value, -1 when absent */
	int server_side; /* "server_side" word */
};

static int num_eq(const char *v, unsigned long want, int base)
{
	char *end;
	unsigned long got = strtoul(v, &end, base);

	return *v && !*end && got == want;
}

/* Does @ev carry the attribute that printed as k=v? Unknown keys: -1. */
static int key_matches(const struct nl_event *ev, const char *k, const char *v, struct seen *s)
{
	static const struct {
		const char *key;
		__u32 bit;
	} bits[] = {
		{ "token", NLE_TOKEN },
		{ "remid", NLE_REM_ID },
		{ "locid", NLE_LOC_ID },
		{ "saddr4", NLE_SADDR },
		{ "saddr6", NLE_SADDR },
		{ "daddr4", NLE_DADDR },
		{ "daddr6", NLE_DADDR },
		{ "sport", NLE_SPORT },
		{ "dport", NLE_DPORT },
		{ "backup", NLE_BACKUP },
		{ "error", NLE_ERROR },
		{ "timeout", NLE_TIMEOUT },
		{ "ifindex", NLE_IF_IDX },
		{ "reset_reason", NLE_RESET_REASON },
		{ "reset_flags", NLE_RESET_FLAGS },
		{ "flags", NLE_FLAGS },
	};
	__u32 bit = 0;

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (!strcmp(bits[i].key, k))
			bit = bits[i].bit;
	if (!bit)
		return -1;
	s->bits |= bit;
	if (!(ev->present & bit))
		return 0;
	switch (bit) {
	case NLE_TOKEN:
		return num_eq(v, ev->token, 16);
	case NLE_REM_ID:
		return num_eq(v, ev->rem_id, 10);
	case NLE_LOC_ID:
		return num_eq(v, ev->loc_id, 10);
	case NLE_SADDR:
		return addr_eq(ev, ev->saddr, k[5], v);
	case NLE_DADDR:
		return addr_eq(ev, ev->daddr, k[5], v);
	case NLE_SPORT:
		return num_eq(v, ev->sport, 10);
	case NLE_DPORT:
		return num_eq(v, ev->dport, 10);
	case NLE_BACKUP:
		return num_eq(v, ev->backup, 10);
	case NLE_ERROR:
		return num_eq(v, ev->error, 10);
	case NLE_TIMEOUT:
		return num_eq(v, ev->timeout, 10);
	case NLE_IF_IDX:
		return atoi(v) == ev->if_idx;
	case NLE_RESET_REASON:
		return num_eq(v, ev->reset_reason, 10);
	case NLE_RESET_FLAGS:
		return num_eq(v, ev->reset_flags, 16);
	default: /* flags: checked with the words, once the whole line is read */
		s->flags = strtol(v, NULL, 16);
		return 1;
	}
}

/*
 * iproute2 6.1 prints "flags=%x"; newer ones print the known bits as words
 * ("server_side", "deny_join_id0", server_side also for the old attribute)
 * and only the rest as flags=.
 */
static int flags_match(const struct nl_event *ev, const struct seen *s)
{
	unsigned int rest = ev->flags & ~s->fw;
	int ss = (ev->flags & NL_EV_FLAG_SERVER_SIDE) ||
		 ((ev->present & NLE_SERVER_SIDE) && ev->server_side);

	if (s->server_side && !ss)
		return 0;
	if (s->fw & ~ev->flags & ~NL_EV_FLAG_SERVER_SIDE)
		return 0;
	return s->flags < 0 ? rest == 0 : (unsigned long)s->flags == rest;
}

/* Attributes iproute2 6.1 prints when present (it does not know SERVER_SIDE). */
#define IP_PRINTS                                                                                  \
	(NLE_TOKEN | NLE_REM_ID | NLE_LOC_ID | NLE_SADDR | NLE_DADDR | NLE_SPORT | NLE_DPORT |     \
	 NLE_BACKUP | NLE_ERROR | NLE_TIMEOUT | NLE_IF_IDX | NLE_RESET_REASON | NLE_RESET_FLAGS)

/* 1 when @ev matches the monitor line in every field the line has, and vice versa. */
static int matches_line(const struct nl_event *ev, const char *line)
{
	struct seen s = { .flags = -1 };
	char copy[512], *save = NULL, *tok, *eq;
	int type = monitor_type(line);

	if (type != ev->type)
		return 0;
	if (!strncmp(line, "[UNKNOWN", 8))
		return 1; /* iproute2 6.1 prints no attributes for types it does not know */
	snprintf(copy, sizeof(copy), "%s", strchr(line, ']') + 1);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq) {
			s.server_side |= !strcmp(tok, "server_side");
			s.fw |= !strcmp(tok, "server_side") ? NL_EV_FLAG_SERVER_SIDE : 0;
			s.fw |= !strcmp(tok, "deny_join_id0") ? NL_EV_FLAG_DENY_JOIN_ID0 : 0;
			continue;
		}
		*eq = '\0';
		if (key_matches(ev, tok, eq + 1, &s) == 0)
			return 0;
	}
	if ((ev->present & IP_PRINTS) != (s.bits & IP_PRINTS))
		return 0;
	return flags_match(ev, &s);
}

/* ---- the recorded files ----------------------------------------------------- */

static void report_mismatch(const struct capture *c, size_t i, const struct nl_event *ev)
{
	char line[512];

	nl_event_format(ev, line, sizeof(line));
	fprintf(stderr, "%s #%zu:\n  monitor: %s\n  decoded: %s\n", c->name, i,
		i < c->n_mon ? c->mon[i] : "(none)", line);
}

/* Listener events (6.2+) carry family, sport and the bound address. */
static void check_listener(const struct capture *c, size_t i, const struct nl_event *ev,
			   __u16 *port)
{
	struct nl_event next;

	CHECK((ev->present & (NLE_FAMILY | NLE_SADDR | NLE_SPORT)) ==
	      (NLE_FAMILY | NLE_SADDR | NLE_SPORT));
	CHECK(!(ev->present & (NLE_TOKEN | NLE_DADDR)));
	if (ev->type == 16) {
		CHECK(ev->sport == *port); /* the one opened last */
		return;
	}
	*port = ev->sport;
	/* the next CREATED on the server is accepted by this listener */
	for (size_t j = i + 1; j < c->n; j++) {
		if (nl_decode_event(c->msg[j], c->len[j], c->family_id, &next) || next.type != 1)
			continue;
		CHECK(next.sport == ev->sport);
		return;
	}
	CHECK(!"no CREATED after LISTENER_CREATED");
}

static void check_capture(const struct capture *c)
{
	__u32 types = 0;
	__u16 port = 0;
	struct nl_event ev;
	size_t bad = 0;

	CHECK(c->n > 0);
	CHECK(c->n == c->n_mon);
	for (size_t i = 0; i < c->n; i++) {
		int err = nl_decode_event(c->msg[i], c->len[i], c->family_id, &ev);

		CHECK(err == 0);
		types |= T(ev.type);
		if (err || i >= c->n_mon || !matches_line(&ev, c->mon[i])) {
			report_mismatch(c, i, &ev);
			bad++;
		}
		if (ev.type == 15 || ev.type == 16)
			check_listener(c, i, &ev, &port);
	}
	CHECK(bad == 0);
	if ((types & c->required) != c->required)
		fprintf(stderr, "%s: types 0x%x, required 0x%x\n", c->name, types, c->required);
	CHECK((types & c->required) == c->required);
}

static const struct nl_event *find(const struct capture *c, int (*pred)(const struct nl_event *))
{
	static struct nl_event ev;

	for (size_t i = 0; i < c->n; i++)
		if (!nl_decode_event(c->msg[i], c->len[i], c->family_id, &ev) && pred(&ev))
			return &ev;
	return NULL;
}

static int is_v6(const struct nl_event *ev)
{
	return ev->family == AF_INET6 && ev->saddr[0] == 0xfd;
}

static int is_mapped(const struct nl_event *ev)
{
	return ev->family == AF_INET6 && (ev->present & NLE_SADDR) && ev->saddr[10] == 0xff &&
	       !ev->saddr[0];
}

static int has_error(const struct nl_event *ev)
{
	return ev->type == 11 && (ev->present & NLE_ERROR) && ev->error == ECONNREFUSED;
}

static int has_if_idx(const struct nl_event *ev)
{
	return ev->type == 10 && (ev->present & NLE_IF_IDX) && ev->if_idx > 0;
}

static int is_server_created(const struct nl_event *ev)
{
	return ev->type == 1 && (ev->present & NLE_FLAGS) && (ev->flags & NL_EV_FLAG_SERVER_SIDE);
}

/* What the data set is there for: a re-capture that lost any of it fails. */
static void check_coverage(void)
{
	CHECK(find(&caps[2], is_v6) && find(&caps[3], is_v6));
	CHECK(find(&caps[2], is_mapped) && find(&caps[3], is_mapped));
	CHECK(find(&caps[3], has_error));
	CHECK(find(&caps[3], has_if_idx));
	CHECK(find(&caps[0], is_server_created));
}

/* ---- malformed messages, made from recorded ones ------------------------------ */

struct buf {
	union {
		struct nlmsghdr nlh;
		unsigned char b[1024];
	};
	size_t len;
};

/* A copy of the first message of @type in @c. */
static int sample(const struct capture *c, int type, struct buf *m, struct nl_event *ev)
{
	for (size_t i = 0; i < c->n; i++) {
		if (nl_decode_event(c->msg[i], c->len[i], c->family_id, ev) || ev->type != type)
			continue;
		m->len = c->msg[i]->nlmsg_len;
		memcpy(m->b, c->msg[i], m->len);
		return 0;
	}
	return -ENOENT;
}

static void test_headers(const struct capture *c)
{
	struct nl_event ev, want;
	struct buf m;

	if (sample(c, 10, &m, &want)) {
		CHECK(!"no SUB_ESTABLISHED recorded");
		return;
	}
	CHECK(nl_decode_event(m.b, m.len, c->family_id, &ev) == 0);
	CHECK(nl_decode_event(m.b, 15, c->family_id, &ev) == -ENODATA);
	CHECK(nl_decode_event(m.b, 0, c->family_id, &ev) == -ENODATA);
	CHECK(nl_decode_event(m.b, m.len - 4, c->family_id, &ev) == -EMSGSIZE);
	CHECK(nl_decode_event(m.b, m.len, c->family_id + 1, &ev) == -ENOMSG);
	CHECK(nl_decode_event(NULL, m.len, c->family_id, &ev) == -EINVAL);
	CHECK(nl_decode_event(m.b, m.len, c->family_id, NULL) == -EINVAL);
	m.nlh.nlmsg_len = m.len + 4;
	CHECK(nl_decode_event(m.b, m.len, c->family_id, &ev) == -EMSGSIZE);
	CHECK(ev.present == 0 && ev.type == 0); /* nothing half-decoded is left */
	m.nlh.nlmsg_len = MNL_NLMSG_HDRLEN + 2; /* genlmsghdr cut */
	CHECK(nl_decode_event(m.b, m.len, c->family_id, &ev) == -ENODATA);
	m.nlh.nlmsg_len = m.len;
	m.nlh.nlmsg_type = NLMSG_ERROR;
	CHECK(nl_decode_event(m.b, m.len, c->family_id, &ev) == -ENOMSG);
}

/* Every attribute of every recorded message, one byte short or long: -EBADMSG. */
static void test_attr_lengths(const struct capture *c)
{
	size_t tried = 0, refused = 0;
	struct nl_event ev;
	struct buf m;

	for (size_t i = 0; i < c->n; i++) {
		size_t off = MNL_NLMSG_HDRLEN + GENL_HDRLEN, len = c->msg[i]->nlmsg_len;

		while (off + 4 <= len) {
			struct nlattr *a = (struct nlattr *)(m.b + off);
			__u16 alen;

			for (int delta = -1; delta <= 1; delta += 2) {
				memcpy(m.b, c->msg[i], len);
				alen = a->nla_len;
				a->nla_len = alen + delta;
				tried++;
				refused += nl_decode_event(m.b, len, c->family_id, &ev) == -EBADMSG;
			}
			off += MNL_ALIGN(alen);
		}
	}
	CHECK(tried > 100);
	CHECK(refused == tried); /* every attribute the 6.18 kernel sends is one we know */
}

static void test_attr_past_end(const struct capture *c)
{
	struct nl_event ev;
	struct nlattr *last = NULL;
	struct buf m;
	size_t off;

	if (sample(c, 1, &m, &ev))
		return;
	for (off = MNL_NLMSG_HDRLEN + GENL_HDRLEN; off + 4 <= m.len;
	     off += MNL_ALIGN(last->nla_len))
		last = (struct nlattr *)(m.b + off);
	last->nla_len += 8;
	CHECK(nl_decode_event(m.b, m.len, c->family_id, &ev) == -EBADMSG);
}

static void test_unknown_attr_and_type(const struct capture *c)
{
	struct nl_event ev, want;
	char line[512];
	struct buf m;

	if (sample(c, 1, &m, &want))
		return;
	/* MPTCP_ATTR_MAX + 1 and a far one, as a newer kernel might add; UNSPEC too */
	mnl_attr_put(&m.nlh, 19, 3, "abc");
	mnl_attr_put_u32(&m.nlh, 0x1234, 7);
	mnl_attr_put(&m.nlh, 0, 0, "");
	CHECK(nl_decode_event(m.b, m.nlh.nlmsg_len, c->family_id, &ev) == 0);
	CHECK(!memcmp(&ev, &want, sizeof(ev)));

	((struct genlmsghdr *)mnl_nlmsg_get_payload(&m.nlh))->cmd = 99;
	CHECK(nl_decode_event(m.b, m.nlh.nlmsg_len, c->family_id, &ev) == 0);
	CHECK(ev.type == 99 && ev.token == want.token && ev.present == want.present);
	CHECK(nl_event_format(&ev, line, sizeof(line)) > 0);
	CHECK(!strncmp(line, "event=99 token=0x", 17));
}

/* ---- hand-built messages: family rules --------------------------------------- */

static struct nlmsghdr *build(struct buf *m, __u16 family_id, __u8 cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->b);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = family_id;
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void test_family_rules(void)
{
	struct in6_addr a6, m6;
	struct nl_event ev;
	char line[256];
	struct buf m;
	struct nlmsghdr *nlh;

	inet_pton(AF_INET6, "fd00:1::1", &a6);
	inet_pton(AF_INET6, "::ffff:10.0.1.1", &m6);

	/* no FAMILY attribute: the address kind decides; IPv4 beside IPv6 is mapped */
	nlh = build(&m, 30, 1);
	mnl_attr_put_u32(nlh, MPTCP_ATTR_SADDR4, htonl(0x0a000101));
	mnl_attr_put(nlh, MPTCP_ATTR_DADDR6, 16, &a6);
	CHECK(nl_decode_event(m.b, nlh->nlmsg_len, 30, &ev) == 0);
	CHECK(ev.family == AF_INET6 && !(ev.present & NLE_FAMILY));
	CHECK(!memcmp(ev.saddr, &m6, 16));
	CHECK(nl_event_format(&ev, line, sizeof(line)) > 0);
	CHECK_STR(line, "event=created family=6 saddr=::ffff:10.0.1.1 daddr=fd00:1::1");

	/* AF_INET with an IPv4-mapped IPv6 address: stored as IPv4 */
	nlh = build(&m, 30, 15);
	mnl_attr_put_u16(nlh, MPTCP_ATTR_FAMILY, AF_INET);
	mnl_attr_put(nlh, MPTCP_ATTR_SADDR6, 16, &m6);
	mnl_attr_put_u16(nlh, MPTCP_ATTR_SPORT, htons(10100));
	CHECK(nl_decode_event(m.b, nlh->nlmsg_len, 30, &ev) == 0);
	CHECK(ev.family == AF_INET && !memcmp(ev.saddr, "\x0a\x00\x01\x01\0\0\0\0", 8));
	CHECK(nl_event_format(&ev, line, sizeof(line)) > 0);
	CHECK_STR(line, "event=listener_created family=4 saddr=10.0.1.1 sport=10100");

	/* AF_INET with a real IPv6 address contradicts itself */
	nlh = build(&m, 30, 15);
	mnl_attr_put_u16(nlh, MPTCP_ATTR_FAMILY, AF_INET);
	mnl_attr_put(nlh, MPTCP_ATTR_SADDR6, 16, &a6);
	CHECK(nl_decode_event(m.b, nlh->nlmsg_len, 30, &ev) == -EBADMSG);

	/* a family number that does not fit nl_event.family */
	nlh = build(&m, 30, 15);
	mnl_attr_put_u16(nlh, MPTCP_ATTR_FAMILY, 300);
	CHECK(nl_decode_event(m.b, nlh->nlmsg_len, 30, &ev) == -EBADMSG);

	/* headers only: a valid event with nothing present */
	nlh = build(&m, 30, 3);
	CHECK(nl_decode_event(m.b, nlh->nlmsg_len, 30, &ev) == 0);
	CHECK(ev.type == 3 && ev.present == 0);
}

/* ---- formatting ---------------------------------------------------------------- */

static void test_flags_str(void)
{
	char b[64];

	CHECK(nl_flags_str(0, b, sizeof(b)) == 1);
	CHECK_STR(b, "0");
	nl_flags_str(1, b, sizeof(b));
	CHECK_STR(b, "deny_join_id0");
	nl_flags_str(2, b, sizeof(b));
	CHECK_STR(b, "server_side");
	CHECK(nl_flags_str(3, b, sizeof(b)) == (int)strlen("deny_join_id0,server_side"));
	CHECK_STR(b, "deny_join_id0,server_side");
	nl_flags_str(4, b, sizeof(b));
	CHECK_STR(b, "0x4");
	nl_flags_str(0xffff, b, sizeof(b));
	CHECK_STR(b, "deny_join_id0,server_side,0xfffc");
	CHECK(nl_flags_str(3, b, 8) == -ENOSPC);
	CHECK(strlen(b) < 8);
	CHECK(nl_flags_str(3, b, 0) == -ENOSPC);
}

static void test_format(void)
{
	struct nl_event ev = {
		.present = NLE_TOKEN | NLE_FAMILY | NLE_SADDR | NLE_DADDR | NLE_SPORT | NLE_DPORT |
			   NLE_LOC_ID | NLE_REM_ID | NLE_BACKUP | NLE_IF_IDX | NLE_ERROR |
			   NLE_FLAGS | NLE_SERVER_SIDE | NLE_TIMEOUT | NLE_RESET_REASON |
			   NLE_RESET_FLAGS,
		.type = 11,
		.family = AF_INET,
		.loc_id = 2,
		.rem_id = 1,
		.backup = 1,
		.error = 111,
		.server_side = 1,
		.flags = 3,
		.sport = 40000,
		.dport = 5000,
		.token = 0x1a2b3c4d,
		.timeout = 7,
		.if_idx = 3,
		.reset_reason = 1,
		.reset_flags = 0x10,
		.saddr = { 10, 0, 2, 2 },
		.daddr = { 10, 0, 1, 1 },
	};
	char b[512];

	CHECK(nl_event_format(&ev, b, sizeof(b)) == (int)strlen(b));
	CHECK_STR(b, "event=sub_closed token=0x1a2b3c4d family=4 saddr=10.0.2.2 daddr=10.0.1.1 "
		     "sport=40000 dport=5000 loc_id=2 rem_id=1 backup=1 if_idx=3 error=111 "
		     "flags=deny_join_id0,server_side server_side=1 timeout=7 reset_reason=1 "
		     "reset_flags=0x10");
	CHECK(nl_event_format(&ev, b, 40) == -ENOSPC);
	CHECK(nl_event_format(NULL, b, sizeof(b)) == -EINVAL);

	/* IPv4-mapped shows as IPv4; one real IPv6 address makes it IPv6 */
	ev = (struct nl_event){ .type = 6,
				.present = NLE_TOKEN | NLE_REM_ID | NLE_FAMILY | NLE_DADDR,
				.family = AF_INET6,
				.token = 1,
				.rem_id = 5 };
	inet_pton(AF_INET6, "::ffff:10.0.2.1", ev.daddr);
	nl_event_format(&ev, b, sizeof(b));
	CHECK_STR(b, "event=announced token=0x00000001 family=4 daddr=10.0.2.1 rem_id=5");
	inet_pton(AF_INET6, "fd00:2::1", ev.daddr);
	nl_event_format(&ev, b, sizeof(b));
	CHECK_STR(b, "event=announced token=0x00000001 family=6 daddr=fd00:2::1 rem_id=5");

	/* an unknown family: its number, no addresses */
	ev.family = 7;
	nl_event_format(&ev, b, sizeof(b));
	CHECK_STR(b, "event=announced token=0x00000001 family=7 rem_id=5");
	ev = (struct nl_event){ .type = 200 };
	nl_event_format(&ev, b, sizeof(b));
	CHECK_STR(b, "event=200");
}

/* Every recorded message formats, named, with its token. */
static void test_format_recorded(const struct capture *c)
{
	size_t ok = 0;
	struct nl_event ev;
	char b[512], head[64];

	for (size_t i = 0; i < c->n; i++) {
		if (nl_decode_event(c->msg[i], c->len[i], c->family_id, &ev) ||
		    nl_event_format(&ev, b, sizeof(b)) <= 0)
			continue;
		snprintf(head, sizeof(head), "event=%s", event_name(ev.type));
		if (ev.present & NLE_TOKEN)
			snprintf(head, sizeof(head), "event=%s token=0x%08x", event_name(ev.type),
				 ev.token);
		ok += !strncmp(b, head, strlen(head)) && !strstr(b, "::ffff:");
	}
	CHECK(ok == c->n);
}

int main(void)
{
	size_t loaded = 0;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (load(&caps[i]))
			continue;
		loaded++;
		check_capture(&caps[i]);
		test_attr_lengths(&caps[i]);
		test_format_recorded(&caps[i]);
	}
	CHECK(loaded == sizeof(caps) / sizeof(caps[0]));
	if (loaded == sizeof(caps) / sizeof(caps[0])) {
		check_coverage();
		test_headers(&caps[1]);
		test_attr_past_end(&caps[3]);
		test_unknown_attr_and_type(&caps[2]);
	}
	test_family_rules();
	test_flags_str();
	test_format();
	return check_report("nl_decode");
}
