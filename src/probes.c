// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include <bpf/btf.h>

#include "probes.h"
#include "util.h"

/* One candidate for a probe: a target, the prototype it must have, its programs */
struct probe_choice {
	const char *target;
	const char *variant;   /* name of the prototype variant, or NULL */
	const char *first_arg; /* the struct the first parameter must point to, or NULL */
	int nparams;	       /* how many parameters it must have; 0: any */
	const char *fe_prog;   /* program names in bpf/evlat.bpf.c */
	const char *kp_prog;   /* NULL: fentry/fexit only */
};

#define PROBE_CHOICES 2

/* A target with an fentry/fexit program only (the consumers) */
#define FE_ONLY(fn, prog)                                                                          \
	{                                                                                          \
		fn, NULL, NULL, 0, prog, NULL                                                      \
	}

struct probe_def {
	const char *name;
	bool mandatory;
	struct probe_choice choice[PROBE_CHOICES]; /* the first that fits this kernel wins */
};

/* The attach messages and --check list them in this order. */
static const struct probe_def probe_defs[PROBE_NR] = {
	[PROBE_EVENT] = { "mptcp_event",
			  true,
			  { { "mptcp_event", NULL, NULL, 0, "fe_event", "kp_event" } } },
	/*
	 * mptcp_event_addr_announced() took the msk first in 5.12 - 5.18 and
	 * the subflow socket since 5.19 (doc/kernel-notes.md).
	 */
	[PROBE_ANNOUNCED] = { "mptcp_event_addr_announced",
			      true,
			      { { "mptcp_event_addr_announced", "msk", "mptcp_sock", 0,
				  "fe_announced_msk", "kp_announced_msk" },
				{ "mptcp_event_addr_announced", "ssk", NULL, 0, "fe_announced",
				  "kp_announced" } } },
	[PROBE_CLOSE_SSK] = { "mptcp_close_ssk",
			      true,
			      { { "mptcp_close_ssk", NULL, NULL, 0, "fe_close_ssk",
				  "kp_close_ssk" } } },
	[PROBE_REMOVED] = { "mptcp_event_addr_removed",
			    false,
			    { { "mptcp_event_addr_removed", NULL, NULL, 0, "fe_removed",
				"kp_removed" } } },
	/* added in 6.2 with the LISTENER_* events */
	[PROBE_LISTENER] = { "mptcp_event_pm_listener",
			     false,
			     { { "mptcp_event_pm_listener", NULL, NULL, 0, "fe_listener",
				 "kp_listener" } } },
	/*
	 * The send path: mptcp_nl_mcast_send() where it is out of line (6.12+);
	 * in 6.1 it is inlined and netlink_broadcast(), filtered on our group
	 * id in BPF, is the closest hook.
	 */
	[PROBE_SEND] = { "send",
			 false,
			 { { "mptcp_nl_mcast_send", NULL, NULL, 0, "fe_mcast_send",
			     "kp_mcast_send" },
			   { "netlink_broadcast", NULL, NULL, 0, "fe_broadcast",
			     "kp_broadcast" } } },
	/* doc/kernel-notes.md "Consumers": each is in the BTF of 6.1, 6.12 and 7.2 */
	[PROBE_SEND_END] = { "send_end",
			     false,
			     { FE_ONLY("mptcp_nl_mcast_send", "fx_mcast_send"),
			       FE_ONLY("netlink_broadcast", "fx_broadcast") } },
	/* __netlink_sendskb() is inlined in Debian's arm64 7.2 build, its caller's set_owner_r not */
	[PROBE_QUEUED] = { "queued",
			   false,
			   { FE_ONLY("__netlink_sendskb", "fe_queued"),
			     FE_ONLY("netlink_skb_set_owner_r", "fe_queued_owner") } },
	[PROBE_OVERRUN] = { "overrun", false, { FE_ONLY("netlink_overrun", "fe_overrun") } },
	/* (sk, flags, err) since 5.19; before, a noblock argument came third */
	[PROBE_READ] = { "read",
			 false,
			 { { "skb_recv_datagram", NULL, "sock", 3, "fx_read", NULL } } },
	[PROBE_LISTENERS] = { "has_listeners",
			      false,
			      { FE_ONLY("netlink_has_listeners", "fx_has_listeners") } },
	[PROBE_GONE] = { "gone", false, { FE_ONLY("netlink_release", "fe_gone") } },
	/* genl_rcv_msg(skb, nlh, extack): in the BTF of 6.1 ... 7.3, one prototype */
	[PROBE_CMD] = { "cmd", false, { FE_ONLY("genl_rcv_msg", "fe_cmd") } },
	[PROBE_CMD_END] = { "cmd_end", false, { FE_ONLY("genl_rcv_msg", "fx_cmd") } },
};

static bool have_func(const struct btf *btf, const char *fn)
{
	return btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) >= 0;
}

/* The FUNC_PROTO of function @fn, or NULL */
static const struct btf_type *func_proto(const struct btf *btf, const char *fn)
{
	int id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);
	const struct btf_type *t;

	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

