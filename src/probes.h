/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which kernel functions we hook, which program fits this kernel (BTF
 * prototypes, fentry or kprobe), loading with a fallback, and attaching one
 * by one so a missing optional target is a notice rather than a failed start.
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
	PROBE_SELECTED, /* a program was chosen, not attached yet */
	PROBE_ATTACHED,
	PROBE_FAILED, /* the kernel refused to attach it */
};

enum probe_mode {
	PROBE_FENTRY,
	PROBE_KPROBE,
};

struct probe {
	const char *name;    /* what it observes, for messages: "mptcp_event", "send" */
	const char *target;  /* the kernel function chosen */
	const char *variant; /* which prototype was matched, or NULL */
	bool mandatory;	     /* the seed probes: no start without them */
	const char *fe_prog; /* program names in bpf/evlat.bpf.c */
	const char *kp_prog;
	enum probe_mode mode; /* how it is (to be) attached */
	enum probe_state state;
	struct bpf_link *link;
	int err;	/* negative errno of a failed attach */
	int fentry_err; /* why fentry was not used, when mode is kprobe */
};

#define PROBES_MAX 6

struct probe_set {
	struct probe p[PROBES_MAX];
	int n;
	bool kprobe_only;    /* the object was loaded with kprobe programs only */
	int fentry_load_err; /* negative errno of the refused fentry load, or 0 */
};

/*
 * Fill @ps from @vmlinux BTF: choose the target and prototype variant of each
 * probe. Returns 0, or -ENOENT when a mandatory target is missing (the probe
 * with state PROBE_MISSING and mandatory set says which).
 */
int probes_select(struct probe_set *ps, const struct btf *vmlinux);

/*
 * Open, configure and load the BPF object for @ps: fentry programs with their
 * kprobe twins first; if the kernel refuses that, kprobe programs only.
 * @force_kprobe skips fentry. @configure is called after every open.
 * Returns 0 with *skel loaded, or a negative errno of the last refusal.
 */
int probes_load(struct probe_set *ps, struct evlat_bpf **skel, bool force_kprobe,
		int (*configure)(struct evlat_bpf *skel, void *ctx), void *ctx);

/* Attach every selected probe (fentry, else its kprobe twin). 0 or a mandatory's error. */
int probes_attach(struct probe_set *ps, struct evlat_bpf *skel);

int probes_count(const struct probe_set *ps, enum probe_state state);
const struct probe *probes_find(const struct probe_set *ps, const char *name);
void probes_detach(struct probe_set *ps);

const char *probe_state_name(enum probe_state state);
const char *probe_mode_name(enum probe_mode mode);

#endif
