/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BPF side's lifecycle: BTF, probe choice, load (with fallback), attach, ring buffer. */
#ifndef EVLAT_TRACER_H
#define EVLAT_TRACER_H

#include <stdbool.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include "evlat_record.h"
#include "probes.h"

struct evlat_bpf;

struct tracer_cfg {
	__u32 netns;		  /* only this namespace (inode), 0 = all */
	__u32 mcgrp;		  /* absolute genl group id of mptcp_pm_events */
	unsigned int ringbuf_kib; /* power of 2 */
	bool force_kprobe;
	bool consumers; /* the consumer probes too (fentry/fexit only) */
	bool quiet;	/* --check prints its own table */
	ring_buffer_sample_fn cb;
	void *ctx;
};

struct tracer {
	struct evlat_bpf *skel;
	struct probe_set probes;
	struct ring_buffer *rb;
	bool have_btf;
	int consumer_load_err; /* why the consumer probes were left out of the load, or 0 */
	/* the per-slot drops as of the last walk, and drops_total then */
	unsigned long long drop_slots[EVLAT_DROP_SLOTS];
	unsigned long long drops_walked;
	bool drops_valid;
};

/*
 * Load and attach. Returns 0, or an EXIT_* code after printing one message
 * that says what the kernel refused and what to do about it.
 */
int tracer_open(struct tracer *t, const struct tracer_cfg *cfg);
int tracer_ringbuf_fd(const struct tracer *t);
/* Read and hand every ring-buffer record to cfg->cb; returns records or negative errno. */
int tracer_consume(struct tracer *t);
/*
 * Ring-buffer drops per EVLAT_DROP_* slot, summed over CPUs; returns the total.
 * The slots are read from the kernel only when the BPF side's running total
 * moved since the last call: without drops, no syscall.
 */
unsigned long long tracer_drops(struct tracer *t, unsigned long long *slots);
/*
 * Refresh every attached probe's misses (struct probe.misses) from the
 * kernel's count for its program (bpf_prog_info.recursion_misses, 5.12+;
 * 0 where the kernel does not count). Returns their sum.
 */
unsigned long long tracer_misses(struct tracer *t);
void tracer_close(struct tracer *t);

/* Root, or CAP_BPF + CAP_PERFMON (5.8+), or CAP_SYS_ADMIN. */
bool have_bpf_privileges(void);
/* CAP_NET_ADMIN: joining mptcp_pm_events needs it since 6.7 */
bool have_net_admin(void);

#endif
