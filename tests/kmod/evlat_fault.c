// SPDX-License-Identifier: GPL-2.0
/*
 * evlat_fault: a TEST-ONLY module that makes exactly N allocations of MPTCP
 * path-manager event messages fail, so that the tests can check that
 * mptcp-evlat counts exactly N losses.
 *
 * Debian's kernels have no CONFIG_FUNCTION_ERROR_INJECTION and no
 * CONFIG_FAULT_INJECTION (doc/kernel-notes.md), so neither bpf_override_return
 * nor failslab can do this. Kprobes can:
 *
 *   - a kretprobe on each event sender (mptcp_event(),
 *     mptcp_event_addr_announced(), mptcp_event_addr_removed()) whose entry
 *     handler marks "inside a GFP_ATOMIC sender of the chosen namespace" in a
 *     per-CPU slot, and whose return handler clears the mark;
 *   - a kprobe on __alloc_skb() whose pre-handler, when armed and inside a
 *     marked sender, for a gfp without __GFP_DIRECT_RECLAIM, skips the
 *     function: it sets the instruction pointer to a function of ours that
 *     returns NULL (regs->ax is zeroed as well) and returns 1, so kprobes
 *     neither single-steps nor resumes the probed function.
 *
 * The kretprobe's entry_handler is the entry kprobe: it runs at the sender's
 * first instruction like a kprobe does, and pairs each entry with its return
 * through the instance data (ri->data), which two separate probes could not.
 *
 * Why a per-CPU mark is right here: only senders called with an atomic gfp
 * are marked (mptcp_event()'s gfp argument; the two address senders always use
 * GFP_ATOMIC, 5.13 to 7.2). An atomic sender does not sleep, so its entry, its
 * nlmsg_new() -> __alloc_skb() and its return all run on one CPU. Senders that
 * may block (GFP_KERNEL: CLOSED, SUB_CLOSED, ...) are never marked: they could
 * sleep and migrate, and they are not the losses we are after anyway.
 * Hard/soft interrupts can still nest on that CPU, so there is one slot per
 * context level (task, softirq, hardirq, NMI), the slot remembers its task and
 * its owner (the kretprobe instance), and only the first atomic __alloc_skb()
 * of a sender invocation (nlmsg_new() of the event, the first thing every
 * sender allocates) can be failed. Anything unexpected (preemption inside a
 * sender, a missed kretprobe instance) can only make us fail fewer messages,
 * never a wrong allocation: the test then sees the difference.
 *
 * Parameters (/sys/module/evlat_fault/parameters/):
 *   fail_count       rw  how many more event messages to fail (0 = disarmed)
 *   netns_ino        rw  only senders whose socket is in this network
 *                        namespace (its inode, stat -L -c %i /run/netns/X);
 *                        0 = any. The kernel builds events for every
 *                        namespace as soon as one listener exists anywhere.
 *   failed           ro  failures forced since load
 *   failed_by_event  ro  the same per event type: "created=1 sub_established=1"
 *   matched          ro  atomic sender allocations seen in scope (failed or not)
 *   gfp_direct_reclaim ro this kernel's __GFP_DIRECT_RECLAIM (a gfp without it is atomic)
 *
 * Each forced failure is logged with pr_info (event type, gfp, netns).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <uapi/linux/mptcp.h>

#define EVF_MAX_EVENT 32 /* enum mptcp_event_type fits; larger values are counted at 0 */

enum evf_level { EVF_TASK, EVF_SOFTIRQ, EVF_HARDIRQ, EVF_NMI, EVF_LEVELS };

struct evf_slot {
	struct kretprobe_instance *owner; /* the sender invocation that set it, NULL: free */
	struct task_struct *task;
	u32 netns;
	u8 event;
	bool consumed; /* its first atomic __alloc_skb() has been seen */
};

struct evf_cpu {
	struct evf_slot slot[EVF_LEVELS];
};