/* Name of the struct that parameter @idx of function @fn points to, or NULL. */
static const char *param_struct(const struct btf *btf, const char *fn, unsigned int idx)
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);

	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type); /* FUNC_PROTO */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) <= idx)
		return NULL;
	t = btf__type_by_id(btf, btf_params(t)[idx].type);
	while (t && (btf_is_ptr(t) || btf_is_const(t) || btf_is_volatile(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_struct(t))
		return NULL;
	return btf__name_by_offset(btf, t->name_off);
}

static bool choice_fits(const struct probe_choice *c, const struct btf *btf)
{
	const char *first;

	const struct btf_type *proto;

	if (!btf || !c->target || !have_func(btf, c->target))
		return false;
	proto = func_proto(btf, c->target);
	if (c->nparams && (!proto || btf_vlen(proto) != c->nparams))
		return false;
	if (!c->first_arg)
		return true;
	first = param_struct(btf, c->target, 0);
	return first && !strcmp(first, c->first_arg);
}

static void select_one(struct probe *p, const struct probe_def *d, const struct btf *btf)
{
	const struct probe_choice *c = NULL;

	for (int i = 0; i < PROBE_CHOICES && d->choice[i].target; i++) {
		c = &d->choice[i]; /* when none fits: the last, the most general, for messages */
		if (choice_fits(c, btf)) {
			p->state = PROBE_SELECTED;
			break;
		}
	}
	p->name = d->name;
	p->mandatory = d->mandatory;
	p->target = c->target;
	p->variant = c->variant;
	p->fe_prog = c->fe_prog;
	p->kp_prog = c->kp_prog;
}

int probes_select(struct probe_set *ps, const struct btf *btf, bool consumers, bool listeners)
{
	static const struct btf *none;
	int err = 0;

	memset(ps, 0, sizeof(*ps));
	for (int i = 0; i < PROBE_NR; i++) {
		/* not wanted: listed as missing, with its names */
		select_one(&ps->p[i], &probe_defs[i],
			   i >= PROBE_FIRST_CONSUMER && !consumers ? none : btf);
		if (ps->p[i].mandatory && ps->p[i].state == PROBE_MISSING)
			err = -ENOENT;
	}
	if (!listeners && ps->p[PROBE_LISTENERS].state == PROBE_SELECTED)
		ps->p[PROBE_LISTENERS].state = PROBE_UNNEEDED;
	return err;
}

bool probes_prog_wanted(const struct probe_set *ps, const char *prog, bool fentry)
{
	for (int i = 0; i < PROBE_NR; i++) {
		const struct probe *p = &ps->p[i];

		if (p->state == PROBE_MISSING || p->state == PROBE_UNNEEDED)
			continue;
		if ((fentry && !strcmp(prog, p->fe_prog)) ||
		    (p->kp_prog && !strcmp(prog, p->kp_prog)))
			return true;
	}
	return false;
}

static bool prog_in(const char *prog, int from, int to)
{
	for (int i = from; i < to; i++)
		for (int c = 0; c < PROBE_CHOICES; c++)
			if (probe_defs[i].choice[c].fe_prog &&
			    !strcmp(prog, probe_defs[i].choice[c].fe_prog))
				return true;
	return false;
}

bool probes_consumer_prog(const char *prog)
{
	return prog_in(prog, PROBE_FIRST_CONSUMER, PROBE_NR);
}

bool probes_pm_prog(const char *prog)
{
	return prog_in(prog, PROBE_FIRST_PM, PROBE_NR);
}

static bool all_attached(const struct probe_set *ps, int from, int to)
{
	for (int i = from; i < to; i++)
		if (ps->p[i].state != PROBE_ATTACHED && ps->p[i].state != PROBE_UNNEEDED)
			return false;
	return true;
}

bool probes_consumers(const struct probe_set *ps)
{
	return all_attached(ps, PROBE_FIRST_CONSUMER, PROBE_FIRST_PM);
}

bool probes_pm(const struct probe_set *ps)
{
	return probes_consumers(ps) && all_attached(ps, PROBE_FIRST_PM, PROBE_NR);
}

bool probes_attached(const struct probe_set *ps, enum probe_id id)
{
	return (unsigned int)id < PROBE_NR && ps->p[id].state == PROBE_ATTACHED;
}

int probes_count(const struct probe_set *ps, enum probe_state state)
{
	int n = 0;

	for (int i = 0; i < PROBE_NR; i++)
		n += ps->p[i].state == state;
	return n;
}

const char *probe_state_name(enum probe_state state)
{
	static const char *const names[] = {
		[PROBE_MISSING] = "missing",   [PROBE_SELECTED] = "selected",
		[PROBE_ATTACHED] = "attached", [PROBE_FAILED] = "failed",
		[PROBE_UNNEEDED] = "unneeded",
	};

	return (unsigned int)state < ARRAY_SIZE(names) ? names[state] : "?";
}

const char *probe_mode_name(enum probe_mode mode)
{
	return mode == PROBE_KPROBE ? "kprobe" : "fentry";
}
