// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mptcp_pm_events message -> struct nl_event -> key=value line.
 *
 * Attribute types are those the kernel's senders use (net/mptcp/pm_netlink.c:
 * nla_put_u16 for the family, nla_put_be16 for ports, nla_put_s32 for if_idx,
 * nla_put_u8 for the error, ...), which the uapi header comments repeat.
 * Every attribute of a known type must have exactly its type's size: a
 * shorter one would be read past its end, a longer one means we misunderstand
 * the message, and both are reported rather than guessed at.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>

#include "addr.h"
#include "line.h"
#include "names.h"
#include "nl_decode.h"
#include "util.h"

/* How an attribute is carried on the wire. */
enum wire {
	W_U8 = 1,
	W_U16,
	W_BE16, /* ports: network byte order */
	W_U32,	/* also if_idx, an s32 */
	W_IN4,	/* struct in_addr */
	W_IN6,	/* struct in6_addr */
};

struct attr_rule {
	__u8 wire;  /* enum wire; 0: not a known attribute */
	__u8 width; /* size of the nl_event field */
	__u16 off;  /* offset of the nl_event field */
	__u32 bit;  /* NLE_* */
};

#define RULE(w, field, b)                                                                          \
	{                                                                                          \
		.wire = (w), .width = sizeof(((struct nl_event *)0)->field),                       \
		.off = offsetof(struct nl_event, field), .bit = (b)                                \
	}

/*
 * enum mptcp_event_attr is ABI (generated into linux/mptcp_pm.h since 6.7).
 * SERVER_SIDE came in 5.19; 6.18 duplicates it as a FLAGS bit and deprecates it.
 */
static const struct attr_rule rules[] = {
	[MPTCP_ATTR_TOKEN] = RULE(W_U32, token, NLE_TOKEN),
	[MPTCP_ATTR_FAMILY] = RULE(W_U16, family, NLE_FAMILY),
	[MPTCP_ATTR_LOC_ID] = RULE(W_U8, loc_id, NLE_LOC_ID),
	[MPTCP_ATTR_REM_ID] = RULE(W_U8, rem_id, NLE_REM_ID),
	[MPTCP_ATTR_SADDR4] = RULE(W_IN4, saddr, NLE_SADDR),
	[MPTCP_ATTR_SADDR6] = RULE(W_IN6, saddr, NLE_SADDR),
	[MPTCP_ATTR_DADDR4] = RULE(W_IN4, daddr, NLE_DADDR),
	[MPTCP_ATTR_DADDR6] = RULE(W_IN6, daddr, NLE_DADDR),
	[MPTCP_ATTR_SPORT] = RULE(W_BE16, sport, NLE_SPORT),
	[MPTCP_ATTR_DPORT] = RULE(W_BE16, dport, NLE_DPORT),
	[MPTCP_ATTR_BACKUP] = RULE(W_U8, backup, NLE_BACKUP),
	[MPTCP_ATTR_ERROR] = RULE(W_U8, error, NLE_ERROR),
	[MPTCP_ATTR_FLAGS] = RULE(W_U16, flags, NLE_FLAGS),
	[MPTCP_ATTR_TIMEOUT] = RULE(W_U32, timeout, NLE_TIMEOUT),
	[MPTCP_ATTR_IF_IDX] = RULE(W_U32, if_idx, NLE_IF_IDX),
	[MPTCP_ATTR_RESET_REASON] = RULE(W_U32, reset_reason, NLE_RESET_REASON),
	[MPTCP_ATTR_RESET_FLAGS] = RULE(W_U32, reset_flags, NLE_RESET_FLAGS),
	[MPTCP_ATTR_SERVER_SIDE] = RULE(W_U8, server_side, NLE_SERVER_SIDE),
};

/* Decoding state: which kind of address each side arrived as. */
struct dec {
	struct nl_event *ev;
	__u8 skind, dkind; /* W_IN4, W_IN6, or 0 when absent */
	const char *end;   /* end of the last attribute walked */
};

static int attr_valid(const struct nlattr *a, enum wire w)
{
	switch (w) {
	case W_U8:
		return mnl_attr_validate(a, MNL_TYPE_U8);
	case W_U16:
	case W_BE16:
		return mnl_attr_validate(a, MNL_TYPE_U16);
	case W_IN6:
		return mnl_attr_validate2(a, MNL_TYPE_BINARY, 16);
	default:
		return mnl_attr_validate(a, MNL_TYPE_U32);
	}
}