/* Instance data of a kretprobe: where its entry handler wrote its mark. */
struct evf_inst {
	int cpu;
	int level;
};

static DEFINE_PER_CPU(struct evf_cpu, evf_cpu);

static atomic_t evf_remaining = ATOMIC_INIT(0);
static atomic_t evf_failed = ATOMIC_INIT(0);
static atomic_t evf_matched = ATOMIC_INIT(0);
static atomic_t evf_failed_by_event[EVF_MAX_EVENT];
static unsigned int netns_ino;

/* ------------------------------------------------------------------------- */
/* Module parameters. */

static int evf_param_set_atomic(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int err = kstrtouint(val, 0, &n);

	if (err)
		return err;
	if (n > INT_MAX)
		return -ERANGE;
	atomic_set(kp->arg, n);
	return 0;
}

static int evf_param_get_atomic(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops evf_rw_atomic_ops = {
	.set = evf_param_set_atomic,
	.get = evf_param_get_atomic,
};

static const struct kernel_param_ops evf_ro_atomic_ops = {
	.get = evf_param_get_atomic,
};

/* The names mptcp-evlat and its tests use (ip mptcp monitor's, lower case, SF_ -> sub_). */
static const char *const evf_event_names[EVF_MAX_EVENT] = {
	[MPTCP_EVENT_CREATED] = "created",
	[MPTCP_EVENT_ESTABLISHED] = "established",
	[MPTCP_EVENT_CLOSED] = "closed",
	[MPTCP_EVENT_ANNOUNCED] = "announced",
	[MPTCP_EVENT_REMOVED] = "removed",
	[MPTCP_EVENT_SUB_ESTABLISHED] = "sub_established",
	[MPTCP_EVENT_SUB_CLOSED] = "sub_closed",
	[MPTCP_EVENT_SUB_PRIORITY] = "sub_priority",
	[15] = "listener_created", /* MPTCP_EVENT_LISTENER_CREATED, 6.2+ uapi */
	[16] = "listener_closed",
};

static const char *evf_event_name(unsigned int type)
{
	return type < EVF_MAX_EVENT && evf_event_names[type] ? evf_event_names[type] : NULL;
}

static int evf_param_get_by_event(char *buf, const struct kernel_param *kp)
{
	int i, n, len = 0;

	for (i = 0; i < EVF_MAX_EVENT; i++) {
		const char *name = evf_event_name(i);

		n = atomic_read(&evf_failed_by_event[i]);
		if (!n)
			continue;
		if (name)
			len += sysfs_emit_at(buf, len, "%s%s=%d", len ? " " : "", name, n);
		else
			len += sysfs_emit_at(buf, len, "%s%d=%d", len ? " " : "", i, n);
	}
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static const struct kernel_param_ops evf_by_event_ops = {
	.get = evf_param_get_by_event,
};

module_param_cb(fail_count, &evf_rw_atomic_ops, &evf_remaining, 0644);
MODULE_PARM_DESC(fail_count, "how many more MPTCP event messages to fail (0 = disarmed)");
module_param(netns_ino, uint, 0644);
MODULE_PARM_DESC(netns_ino, "only events of this network namespace inode (0 = any)");
module_param_cb(failed, &evf_ro_atomic_ops, &evf_failed, 0444);
MODULE_PARM_DESC(failed, "event message allocations failed since load");
module_param_cb(failed_by_event, &evf_by_event_ops, NULL, 0444);
MODULE_PARM_DESC(failed_by_event, "failures per event type, \"name=count ...\"");
module_param_cb(matched, &evf_ro_atomic_ops, &evf_matched, 0444);
MODULE_PARM_DESC(matched, "atomic event message allocations seen in scope, failed or not");

/* This kernel's __GFP_DIRECT_RECLAIM, for tests that classify a record's gfp themselves. */
static int evf_param_get_reclaim(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%#x\n", (unsigned int)__GFP_DIRECT_RECLAIM);
}

static const struct kernel_param_ops evf_reclaim_ops = {
	.get = evf_param_get_reclaim,
};

module_param_cb(gfp_direct_reclaim, &evf_reclaim_ops, NULL, 0444);
MODULE_PARM_DESC(gfp_direct_reclaim,
		 "this kernel's __GFP_DIRECT_RECLAIM: a gfp without it is atomic");

/* ------------------------------------------------------------------------- */
/* Senders: mark and unmark. */

static enum evf_level evf_level(void)
{
	if (in_nmi())
		return EVF_NMI;
	if (in_hardirq())
		return EVF_HARDIRQ;
	if (in_serving_softirq())
		return EVF_SOFTIRQ;
	return EVF_TASK;
}

/*
 * Entry of an atomic sender: mark this CPU's slot for the current context
 * level when the socket is in the chosen namespace. Returning non-zero tells
 * kprobes not to hook this invocation's return.
 */
static int evf_sender_enter(struct kretprobe_instance *ri, const struct sock *sk,
			    unsigned int event)
{
	struct evf_inst *inst = (struct evf_inst *)ri->data;
	unsigned int want = READ_ONCE(netns_ino);
	u32 ino = sk ? sock_net(sk)->ns.inum : 0;
	struct evf_slot *slot;

	if (want && ino != want)
		return 1;
	inst->cpu = smp_processor_id();
	inst->level = evf_level();
	slot = &this_cpu_ptr(&evf_cpu)->slot[inst->level];
	slot->task = current;
	slot->netns = ino;
	slot->event = event;
	slot->consumed = false;
	barrier(); /* the fields before the owner: an interrupt on this CPU may look */
	WRITE_ONCE(slot->owner, ri);
	return 0;
}

/* mptcp_event(enum mptcp_event_type type, const struct mptcp_sock *msk,
 *	       const struct sock *ssk, gfp_t gfp)
 */
static int evf_event_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	unsigned int type = regs_get_kernel_argument(regs, 0);
	const struct sock *msk = (const struct sock *)regs_get_kernel_argument(regs, 1);
	gfp_t gfp = (gfp_t)regs_get_kernel_argument(regs, 3);

	if (gfpflags_allow_blocking(gfp))
		return 1; /* may sleep and migrate: never marked (see the top comment) */
	return evf_sender_enter(ri, msk, type);
}

/* mptcp_event_addr_announced(const struct sock *ssk, const struct mptcp_addr_info *info): 5.19+ */
static int evf_announced_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return evf_sender_enter(ri, (const struct sock *)regs_get_kernel_argument(regs, 0),
				MPTCP_EVENT_ANNOUNCED);
}

