// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "evlat.skel.h"
#include "evlat_record.h"
#include "exit_codes.h"
#include "tracer.h"
#include "util.h"

#define CAP_PERFMON_ 38 /* 5.8+, absent from older headers */
#define CAP_BPF_     39

static __u64 effective_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0 ? ~0ULL : 0;
	return data[0].effective | (__u64)data[1].effective << 32;
}

bool have_bpf_privileges(void)
{
	__u64 eff = effective_caps();

	if (eff & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ULL << CAP_BPF_)) && (eff & (1ULL << CAP_PERFMON_));
}

bool have_net_admin(void)
{
	return effective_caps() & (1ULL << CAP_NET_ADMIN);
}

static int configure(struct evlat_bpf *skel, const struct tracer_cfg *cfg, bool consumers)
{
	skel->rodata->targ_netns = cfg->netns;
	skel->rodata->targ_mcgrp = cfg->mcgrp;
	/* the hooks and send probes keep the task context only for the consumer probes */
	skel->rodata->targ_consumers = consumers;
	/*
	 * The loop drains the ring on every netlink event and every EVLAT_POLL_MS
	 * anyway; a wake-up of its own only when a quarter of the ring is used
	 * (64 KiB of the default 256 KiB): rare, with three quarters of headroom.
	 */
	skel->rodata->targ_wakeup_bytes = cfg->ringbuf_kib * 1024 / 4;
	return bpf_map__set_max_entries(skel->maps.events, cfg->ringbuf_kib * 1024);
}

static int select_probes(struct tracer *t, const struct tracer_cfg *cfg)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int err;

	if (!btf) {
		warn("no kernel BTF (/sys/kernel/btf/vmlinux): the kernel needs "
		     "CONFIG_DEBUG_INFO_BTF=y; --genl-only works without it");
		return EXIT_NO_BTF;
	}
	t->have_btf = true;
	err = probes_select(&t->probes, btf, cfg->consumers);
	btf__free(btf);
	if (!err)
		return 0;
	for (int i = 0; i < PROBE_NR; i++)
		if (t->probes.p[i].state == PROBE_MISSING && t->probes.p[i].mandatory)
			warn("kernel has no %s(): is MPTCP built in (CONFIG_MPTCP=y)?",
			     t->probes.p[i].target);
	return EXIT_NO_MPTCP;
}

static const struct probe *first_failed(const struct probe_set *ps)
{
	for (int i = 0; i < PROBE_NR; i++)
		if (ps->p[i].mandatory && ps->p[i].state == PROBE_FAILED)
			return &ps->p[i];
	return &ps->p[0];
}

/* One notice for the consumer probes as a whole: they make one view */
static void report_consumers(const struct tracer *t)
{
	const struct probe_set *ps = &t->probes;

	if (probes_consumers(ps))
		return;
	if (t->consumer_load_err)
		warn("notice: no consumer view: %s", t->consumer_load_err == -EOPNOTSUPP
							     ? "it needs fentry/fexit programs"
							     : strerror(-t->consumer_load_err));
	for (int i = PROBE_FIRST_CONSUMER; !t->consumer_load_err && i < PROBE_NR; i++)
		if (ps->p[i].state != PROBE_ATTACHED) {
			warn("notice: no consumer view: %s() %s", ps->p[i].target,
			     ps->p[i].state == PROBE_MISSING ? "not in this kernel"
							     : strerror(-ps->p[i].err));
			break;
		}
}

static void report_attach(const struct tracer *t, const struct tracer_cfg *cfg)
{
	const struct probe_set *ps = &t->probes;
	const struct probe *kp = NULL;
	int kprobes = 0;

	for (int i = 0; i < PROBE_FIRST_CONSUMER; i++) {
		const struct probe *p = &ps->p[i];

		if (p->state == PROBE_MISSING)
			warn("notice: %s() not in this kernel, skipped", p->target);
		else if (p->state == PROBE_FAILED)
			warn("notice: cannot attach to %s(): %s", p->target, strerror(-p->err));
		else if (p->state == PROBE_ATTACHED && p->mode == PROBE_KPROBE && kprobes++ == 0)
			kp = p;
	}
	if (kprobes)
		warn("notice: %d probes traced with kprobes (fentry: %s)", kprobes,
		     kp->fentry_err ? strerror(-kp->fentry_err) : "--kprobes");
	if (cfg->consumers)
		report_consumers(t);
}

/*
 * Open the object, autoload only the programs of present targets (fentry ones
 * unless !@fentry; the consumer probes' only with @consumers), configure,
 * load. 0 with t->skel loaded, or a negative errno.
 */
