// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "evlat_record.h"
#include "line.h"
#include "names.h"
#include "record_fmt.h"

int record_check(const void *data, size_t len)
{
	const struct evlat_record *r = data;

	if (len != sizeof(*r))
		return -EMSGSIZE;
	if (r->kind == EVLAT_K_NONE || r->kind >= EVLAT_K_MAX)
		return -EPROTO;
	return 0;
}

/* IPv4-mapped IPv6 addresses are shown as IPv4, as the kernel's events do. */
static int addr_family(const struct evlat_record *r)
{
	if (r->family == AF_INET6 && addr_is_v4mapped(r->saddr) &&
	    (!(r->flags & EVLAT_F_HAVE_SSK) || addr_is_v4mapped(r->daddr)))
		return AF_INET;
	return r->family;
}

static void put_addr(struct line *l, const char *key, const uint8_t *a, int family, int mapped)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, mapped ? a + 12 : a, s, sizeof(s)))
		return;
	line_put(l, " %s=%s", key, s);
}

static void put_addrs(struct line *l, const struct evlat_record *r)
{
	int family = addr_family(r);
	int mapped = family == AF_INET && r->family == AF_INET6;

	if (family != AF_INET && family != AF_INET6)
		return;
	line_put(l, " family=%d", family == AF_INET ? 4 : 6);
	if (r->flags & EVLAT_F_HAVE_SSK)
		put_addr(l, "saddr", r->saddr, family, mapped);
	if (r->kind != EVLAT_K_LISTENER)
		put_addr(l, "daddr", r->daddr, family, mapped);
	if (r->sport)
		line_put(l, " sport=%u", r->sport);
	if (r->dport)
		line_put(l, " dport=%u", r->dport);
}

static void put_state(struct line *l, const char *key, unsigned int state)
{
	const char *name = tcp_state_name(state);

	if (name)
		line_put(l, " %s=%s", key, name);
	else
		line_put(l, " %s=%u", key, state);
}

static void put_event(struct line *l, const struct evlat_record *r)
{
	const char *name;

	if (r->kind == EVLAT_K_CLOSE_SSK || r->kind == EVLAT_K_GONE ||
	    (r->kind == EVLAT_K_READ && r->read.err))
		return;
	name = event_name(r->event);
	if (name)
		line_put(l, " event=%s", name);
	else
		line_put(l, " event=%u", r->event);
}

static bool netlink_kind(unsigned int kind)
{
	return kind >= EVLAT_K_QUEUED && kind < EVLAT_K_MAX;
}

/* The netlink side: which broadcast, which socket, what it held; never a kernel address */
static void put_netlink(struct line *l, const struct evlat_record *r)
{
	const struct evlat_msg *m = &r->msg;

	if (r->kind == EVLAT_K_READ) {
		char comm[sizeof(r->read.comm) + 1] = "";

		memcpy(comm, r->read.comm, sizeof(r->read.comm));
		for (char *c = comm; *c; c++)
			if (*c <= ' ' || *c > '~')
				*c = '?'; /* one word, printable */
		line_put(l, " sock_ino=%u portid=%u comm=%s", r->read.ino, r->read.portid,
			 comm[0] ? comm : "?");
		if (r->read.err)
			line_put(l, " err=%d", r->read.err);
		return;
	}
	if (r->kind == EVLAT_K_SEND || r->kind == EVLAT_K_QUEUED || r->kind == EVLAT_K_OVERRUN)
		line_put(l, " bcast=%" PRIu64, (uint64_t)m->bcast);
	if (r->kind == EVLAT_K_SEND || r->kind == EVLAT_K_NOLISTENER)
		line_put(l, " hook_ktime=%" PRIu64, (uint64_t)m->hook_ns);
	if (r->kind == EVLAT_K_QUEUED || r->kind == EVLAT_K_OVERRUN || r->kind == EVLAT_K_GONE)
		line_put(l, " sock_ino=%u portid=%u rmem=%u rcvbuf=%u", m->ino, m->portid, m->rmem,
			 m->rcvbuf);
	if (r->kind == EVLAT_K_OVERRUN)
		line_put(l, " no_enobufs=%d", !!(r->flags & EVLAT_F_NO_ENOBUFS));
}

int record_format(const void *data, size_t len, char *buf, size_t size)
{
	const struct evlat_record *r = data;
	struct line l = { .buf = buf, .size = size };
	int err = record_check(data, len);

	if (err)
		return err;
	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	line_put(&l, "ktime=%" PRIu64 " cpu=%u pid=%u tid=%u netns=%u kind=%s",
		 (uint64_t)r->ktime_ns, r->cpu, r->pid, r->tid, r->netns, kind_name(r->kind));
	put_event(&l, r);
	if (r->kind != EVLAT_K_LISTENER && r->kind != EVLAT_K_GONE)
		line_put(&l, " token=0x%08x", r->token);
	if (r->gfp)
		line_put(&l, " gfp=0x%x", r->gfp);
	if (r->kind == EVLAT_K_SEND || netlink_kind(r->kind)) {
		put_netlink(&l, r);
		if (r->kind != EVLAT_K_SEND)
			return l.err ? l.err : (int)l.len;
	}
	put_addrs(&l, r);
	if (r->kind == EVLAT_K_ANNOUNCED || r->kind == EVLAT_K_REMOVED)
		line_put(&l, " rem_id=%u", r->rem_id);
	if (r->flags & EVLAT_F_HAVE_SSK && r->kind != EVLAT_K_LISTENER)
		line_put(&l, " loc_id=%u rem_id=%u backup=%u", r->loc_id, r->rem_id,
			 r->backup || (r->flags & EVLAT_F_REQUEST_BKUP));
	put_state(&l, "sk_state", r->sk_state);
	if (r->flags & EVLAT_F_HAVE_SSK)
		put_state(&l, "ssk_state", r->ssk_state);
	if (r->flags & EVLAT_F_HAVE_CLOSE_DONE)
		line_put(&l, " close_event_done=%d", !!(r->flags & EVLAT_F_CLOSE_EVENT_DONE));
	return l.err ? l.err : (int)l.len;
}