/* mptcp_event_addr_removed(const struct mptcp_sock *msk, u8 id) */
static int evf_removed_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return evf_sender_enter(ri, (const struct sock *)regs_get_kernel_argument(regs, 0),
				MPTCP_EVENT_REMOVED);
}

/* Return of a marked sender: free its slot unless a later sender took it over. */
static int evf_sender_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct evf_inst *inst = (struct evf_inst *)ri->data;
	struct evf_slot *slot = &per_cpu_ptr(&evf_cpu, inst->cpu)->slot[inst->level];

	cmpxchg(&slot->owner, ri, NULL);
	return 0;
}

#define EVF_SENDER(sym, entry)                                                                     \
	{                                                                                          \
		.kp.symbol_name = sym, .entry_handler = entry, .handler = evf_sender_return,       \
		.data_size = sizeof(struct evf_inst), .maxactive = 64,                             \
	}

static struct kretprobe evf_senders[] = {
	EVF_SENDER("mptcp_event", evf_event_entry),
	EVF_SENDER("mptcp_event_addr_announced", evf_announced_entry),
	EVF_SENDER("mptcp_event_addr_removed", evf_removed_entry),
};

static struct kretprobe *evf_sender_ptrs[ARRAY_SIZE(evf_senders)];

/* ------------------------------------------------------------------------- */
/* __alloc_skb(unsigned int size, gfp_t gfp_mask, int flags, int node) */