static int put_field(void *field, unsigned int width, __u32 v)
{
	__u8 v8 = v;
	__u16 v16 = v;

	switch (width) {
	case 1:
		/* only the u16 family lands in a u8; no AF_* is above 255 */
		if (v > UINT8_MAX)
			return -EBADMSG;
		memcpy(field, &v8, 1);
		return 0;
	case 2:
		memcpy(field, &v16, 2);
		return 0;
	default:
		memcpy(field, &v, 4);
		return 0;
	}
}

static int store(struct dec *d, const struct nlattr *a, const struct attr_rule *r)
{
	char *field = (char *)d->ev + r->off;
	__u8 *kind = r->bit == NLE_SADDR ? &d->skind : &d->dkind;

	switch (r->wire) {
	case W_IN4:
		memset(field, 0, 16);
		memcpy(field, mnl_attr_get_payload(a), 4);
		*kind = W_IN4;
		return 0;
	case W_IN6:
		memcpy(field, mnl_attr_get_payload(a), 16);
		*kind = W_IN6;
		return 0;
	case W_U8:
		return put_field(field, r->width, mnl_attr_get_u8(a));
	case W_U16:
		return put_field(field, r->width, mnl_attr_get_u16(a));
	case W_BE16:
		return put_field(field, r->width, ntohs(mnl_attr_get_u16(a)));
	default:
		return put_field(field, r->width, mnl_attr_get_u32(a));
	}
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct dec *d = data;
	unsigned int type = mnl_attr_get_type(a);
	const struct attr_rule *r;

	d->end = (const char *)a + MNL_ALIGN(a->nla_len);
	/* newer kernels add attributes: skip what we do not know */
	if (type >= ARRAY_SIZE(rules) || !rules[type].wire)
		return MNL_CB_OK;
	r = &rules[type];
	if (attr_valid(a, r->wire) < 0 || store(d, a, r) < 0)
		return MNL_CB_ERROR;
	d->ev->present |= r->bit;
	return MNL_CB_OK;
}

/* The address of one side, in the representation the event's family asks for. */
static int settle_addr(__u8 *addr, __u8 kind, __u8 family)
{
	if (family == AF_INET6 && kind == W_IN4) {
		addr_map_v4(addr);
	} else if (family == AF_INET && kind == W_IN6) {
		if (!addr_is_v4mapped(addr))
			return -EBADMSG;
		addr_unmap_v4(addr);
	}
	return 0;
}

/*
 * struct nl_event stores one family for both addresses. The kernel always
 * sends MPTCP_ATTR_FAMILY along with addresses of that family; without it,
 * the addresses' own kind decides (IPv6 if either is IPv6). An IPv4 address
 * in an AF_INET6 event is stored IPv4-mapped; an IPv6 one in an AF_INET
 * event must be IPv4-mapped. Other family numbers keep the addresses as sent.
 */
static int settle_family(struct dec *d)
{
	struct nl_event *ev = d->ev;

	if (!d->skind && !d->dkind)
		return 0;
	if (!(ev->present & NLE_FAMILY))
		ev->family = d->skind == W_IN6 || d->dkind == W_IN6 ? AF_INET6 : AF_INET;
	if (settle_addr(ev->saddr, d->skind, ev->family) ||
	    settle_addr(ev->daddr, d->dkind, ev->family))
		return -EBADMSG;
	return 0;
}

static int check_headers(const struct nlmsghdr *nlh, size_t len, __u16 family_id)
{
	if (len < sizeof(*nlh))
		return -ENODATA;
	if (nlh->nlmsg_len > len)
		return -EMSGSIZE;
	if (nlh->nlmsg_type != family_id)
		return -ENOMSG;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return -ENODATA;
	return 0;
}

static int decode(const struct nlmsghdr *nlh, size_t len, __u16 family_id, struct dec *d)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	int err = check_headers(nlh, len, family_id);
	const char *tail;

	if (err)
		return err;
	tail = (const char *)nlh + nlh->nlmsg_len;
	d->ev->type = g->cmd;
	d->end = (const char *)g + GENL_HDRLEN;
	/*
	 * Bounded by nlmsg_len itself: mnl_attr_parse() walks to
	 * MNL_ALIGN(nlmsg_len), up to 3 bytes past an unaligned message
	 * (found by tests/fuzz).
	 */
	if (mnl_attr_parse_payload(d->end, tail - d->end, attr_cb, d) < 0)
		return -EBADMSG;
	/* the parser stops quietly at an attribute that runs past the end */
	if (d->end < tail)
		return -EBADMSG;
	return settle_family(d);
}

int nl_decode_event(const void *buf, size_t len, __u16 family_id, struct nl_event *ev)
{
	struct dec d = { .ev = ev };
	int err;

	if (!buf || !ev)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	err = decode(buf, len, family_id, &d);
	if (err)
		memset(ev, 0, sizeof(*ev));
	return err;
}