static int load_once(struct tracer *t, const struct tracer_cfg *cfg, bool fentry, bool consumers)
{
	struct bpf_program *prog;
	int err;

	t->skel = evlat_bpf__open();
	if (!t->skel)
		return -errno;
	bpf_object__for_each_program(prog, t->skel->obj)
	{
		const char *name = bpf_program__name(prog);

		bpf_program__set_autoload(prog, probes_prog_wanted(&t->probes, name, fentry) &&
							(consumers || !probes_consumer_prog(name)));
	}
	err = configure(t->skel, cfg, fentry && consumers);
	if (!err)
		err = evlat_bpf__load(t->skel);
	if (err) {
		evlat_bpf__destroy(t->skel);
		t->skel = NULL;
	}
	return err;
}

/* The consumer probes are not essential: a refusal of theirs leaves them out */
static void drop_consumers(struct tracer *t, int err)
{
	t->consumer_load_err = err;
	for (int i = PROBE_FIRST_CONSUMER; i < PROBE_NR; i++)
		if (t->probes.p[i].state == PROBE_SELECTED) {
			t->probes.p[i].state = PROBE_FAILED;
			t->probes.p[i].err = err;
		}
}

/*
 * fentry programs with their kprobe twins first, with the consumer probes;
 * then without them; if the kernel refuses fentry, kprobe programs only
 * (the consumer probes have no kprobe twin).
 */
