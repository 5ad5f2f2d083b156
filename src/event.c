// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "event.h"

static void from_hook(const struct evlat_record *r, struct evlat_event *ev)
{
	int fam = r->family;

	ev->token = r->token;
	ev->have_token = r->kind != EVLAT_K_LISTENER;
	ev->netns = r->netns;
	ev->time_ns = r->ktime_ns;
	if (r->family == AF_INET || r->family == AF_INET6) {
		ev->have_saddr = r->flags & EVLAT_F_HAVE_SSK;
		ev->have_daddr = r->kind != EVLAT_K_LISTENER;
		addr_norm(r->family, r->saddr, ev->saddr);
		fam = addr_norm(r->family, r->daddr, ev->daddr);
		ev->family = fam == AF_INET ? 4 : 6;
		ev->sport = r->sport;
		ev->dport = r->dport;
	}
	if (r->kind == EVLAT_K_EVENT && (r->flags & EVLAT_F_HAVE_SSK)) {
		ev->have_ids = ev->have_loc_id = true;
		ev->loc_id = r->loc_id;
		ev->rem_id = r->rem_id;
	} else if (r->kind == EVLAT_K_ANNOUNCED || r->kind == EVLAT_K_REMOVED) {
		ev->have_ids = true;
		ev->rem_id = r->rem_id;
	}
}

static void from_nl(const struct nl_event *nl, struct evlat_event *ev)
{
	int fam = nl->family;

	ev->have_token = nl->present & NLE_TOKEN;
	ev->token = nl->token;
	ev->have_saddr = nl->present & NLE_SADDR;
	ev->have_daddr = nl->present & NLE_DADDR;
	if (ev->have_saddr || ev->have_daddr) {
		addr_norm(nl->family, nl->saddr, ev->saddr);
		fam = addr_norm(nl->family, nl->daddr, ev->daddr);
		ev->family = fam == AF_INET ? 4 : 6;
	} else if (nl->present & NLE_FAMILY) {
		ev->family = nl->family == AF_INET ? 4 : 6;
	}
	ev->sport = nl->present & NLE_SPORT ? nl->sport : 0;
	ev->dport = nl->present & NLE_DPORT ? nl->dport : 0;
	ev->have_loc_id = nl->present & NLE_LOC_ID;
	ev->have_ids = ev->have_loc_id || (nl->present & NLE_REM_ID);
	ev->loc_id = nl->loc_id;
	ev->rem_id = nl->rem_id;
	ev->have_error = nl->present & NLE_ERROR;
	ev->error = nl->error;
	/* the kernel puts both or neither (mptcp_event_sub_closed(), reset_seen) */
	ev->have_reset = nl->present & (NLE_RESET_REASON | NLE_RESET_FLAGS);
	ev->reset_reason = nl->reset_reason;
	ev->reset_flags = nl->reset_flags;
}

void event_from_nl(const struct nl_event *nl, __u32 netns, struct evlat_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->status = ST_RECEIVED;
	ev->type = nl->type;
	ev->netns = netns;
	ev->time_ns = nl->recv_ns;
	from_nl(nl, ev);
}

/*
 * __GFP_DIRECT_RECLAIM: bit 10 in 6.1, 6.12 and 7.2 alike (GFP_KERNEL is
 * 0xcc0 and GFP_ATOMIC 0x820 in the records of all three).
 */
#define GFP_DIRECT_RECLAIM_ 0x400u
#define TCP_ESTABLISHED_    1

/*
 * Whether the sender allocates without sleeping. ANNOUNCED and REMOVED take
 * no gfp argument: pm_netlink.c allocates them with GFP_ATOMIC; the listener
 * events with GFP_KERNEL (doc/kernel-notes.md, upstream since 6.2).
 */
static bool atomic_alloc(const struct evlat_record *r)
{
	if (r->kind == EVLAT_K_ANNOUNCED || r->kind == EVLAT_K_REMOVED)
		return true;
	if (r->kind == EVLAT_K_LISTENER)
		return false;
	return !(r->gfp & GFP_DIRECT_RECLAIM_);
}

/*
 * A hook record that expired without its event. Our socket is subscribed, so
 * genl_has_listeners() was true (it is global across namespaces, doc/kernel-notes.md)
 * and the sender went on to nlmsg_new(): no send record means that
 * allocation (or the message build) failed; a send record with no event
 * means the message was lost on the way, an overrun if our socket said so.
 */
static enum evlat_status undelivered(const struct corr_result *res, const struct classify_ctx *cc)
{
	bool ours = res->hook.netns == cc->listen_netns;

	/* the sender's netlink_has_listeners() said nobody, anywhere: nothing was built */
	if (res->no_listener)
		return ST_NO_LISTENER;
	/* -A: the kernel multicast it into a namespace where we do not listen */
	if (res->have_send)
		return !ours		  ? ST_NO_LISTENER
		       : cc->overrun_seen ? ST_LOST_OVERRUN
					  : ST_NOT_DELIVERED;
	if (!cc->send_probe || cc->send_drops_seen)
		return ST_NOT_DELIVERED;
	return atomic_alloc(&res->hook) ? ST_LOST_ALLOC_ATOMIC : ST_LOST_ALLOC_OTHER;
}

