/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which kernel functions we hook and which BPF program fits this kernel:
 * one static table (probes.c) with an entry per probe id, each a list of
 * candidate targets and prototype variants; the kernel's BTF picks one.
 * The BPF object's lifecycle (open, autoload, load, attach) is tracer.c's:
 * it asks this module which programs to load and where to attach them.
 */
#ifndef EVLAT_PROBES_H
#define EVLAT_PROBES_H

#include <stdbool.h>

struct btf;
struct bpf_link;

enum probe_id {
	PROBE_EVENT,	 /* mptcp_event(): most event types */
	PROBE_ANNOUNCED, /* mptcp_event_addr_announced() */
	PROBE_CLOSE_SSK, /* mptcp_close_ssk(): where SUB_CLOSED is decided */
	PROBE_REMOVED,	 /* mptcp_event_addr_removed() */
	PROBE_LISTENER,	 /* mptcp_event_pm_listener(), 6.2+ */
	PROBE_SEND,	 /* the multicast send path */
	/* the consumers (fentry/fexit only): loaded with probes_select()'s @consumers */
	PROBE_SEND_END,	 /* the send path returns: its broadcast is over */
	PROBE_QUEUED,	 /* __netlink_sendskb(): a subscriber's socket got the message */
	PROBE_OVERRUN,	 /* netlink_overrun(): a subscriber's socket was full */
	PROBE_READ,	 /* skb_recv_datagram() returns: a process read it */
	PROBE_LISTENERS, /* netlink_has_listeners() returns: was the event built at all */
	PROBE_GONE,	 /* netlink_release(): a subscriber's socket closed */
	PROBE_NR,
};

#define PROBE_FIRST_CONSUMER PROBE_SEND_END

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
	/* from the table: the probe and the candidate this kernel matched */
	const char *name;    /* what it observes, for messages: "mptcp_event", "send" */
	bool mandatory;	     /* the seed probes: no start without them */
	const char *target;  /* the kernel function chosen */
	const char *variant; /* which prototype was matched, or NULL */
	const char *fe_prog; /* program names in bpf/evlat.bpf.c */
	const char *kp_prog; /* NULL: fentry/fexit only */
	/* what became of it */
	enum probe_mode mode; /* how it is (to be) attached */
	enum probe_state state;
	struct bpf_link *link;
	int err;	/* negative errno of a failed attach */
	int fentry_err; /* why fentry was not used, when mode is kprobe */
	/*
	 * Calls the kernel did not run the program for: it is not re-entered on
	 * a CPU where it already runs, and an fentry program can be preempted
	 * (doc/kernel-notes.md "Probe misses"). Read by tracer_misses().
	 */
	unsigned long long misses;
};

struct probe_set {
	struct probe p[PROBE_NR]; /* indexed by enum probe_id */
	bool kprobe_only;	  /* the object was loaded with kprobe programs only */
	int fentry_load_err;	  /* negative errno of the refused fentry load, or 0 */
};

/*
 * Fill @ps from @vmlinux BTF: the target and prototype variant of each
 * probe; the consumer probes only with @consumers (else PROBE_MISSING).
 * Returns 0, or -ENOENT when a mandatory target is missing (that probe has
 * state PROBE_MISSING and mandatory set).
 */
int probes_select(struct probe_set *ps, const struct btf *vmlinux, bool consumers);

/* Whether BPF program @prog belongs to a consumer probe */
bool probes_consumer_prog(const char *prog);

/* Whether every consumer probe is attached: the consumer view is complete */
bool probes_consumers(const struct probe_set *ps);

/* Whether BPF program @prog is to be loaded: fentry ones only if @fentry. */
bool probes_prog_wanted(const struct probe_set *ps, const char *prog, bool fentry);

/* Whether probe @id is attached */
bool probes_attached(const struct probe_set *ps, enum probe_id id);
int probes_count(const struct probe_set *ps, enum probe_state state);

const char *probe_state_name(enum probe_state state);
const char *probe_mode_name(enum probe_mode mode);

#endif
