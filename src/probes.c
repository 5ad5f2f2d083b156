// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "evlat.skel.h"
#include "probes.h"

/* Name of the struct that parameter @idx of function @fn points to, or NULL. */
static const char *param_struct(const struct btf *btf, const char *fn, unsigned int idx)
{
	const struct btf_type *t;
	const struct btf_param *params;
	int id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);

	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type); /* FUNC_PROTO */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) <= idx)
		return NULL;
	params = btf_params(t);
	t = btf__type_by_id(btf, params[idx].type);
	while (t && (btf_is_ptr(t) || btf_is_const(t) || btf_is_volatile(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_struct(t))
		return NULL;
	return btf__name_by_offset(btf, t->name_off);
}

static void probe_add(struct probe_set *ps, const char *target, bool mandatory,
		      struct bpf_program *prog, const char *variant, const struct btf *btf)
{
	struct probe *p = &ps->p[ps->n++];

	p->target = target;
	p->mandatory = mandatory;
	p->prog = prog;
	p->variant = variant;
	if (btf__find_by_name_kind(btf, target, BTF_KIND_FUNC) < 0) {
		p->state = PROBE_MISSING;
		bpf_program__set_autoload(prog, false);
	} else {
		p->state = PROBE_SELECTED;
	}
}

/*
 * mptcp_event_addr_announced() took the msk first in 5.12 - 5.18 and the
 * subflow socket since 5.19: read which one this kernel has.
 */
static void select_announced(struct probe_set *ps, struct evlat_bpf *skel, const struct btf *btf)
{
	const char *fn = "mptcp_event_addr_announced";
	const char *first = param_struct(btf, fn, 0);
	bool msk_first = first && !strcmp(first, "mptcp_sock");

	bpf_program__set_autoload(
		msk_first ? skel->progs.evlat_announced : skel->progs.evlat_announced_msk, false);
	probe_add(ps, fn, true,
		  msk_first ? skel->progs.evlat_announced_msk : skel->progs.evlat_announced,
		  msk_first ? "msk" : "ssk", btf);
}

int probes_select(struct probe_set *ps, struct evlat_bpf *skel, const struct btf *btf)
{
	memset(ps, 0, sizeof(*ps));
	probe_add(ps, "mptcp_event", true, skel->progs.evlat_event, NULL, btf);
	select_announced(ps, skel, btf);
	probe_add(ps, "mptcp_close_ssk", true, skel->progs.evlat_close_ssk, NULL, btf);
	probe_add(ps, "mptcp_event_addr_removed", false, skel->progs.evlat_removed, NULL, btf);
	/* added in 6.2 with the LISTENER_* events */
	probe_add(ps, "mptcp_event_pm_listener", false, skel->progs.evlat_listener, NULL, btf);

	for (int i = 0; i < ps->n; i++)
		if (ps->p[i].mandatory && ps->p[i].state == PROBE_MISSING)
			return -ENOENT;
	return 0;
}

int probes_attach(struct probe_set *ps)
{
	for (int i = 0; i < ps->n; i++) {
		struct probe *p = &ps->p[i];

		if (p->state != PROBE_SELECTED)
			continue;
		p->link = bpf_program__attach(p->prog);
		if (!p->link) {
			p->err = -errno;
			p->state = PROBE_FAILED;
			if (p->mandatory)
				return p->err;
			continue;
		}
		p->state = PROBE_ATTACHED;
	}
	return 0;
}

int probes_count(const struct probe_set *ps, enum probe_state state)
{
	int n = 0;

	for (int i = 0; i < ps->n; i++)
		n += ps->p[i].state == state;
	return n;
}

void probes_destroy(struct probe_set *ps)
{
	for (int i = 0; i < ps->n; i++) {
		bpf_link__destroy(ps->p[i].link);
		ps->p[i].link = NULL;
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