/* ---- formatting ---------------------------------------------------------- */

static int line_end(struct line *l)
{
	return l->err ? l->err : (int)l->len;
}

int nl_flags_str(unsigned int flags, char *buf, size_t size)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ NL_EV_FLAG_DENY_JOIN_ID0, "deny_join_id0" },
		{ NL_EV_FLAG_SERVER_SIDE, "server_side" },
	};
	struct line l = { .buf = buf, .size = size };

	if (!buf || !size)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(flags & names[i].bit))
			continue;
		line_put(&l, "%s%s", l.len ? "," : "", names[i].name);
		flags &= ~names[i].bit;
	}
	if (flags || !l.len)
		line_put(&l, "%s%#x", l.len ? "," : "", flags);
	return line_end(&l);
}

/* 4, 6, or the raw family number; IPv6 events whose addresses are all IPv4-mapped show as 4. */
static unsigned int shown_family(const struct nl_event *ev)
{
	if (ev->family == AF_INET)
		return 4;
	if (ev->family != AF_INET6)
		return ev->family;
	if (!(ev->present & (NLE_SADDR | NLE_DADDR)))
		return 6;
	if ((ev->present & NLE_SADDR) && !addr_is_v4mapped(ev->saddr))
		return 6;
	if ((ev->present & NLE_DADDR) && !addr_is_v4mapped(ev->daddr))
		return 6;
	return 4;
}

static void put_addr(struct line *l, const char *key, const __u8 *a, unsigned int shown, int v6)
{
	char s[INET6_ADDRSTRLEN];

	if (shown == 4 && v6)
		a += 12; /* IPv4-mapped */
	if (inet_ntop(shown == 4 ? AF_INET : AF_INET6, a, s, sizeof(s)))
		line_put(l, " %s=%s", key, s);
}

static void put_addrs(struct line *l, const struct nl_event *ev)
{
	unsigned int shown = shown_family(ev);
	int v6 = ev->family == AF_INET6;

	if (!(ev->present & (NLE_FAMILY | NLE_SADDR | NLE_DADDR)))
		return;
	line_put(l, " family=%u", shown);
	if (shown != 4 && shown != 6)
		return; /* an unknown family: we cannot tell how to print its addresses */
	if (ev->present & NLE_SADDR)
		put_addr(l, "saddr", ev->saddr, shown, v6);
	if (ev->present & NLE_DADDR)
		put_addr(l, "daddr", ev->daddr, shown, v6);
}

static void put_ids(struct line *l, const struct nl_event *ev)
{
	if (ev->present & NLE_SPORT)
		line_put(l, " sport=%u", ev->sport);
	if (ev->present & NLE_DPORT)
		line_put(l, " dport=%u", ev->dport);
	if (ev->present & NLE_LOC_ID)
		line_put(l, " loc_id=%u", ev->loc_id);
	if (ev->present & NLE_REM_ID)
		line_put(l, " rem_id=%u", ev->rem_id);
	if (ev->present & NLE_BACKUP)
		line_put(l, " backup=%u", ev->backup);
	if (ev->present & NLE_IF_IDX)
		line_put(l, " if_idx=%d", ev->if_idx);
}

static void put_extras(struct line *l, const struct nl_event *ev)
{
	char flags[64];

	if (ev->present & NLE_ERROR)
		line_put(l, " error=%u", ev->error);
	if (ev->present & NLE_FLAGS) {
		nl_flags_str(ev->flags, flags, sizeof(flags));
		line_put(l, " flags=%s", flags);
	}
	if (ev->present & NLE_SERVER_SIDE)
		line_put(l, " server_side=%u", ev->server_side);
	if (ev->present & NLE_TIMEOUT)
		line_put(l, " timeout=%u", ev->timeout);
	if (ev->present & NLE_RESET_REASON)
		line_put(l, " reset_reason=%u", ev->reset_reason);
	if (ev->present & NLE_RESET_FLAGS)
		line_put(l, " reset_flags=%#x", ev->reset_flags);
}

int nl_event_format(const struct nl_event *ev, char *buf, size_t size)
{
	struct line l = { .buf = buf, .size = size };
	const char *name;

	if (!ev || !buf)
		return -EINVAL;
	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	name = event_name(ev->type);
	if (name)
		line_put(&l, "event=%s", name);
	else
		line_put(&l, "event=%u", ev->type);
	if (ev->present & NLE_TOKEN)
		line_put(&l, " token=0x%08x", ev->token);
	put_addrs(&l, ev);
	put_ids(&l, ev);
	put_extras(&l, ev);
	return line_end(&l);
}
