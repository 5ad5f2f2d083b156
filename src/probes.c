// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "evlat.skel.h"
#include "probes.h"

static bool have_func(const struct btf *btf, const char *fn)
{
	return btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) >= 0;
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

static struct probe *probe_add(struct probe_set *ps, const char *name, const char *target,
			       bool mandatory, const char *fe, const char *kp,
			       const struct btf *btf)
{
	struct probe *p = &ps->p[ps->n++];

	p->name = name;
	p->target = target;
	p->mandatory = mandatory;
	p->fe_prog = fe;
	p->kp_prog = kp;
	p->state = target && have_func(btf, target) ? PROBE_SELECTED : PROBE_MISSING;
	return p;
}

/*
 * mptcp_event_addr_announced() took the msk first in 5.12 - 5.18 and the
 * subflow socket since 5.19: read which one this kernel has.
 */
static void select_announced(struct probe_set *ps, const struct btf *btf)
{
	const char *fn = "mptcp_event_addr_announced";
	const char *first = param_struct(btf, fn, 0);
	bool msk = first && !strcmp(first, "mptcp_sock");
	struct probe *p = probe_add(ps, fn, fn, true, msk ? "fe_announced_msk" : "fe_announced",
				    msk ? "kp_announced_msk" : "kp_announced", btf);

	p->variant = msk ? "msk" : "ssk";
}

/*
 * The send path: mptcp_nl_mcast_send() since 6.2-ish; in 6.1 it is inlined and
 * netlink_broadcast() (filtered on our group id in BPF) is the closest hook.
 */
static void select_send(struct probe_set *ps, const struct btf *btf)
{
	if (have_func(btf, "mptcp_nl_mcast_send"))
		probe_add(ps, "send", "mptcp_nl_mcast_send", false, "fe_mcast_send",
			  "kp_mcast_send", btf);
	else
		probe_add(ps, "send", "netlink_broadcast", false, "fe_broadcast", "kp_broadcast",
			  btf);
}

int probes_select(struct probe_set *ps, const struct btf *btf)
{
	memset(ps, 0, sizeof(*ps));
	probe_add(ps, "mptcp_event", "mptcp_event", true, "fe_event", "kp_event", btf);
	select_announced(ps, btf);
	probe_add(ps, "mptcp_close_ssk", "mptcp_close_ssk", true, "fe_close_ssk", "kp_close_ssk",
		  btf);
	probe_add(ps, "mptcp_event_addr_removed", "mptcp_event_addr_removed", false, "fe_removed",
		  "kp_removed", btf);
	/* added in 6.2 with the LISTENER_* events */
	probe_add(ps, "mptcp_event_pm_listener", "mptcp_event_pm_listener", false, "fe_listener",
		  "kp_listener", btf);
	select_send(ps, btf);

	for (int i = 0; i < ps->n; i++)
		if (ps->p[i].mandatory && ps->p[i].state == PROBE_MISSING)
			return -ENOENT;
	return 0;
}

static bool prog_wanted(const struct probe_set *ps, const char *prog, bool fentry)
{
	for (int i = 0; i < ps->n; i++) {
		const struct probe *p = &ps->p[i];

		if (p->state == PROBE_MISSING)
			continue;
		if ((fentry && !strcmp(prog, p->fe_prog)) || !strcmp(prog, p->kp_prog))
			return true;
	}
	return false;
}

/* Load only the programs of present targets; fentry ones unless @fentry is false. */
static int load_once(struct probe_set *ps, struct evlat_bpf **skel, bool fentry,
		     int (*configure)(struct evlat_bpf *, void *), void *ctx)
{
	struct bpf_program *prog;
	int err;

	*skel = evlat_bpf__open();
	if (!*skel)
		return -errno;
	bpf_object__for_each_program(prog, (*skel)->obj)
		bpf_program__set_autoload(prog, prog_wanted(ps, bpf_program__name(prog), fentry));
	err = configure ? configure(*skel, ctx) : 0;
	if (!err)
		err = evlat_bpf__load(*skel);
	if (err) {
		evlat_bpf__destroy(*skel);
		*skel = NULL;
	}
	return err;
}

int probes_load(struct probe_set *ps, struct evlat_bpf **skel, bool force_kprobe,
		int (*configure)(struct evlat_bpf *, void *), void *ctx)
{
	int err = 0;

	if (!force_kprobe) {
		err = load_once(ps, skel, true, configure, ctx);
		if (!err)
			return 0;
		ps->fentry_load_err = err;
	}
	ps->kprobe_only = true;
	err = load_once(ps, skel, false, configure, ctx);
	return err;
}

static int attach_prog(struct probe *p, struct evlat_bpf *skel, const char *name,
		       enum probe_mode mode)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, name);

	if (!prog || !bpf_program__autoload(prog))
		return -ENOENT;
	if (mode == PROBE_KPROBE)
		p->link = bpf_program__attach_kprobe(prog, false, p->target);
	else
		p->link = bpf_program__attach(prog);
	if (!p->link)
		return -errno;
	p->mode = mode;
	return 0;
}

int probes_attach(struct probe_set *ps, struct evlat_bpf *skel)
{
	int ret = 0;

	/* try every probe, so --check can say what each one does */
	for (int i = 0; i < ps->n; i++) {
		struct probe *p = &ps->p[i];
		int err = -ENOENT;

		if (p->state != PROBE_SELECTED)
			continue;
		if (!ps->kprobe_only)
			err = attach_prog(p, skel, p->fe_prog, PROBE_FENTRY);
		p->fentry_err = ps->kprobe_only ? ps->fentry_load_err : err;
		if (err)
			err = attach_prog(p, skel, p->kp_prog, PROBE_KPROBE);
		p->err = err;
		p->state = err ? PROBE_FAILED : PROBE_ATTACHED;
		if (err && p->mandatory && !ret)
			ret = err;
	}
	return ret;
}

int probes_count(const struct probe_set *ps, enum probe_state state)
{
	int n = 0;

	for (int i = 0; i < ps->n; i++)
		n += ps->p[i].state == state;
	return n;
}

const struct probe *probes_find(const struct probe_set *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i].name, name))
			return &ps->p[i];
	return NULL;
}

void probes_detach(struct probe_set *ps)
{
	for (int i = 0; i < ps->n; i++) {
		bpf_link__destroy(ps->p[i].link);
		ps->p[i].link = NULL;
		if (ps->p[i].state == PROBE_ATTACHED)
			ps->p[i].state = PROBE_SELECTED;
	}
}

const char *probe_state_name(enum probe_state state)
{
	switch (state) {
	case PROBE_MISSING:
		return "missing";
	case PROBE_SELECTED:
		return "selected";
	case PROBE_ATTACHED:
		return "attached";
	case PROBE_FAILED:
		return "failed";
	}
	return "?";
}

const char *probe_mode_name(enum probe_mode mode)
{
	return mode == PROBE_KPROBE ? "kprobe" : "fentry";
}