static int load(struct tracer *t, const struct tracer_cfg *cfg)
{
	int err;

	if (!cfg->force_kprobe) {
		err = load_once(t, cfg, true, cfg->consumers);
		if (!err)
			return 0;
		if (cfg->consumers && !load_once(t, cfg, true, false)) {
			drop_consumers(t, err);
			return 0;
		}
		t->probes.fentry_load_err = err;
	}
	t->probes.kprobe_only = true;
	if (cfg->consumers)
		drop_consumers(t, -EOPNOTSUPP);
	return load_once(t, cfg, false, false);
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

/* Every selected probe (fentry, else its kprobe twin): 0 or the first mandatory's error. */
static int attach(struct tracer *t)
{
	struct probe_set *ps = &t->probes;
	int ret = 0;

	/* try every probe, so --check can say what each one does */
	for (int i = 0; i < PROBE_NR; i++) {
		struct probe *p = &ps->p[i];
		int err = -ENOENT;

		if (p->state != PROBE_SELECTED)
			continue;
		if (!ps->kprobe_only)
			err = attach_prog(p, t->skel, p->fe_prog, PROBE_FENTRY);
		p->fentry_err = ps->kprobe_only ? ps->fentry_load_err : err;
		if (err && p->kp_prog)
			err = attach_prog(p, t->skel, p->kp_prog, PROBE_KPROBE);
		p->err = err;
		p->state = err ? PROBE_FAILED : PROBE_ATTACHED;
		if (err && p->mandatory && !ret)
			ret = err;
	}
	return ret;
}

static void detach(struct probe_set *ps)
{
	for (int i = 0; i < PROBE_NR; i++) {
		bpf_link__destroy(ps->p[i].link);
		ps->p[i].link = NULL;
		if (ps->p[i].state == PROBE_ATTACHED)
			ps->p[i].state = PROBE_SELECTED;
	}
}

static void print_attached(const struct probe_set *ps)
{
	fprintf(stderr, EVLAT_PROG ": attached %d probes:", probes_count(ps, PROBE_ATTACHED));
	for (int i = 0; i < PROBE_NR; i++)
		if (ps->p[i].state == PROBE_ATTACHED)
			fprintf(stderr, " %s", ps->p[i].target);
	fputc('\n', stderr);
}

static int load_and_attach(struct tracer *t, const struct tracer_cfg *cfg)
{
	int err = load(t, cfg);

	if (err) {
		if (cfg->quiet)
			return EXIT_BPF_REFUSED;
		warn("kernel refused the BPF programs: fentry: %s, kprobe: %s; "
		     "--genl-only still reports the netlink side",
		     t->probes.fentry_load_err ? strerror(-t->probes.fentry_load_err) : "not tried",
		     strerror(-err));
		return EXIT_BPF_REFUSED;
	}
	err = attach(t);
	if (err) {
		const struct probe *p = first_failed(&t->probes);

		if (!cfg->quiet)
			warn("kernel refused the probe on %s(): fentry: %s, kprobe: %s; "
			     "--genl-only still reports the netlink side",
			     p->target, p->fentry_err ? strerror(-p->fentry_err) : "-",
			     strerror(-p->err));
		return EXIT_BPF_REFUSED;
	}
	if (cfg->quiet)
		return 0;
	report_attach(t, cfg);
	print_attached(&t->probes);
	return 0;
}

int tracer_open(struct tracer *t, const struct tracer_cfg *cfg)
{
	int ret;

	memset(t, 0, sizeof(*t));
	ret = select_probes(t, cfg);
	if (!ret)
		ret = load_and_attach(t, cfg);
	if (ret)
		return ret;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), cfg->cb, cfg->ctx, NULL);
	if (!t->rb) {
		warn("cannot set up the ring buffer: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return 0;
}

int tracer_ringbuf_fd(const struct tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int tracer_consume(struct tracer *t)
{
	return ring_buffer__consume(t->rb);
}

/* All slots in one bpf(BPF_MAP_LOOKUP_BATCH) (5.6+); 0 or a negative errno. */
static int drops_batch(const struct tracer *t, __u64 *vals, int ncpu)
{
	__u32 keys[EVLAT_DROP_SLOTS], out_batch, count = EVLAT_DROP_SLOTS;
	int err = bpf_map_lookup_batch(bpf_map__fd(t->skel->maps.drops), NULL, &out_batch, keys,
				       vals, &count, NULL);

	/* -ENOENT: the walk reached the end, which for an array is success */
	if ((err && errno != ENOENT) || count != EVLAT_DROP_SLOTS)
		return -EIO;
	for (__u32 i = 0; i < count; i++)
		if (keys[i] != i)
			return -EIO;
	return 0;
}

/* The per-key fallback: 512 syscalls, hence rare callers only; 0 or -EIO. */
static int drops_each(const struct tracer *t, __u64 *vals, int ncpu)
{
	for (__u32 k = 0; k < EVLAT_DROP_SLOTS; k++)
		if (bpf_map__lookup_elem(t->skel->maps.drops, &k, sizeof(k), vals + k * ncpu,
					 ncpu * sizeof(*vals), 0))
			return -EIO;
	return 0;
}

/* The BPF side's running total of drops, read from the mmap()ed .bss. */
static unsigned long long drops_total(const struct tracer *t)
{
	return __atomic_load_n(&t->skel->bss->drops_total, __ATOMIC_ACQUIRE);
}

/*
 * Walk every slot on every CPU into t->drop_slots: 0, or a negative errno and
 * the slots as they were (the map unreadable: after the privilege drop on
 * kernels before 5.19 with unprivileged BPF disabled).
 */
static int drops_walk(struct tracer *t)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc((size_t)EVLAT_DROP_SLOTS * ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (drops_batch(t, vals, ncpu) && drops_each(t, vals, ncpu)) {
		free(vals);
		return -EIO;
	}
	for (int k = 0; k < EVLAT_DROP_SLOTS; k++) {
		t->drop_slots[k] = 0;
		for (int c = 0; c < ncpu; c++)
			t->drop_slots[k] += vals[k * ncpu + c];
	}
	free(vals);
	return 0;
}

unsigned long long tracer_drops(struct tracer *t, unsigned long long *slots)
{
	unsigned long long total = 0, now;

	if (slots)
		memset(slots, 0, EVLAT_DROP_SLOTS * sizeof(*slots));
	if (!t->skel)
		return 0;
	/*
	 * Read before the walk: drops during it make the next call walk again.
	 * No .bss mapping (a kernel without BPF_F_MMAPABLE, before 5.5): walk
	 * every time.
	 */
	now = t->skel->bss ? drops_total(t) : t->drops_walked + 1;
	if ((!t->drops_valid || now != t->drops_walked) && !drops_walk(t)) {
		t->drops_walked = now;
		t->drops_valid = true;
	}
	for (int k = 0; k < EVLAT_DROP_SLOTS; k++) {
		total += t->drop_slots[k];
		if (slots)
			slots[k] = t->drop_slots[k];
	}
	/* the running total counts every drop the slots do: right even when a walk failed */
	return t->skel->bss && now > total ? now : total;
}

unsigned long long tracer_misses(struct tracer *t)
{
	unsigned long long sum = 0;

	for (int i = 0; t->skel && i < PROBE_NR; i++) {
		struct probe *p = &t->probes.p[i];
		const char *name = p->mode == PROBE_KPROBE ? p->kp_prog : p->fe_prog;
		struct bpf_program *prog;
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (p->state != PROBE_ATTACHED)
			continue;
		prog = bpf_object__find_program_by_name(t->skel->obj, name);
		/* a failed read keeps the last count: it never goes down */
		if (prog && !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) &&
		    info.recursion_misses > p->misses)
			p->misses = info.recursion_misses;
		sum += p->misses;
	}
	return sum;
}

void tracer_close(struct tracer *t)
{
	ring_buffer__free(t->rb);
	detach(&t->probes);
	evlat_bpf__destroy(t->skel);
	t->rb = NULL;
	t->skel = NULL;
}