static enum evlat_status corr_status(const struct corr_result *res, const struct classify_ctx *cc)
{
	switch (res->status) {
	case CORR_DELIVERED:
		return ST_DELIVERED;
	case CORR_NOT_DELIVERED:
		return undelivered(res, cc);
	case CORR_UNMATCHED_NL:
		return ST_UNMATCHED;
	case CORR_SENT:
		return ST_SENT;
	case CORR_EVICTED:
		break;
	}
	return ST_EVICTED;
}

/* Latencies only from one clock: every timestamp here is CLOCK_MONOTONIC. */
static void put_stages(const struct corr_result *res, struct evlat_event *ev)
{
	__u64 hook = res->hook.ktime_ns, recv = res->nl.recv_ns;

	/* --observe: no receive of ours, the kernel's own stage only */
	if (res->have_hook && res->have_send && !res->have_nl && res->send_ns >= hook) {
		ev->have_stage[STAGE_KERNEL] = true;
		ev->stage_ns[STAGE_KERNEL] = res->send_ns - hook;
		return;
	}
	if (!res->have_hook || !res->have_nl || recv < hook)
		return;
	ev->have_stage[STAGE_TOTAL] = true;
	ev->stage_ns[STAGE_TOTAL] = recv - hook;
	if (res->have_send && res->send_ns >= hook && res->send_ns <= recv) {
		ev->have_stage[STAGE_KERNEL] = ev->have_stage[STAGE_DELIVERY] = true;
		ev->stage_ns[STAGE_KERNEL] = res->send_ns - hook;
		ev->stage_ns[STAGE_DELIVERY] = recv - res->send_ns;
	}
}

void event_from_corr(const struct corr_result *res, const struct classify_ctx *cc,
		     struct evlat_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->status = corr_status(res, cc);
	ev->type = res->event;
	ev->differs = res->differs;
	ev->bcast = res->have_send ? res->bcast : 0;
	if (res->have_hook) {
		from_hook(&res->hook, ev);
		ev->gfp = res->hook.gfp;
	}
	if (res->have_nl) {
		__u64 t = ev->time_ns;

		from_nl(&res->nl, ev); /* what userspace saw wins */
		ev->time_ns = res->have_hook ? t : res->nl.recv_ns;
	}
	if (!res->have_hook)
		ev->netns = cc->listen_netns; /* received there */
	put_stages(res, ev);
}

/*
 * mptcp_close_ssk() sends SUB_CLOSED only while the MPTCP socket is
 * ESTABLISHED, and (since close_event_done, 2024) only once per subflow.
 */
bool event_from_close(const struct evlat_record *r, struct evlat_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->status = ST_CLOSE_WITHOUT_EVENT;
	ev->type = EVLAT_EV_SUB_CLOSED;
	from_hook(r, ev);
	ev->have_ids = ev->have_loc_id = true;
	ev->loc_id = r->loc_id;
	ev->rem_id = r->rem_id;
	if (r->flags & EVLAT_F_CLOSE_EVENT_DONE)
		ev->reason = "already_sent";
	else if (r->sk_state != TCP_ESTABLISHED_)
		ev->reason = "not_established";
	return ev->reason != NULL;
}

const char *status_name(enum evlat_status st)
{
	static const char *const names[ST_MAX] = {
		[ST_DELIVERED] = "delivered",
		[ST_LOST_ALLOC_ATOMIC] = "lost_alloc_atomic",
		[ST_LOST_ALLOC_OTHER] = "lost_alloc_other",
		[ST_LOST_OVERRUN] = "lost_overrun",
		[ST_LOST_RINGBUF] = "lost_ringbuf",
		[ST_NO_LISTENER] = "no_listener",
		[ST_DUPLICATE] = "duplicate",
		[ST_CLOSE_WITHOUT_EVENT] = "close_without_event",
		[ST_NOT_DELIVERED] = "not_delivered",
		[ST_UNMATCHED] = "unmatched",
		[ST_EVICTED] = "evicted",
		[ST_SENT] = "sent",
		[ST_RECEIVED] = "received",
	};

	return (unsigned int)st < ST_MAX ? names[st] : "?";
}

int event_af(const struct evlat_event *ev)
{
	return ev->family == 4 ? AF_INET : AF_INET6;
}

int status_by_name(const char *name)
{
	for (int st = 0; st < ST_MAX; st++)
		if (!strcmp(status_name(st), name))
			return st;
	return -EINVAL;
}

enum status_class status_class(enum evlat_status st)
{
	switch (st) {
	case ST_LOST_ALLOC_ATOMIC:
	case ST_LOST_ALLOC_OTHER:
	case ST_LOST_OVERRUN:
	case ST_LOST_RINGBUF:
	case ST_NOT_DELIVERED:
		return SC_LOST;
	case ST_NO_LISTENER:
	case ST_DUPLICATE:
	case ST_CLOSE_WITHOUT_EVENT:
		return SC_NOTE;
	case ST_UNMATCHED:
	case ST_EVICTED:
		return SC_UNMATCHED;
	default:
		return SC_OK;
	}
}

const char *stage_name(enum evlat_stage st)
{
	static const char *const names[STAGE_MAX] = {
		[STAGE_TOTAL] = "total",
		[STAGE_KERNEL] = "kernel",
		[STAGE_DELIVERY] = "delivery",
	};

	return (unsigned int)st < STAGE_MAX ? names[st] : "?";
}