/*
 * Where a failed __alloc_skb() "returns" from: the kprobe sits on the first
 * instruction, before __alloc_skb() has touched the stack, so jumping here
 * makes this function return NULL straight to __alloc_skb()'s caller. This is
 * the "bare ret" of doc/kernel-notes.md written in C: xor %eax,%eax and a return that
 * goes through the kernel's return thunk (CONFIG_RETHUNK), where a ret of our
 * own in assembly would be an unannotated "naked return" to objtool. notrace:
 * no fentry call in front of it.
 */
static noinline notrace void *evf_return_null(void)
{
	return NULL;
}

static int evf_alloc_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned int size = regs_get_kernel_argument(regs, 0);
	gfp_t gfp = (gfp_t)regs_get_kernel_argument(regs, 1);
	struct evf_slot *slot;
	unsigned int event;
	int left, n;

	if (gfpflags_allow_blocking(gfp))
		return 0;
	slot = &this_cpu_ptr(&evf_cpu)->slot[evf_level()];
	if (!READ_ONCE(slot->owner) || slot->task != current || slot->consumed)
		return 0;
	slot->consumed = true;
	atomic_inc(&evf_matched);
	left = atomic_dec_if_positive(&evf_remaining);
	if (left < 0)
		return 0;
	event = slot->event;
	n = atomic_inc_return(&evf_failed);
	atomic_inc(&evf_failed_by_event[event < EVF_MAX_EVENT ? event : 0]);
	pr_info("forced failure %d (%d left): event %u (%s) gfp %#x size %u netns %u cpu %d\n", n,
		left, event, evf_event_name(event) ?: "?", (unsigned int)gfp, size, slot->netns,
		smp_processor_id());
	regs->ax = 0;
	instruction_pointer_set(regs, (unsigned long)evf_return_null);
	return 1; /* regs->ip changed: no single-step, no resuming __alloc_skb() */
}

static struct kprobe evf_alloc = {
	.symbol_name = "__alloc_skb",
	.pre_handler = evf_alloc_pre,
};

/* ------------------------------------------------------------------------- */

static int __init evf_init(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(evf_senders); i++)
		evf_sender_ptrs[i] = &evf_senders[i];
	/* The senders first: __alloc_skb() only acts inside a marked sender. */
	err = register_kretprobes(evf_sender_ptrs, ARRAY_SIZE(evf_sender_ptrs));
	if (err) {
		pr_err("cannot probe the MPTCP event senders: %d\n", err);
		return err;
	}
	err = register_kprobe(&evf_alloc);
	if (err) {
		pr_err("cannot probe __alloc_skb: %d\n", err);
		unregister_kretprobes(evf_sender_ptrs, ARRAY_SIZE(evf_sender_ptrs));
		return err;
	}
	pr_info("loaded: fail_count=%d netns_ino=%u (TEST ONLY: fails MPTCP event allocations)\n",
		atomic_read(&evf_remaining), READ_ONCE(netns_ino));
	return 0;
}

static void __exit evf_exit(void)
{
	int i, missed = 0;

	atomic_set(&evf_remaining, 0);
	/* __alloc_skb() first, so no failure is forced after its sender's mark is gone. */
	unregister_kprobe(&evf_alloc);
	unregister_kretprobes(evf_sender_ptrs, ARRAY_SIZE(evf_sender_ptrs));
	for (i = 0; i < ARRAY_SIZE(evf_senders); i++)
		missed += evf_senders[i].nmissed;
	pr_info("unloaded: failed=%d matched=%d kretprobe_missed=%d\n", atomic_read(&evf_failed),
		atomic_read(&evf_matched), missed);
}

module_init(evf_init);
module_exit(evf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mptcp-evlat tests: fail exactly N MPTCP event message allocations");
