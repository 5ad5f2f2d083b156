/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which kernel functions we hook, which program variant fits this kernel's
 * BTF, and attaching them one by one so a missing optional target is a
 * notice rather than a failed start.
 */
#ifndef EVLAT_PROBES_H
#define EVLAT_PROBES_H

#include <stdbool.h>

struct btf;
struct bpf_program;
struct bpf_link;
struct evlat_bpf;

enum probe_state {
	PROBE_MISSING,	/* target not in this kernel's BTF */
	PROBE_SELECTED, /* a program variant was chosen, not attached yet */
	PROBE_ATTACHED,
	PROBE_FAILED, /* the kernel refused to attach it */
};

struct probe {
	const char *target;  /* kernel function */
	bool mandatory;	     /* the seed probes: no start without them */
	const char *variant; /* which prototype was matched, for messages */
	struct bpf_program *prog;
	struct bpf_link *link;
	enum probe_state state;
	int err; /* negative errno of the failed attach */
};

#define PROBES_MAX 5

struct probe_set {
	struct probe p[PROBES_MAX];
	int n;
};

/*
 * Fill @ps from the skeleton and @vmlinux BTF: choose one program per target,
 * disable autoload of the others. Returns 0, or -ENOENT when a mandatory
 * target is missing (@ps->p[i].state says which).
 */
int probes_select(struct probe_set *ps, struct evlat_bpf *skel, const struct btf *vmlinux);

/* Attach every selected probe. Returns 0 or the error of a mandatory one. */
int probes_attach(struct probe_set *ps);

/* Number of probes in @state */
int probes_count(const struct probe_set *ps, enum probe_state state);

void probes_destroy(struct probe_set *ps);

const char *probe_state_name(enum probe_state state);

#endif
