// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel half of mptcp-evlat: fentry probes on the MPTCP path-manager event
 * senders (net/mptcp/pm_netlink.c, pm.c) that write one struct evlat_record
 * per call into a single ring buffer.
 *
 * Every field is read with CO-RE so one object runs on 6.1 ... 7.x: field
 * sizes moved (subflow->local_id was a u8, an s16 since 2024) and fields
 * appeared or changed type (close_event_done: a bit field in 6.1.192 and
 * 7.2, a bool in 6.12.118; doc/kernel-notes.md "Struct layouts"), so integer
 * fields of internal structs go through BPF_CORE_READ_BITFIELD(_PROBED)(),
 * which reads bpf_core_field_size() bytes instead of vmlinux.h's idea of it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "evlat_record.h"

#define AF_INET	 2
#define AF_INET6 10

/* Tunables, set by the loader before load (bcc convention: targ_*). */
const volatile __u32 targ_netns = 0;	       /* 0: every namespace */
const volatile __u32 targ_wakeup_bytes = 4096; /* wake the reader past this (loader: ring / 4) */
const volatile __u32 targ_mcgrp = 0;	       /* absolute genl group id of mptcp_pm_events */
const volatile bool targ_consumers = false;    /* the netlink-side probes are loaded */
const volatile __u32 targ_family = 0;	       /* genl family id of mptcp_pm: its commands */
/* &nl_table from /proc/kallsyms (0: unknown): the hooks test the group's listener bitmap */
const volatile __u64 targ_nl_table = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/*
 * Records lost because the ring was full, per CPU: hook records by event type
 * in [0, 256), send records by event type in [256, 512) (EVLAT_DROP_* in
 * include/evlat_record.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EVLAT_DROP_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/*
 * Every drop counted above, also in one global: the loader reads it from the
 * mmap()ed .bss without a syscall and walks the per-CPU slots (one
 * BPF_MAP_LOOKUP_BATCH, 512 values per CPU) only when it has moved.
 */
__u64 drops_total = 0;

/*
 * Per task, what the netlink-side probes need to know which event they see:
 * the last hook (an event sender's probe: event, token, time), whether its
 * listener check is still to come, and the broadcasts in progress. They run
 * inside the sender's call, on the same task: keyed by the task, not the
 * CPU, as a sender allocating with GFP_KERNEL may sleep and resume on another
 * CPU; two levels, as a softirq's broadcast may interrupt a task's.
 */
struct bcast_lvl {
	__u64 bcast, skb;
	__u32 event, token, netns, pad;
};

struct task_ctx {
	__u64 hook_ns;
	__u32 hook_event, hook_token, hook_netns;
	__u32 hook_pending; /* its netlink_has_listeners() has not returned yet */
	__u32 depth, pad;
	struct bcast_lvl lvl[2];
	__u64 cmd_ns, cmd_nlh; /* the path-manager command in progress: when, which message */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} tasks SEC(".maps");

/* Kernel constants the programs test (uapi and af_netlink.h values, stable) */
#define AF_NETLINK_	  16
#define NETLINK_GENERIC_  16
#define MSG_PEEK_	  2
#define ENOBUFS_	  105
#define NLK_F_NO_ENOBUFS_ 3 /* NETLINK_F_RECV_NO_ENOBUFS: a bit number of netlink_sock.flags */

/* Broadcast ids: one per event message sent, never 0 */
__u64 bcast_seq = 0;

/*
 * Kernel memory reads. fentry programs get BTF-typed arguments and read
 * through them directly: the verifier makes each load a PROBE_MEM load (a
 * fault reads 0), a few instructions where bpf_probe_read_kernel() is a helper
 * call. kprobes have no types and use probe reads. @fe is a constant in each
 * program (the helpers are always inlined), so only one side is compiled in.
 * Pointers read from a void * (icsk_ulp_data) are untyped: probe reads always.
 */
#define KR(fe, direct, ...) ((fe) ? (direct) : BPF_CORE_READ(__VA_ARGS__))
#define KR_BITS(fe, s, field)                                                                      \
	((fe) ? BPF_CORE_READ_BITFIELD(s, field) : BPF_CORE_READ_BITFIELD_PROBED(s, field))

static __always_inline __u32 sk_netns(const struct sock *sk, const bool fe)
{
	return KR(fe, sk->__sk_common.skc_net.net->ns.inum, sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline void count_drop(__u32 kind, __u32 event)
{
	__u32 slot = kind >= EVLAT_K_QUEUED ? EVLAT_DROP_KIND + (kind & 0xf)
		     : kind == EVLAT_K_SEND ? EVLAT_DROP_SEND + (event & 0xff)
					    : (event & 0xff);
	__u64 *cnt = bpf_map_lookup_elem(&drops, &slot);

	if (cnt)
		*cnt += 1;
	__sync_fetch_and_add(&drops_total, 1);
}

/*
 * Reserve a record for socket @sk, or NULL when it is filtered out or the
 * ring is full (counted). The common header fields are filled in here.
 */
static __always_inline struct evlat_record *rec_start_ns(__u8 kind, __u8 event, __u32 netns)
{
	struct evlat_record *r;

	if (targ_netns && netns != targ_netns)
		return NULL;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(kind, event);
		return NULL;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->event = event;
	r->ktime_ns = bpf_ktime_get_ns();
	r->cpu = bpf_get_smp_processor_id();
	r->netns = netns;
	r->pid = bpf_get_current_pid_tgid() >> 32;
	r->tid = (__u32)bpf_get_current_pid_tgid();
	return r;
}

static __always_inline struct evlat_record *rec_start(__u8 kind, __u8 event, const struct sock *sk,
						      const bool fe)
{
	struct evlat_record *r = rec_start_ns(kind, event, sk_netns(sk, fe));

	if (r)
		r->sk_state = KR(fe, sk->__sk_common.skc_state, sk, __sk_common.skc_state);
	return r;
}

/*
 * Wake the reader only past a backlog: a wake-up per record is what makes a
 * naive tracer cost 17 % of MPTCP churn (doc/kernel-notes.md, "What a naive
 * probe costs"); the loader drains the ring on each netlink event and every
 * 100 ms for the rest.
 */
static __always_inline void rec_submit(struct evlat_record *r)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

/*
 * This task's context: task-local storage (5.11+), a pointer away from the
 * task, freed with it. NULL when the storage is busy on this CPU (a probe
 * inside the storage code itself).
 */
static __always_inline struct task_ctx *task_ctx(bool create)
{
	return bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* A hook fired on this task: its listener check and its send come next, on this task. */
static __always_inline void ctx_hook(const struct evlat_record *r)
{
	struct task_ctx *c;

	if (!targ_consumers)
		return;
	c = task_ctx(true);
	if (!c)
		return;
	c->hook_ns = r->ktime_ns;
	c->hook_event = r->event;
	c->hook_token = r->token;
	c->hook_netns = r->netns;
	c->hook_pending = 1;
}

/* The sender of @event found nobody subscribed anywhere: it builds nothing (no_listener) */
static __always_inline void nolistener(__u8 event, __u32 token, __u32 netns, __u64 hook_ns)
{
	struct evlat_record *r = rec_start_ns(EVLAT_K_NOLISTENER, event, netns);

	if (!r)
		return;
	r->token = token;
	r->msg.hook_ns = hook_ns;
	rec_submit(r);
}

/*
 * Whether any socket, in any namespace, is joined to mptcp_pm_events: the
 * test of netlink_has_listeners(), nl_table[NETLINK_GENERIC].listeners, which
 * every event sender makes first thing after our hook (doc/kernel-notes.md).
 * nl_table is a global the kernel exports; its address comes from kallsyms.
 */
static __always_inline bool group_has_listeners(void)
{
	const struct netlink_table *tbl = NULL;
	const struct listeners *ls;
	__u32 bit = targ_mcgrp - 1, groups;
	unsigned long word = 0;

	if (bpf_probe_read_kernel(&tbl, sizeof(tbl), (const void *)targ_nl_table) || !tbl)
		return true; /* unknown: never a no_listener */
	tbl = (const void *)tbl + NETLINK_GENERIC_ * bpf_core_type_size(struct netlink_table);
	ls = BPF_CORE_READ(tbl, listeners);
	groups = BPF_CORE_READ(tbl, groups);
	if (!ls || bit >= groups)
		return false;
	bpf_probe_read_kernel(&word, sizeof(word),
			      (const void *)ls + bpf_core_field_offset(struct listeners, masks) +
				      bit / 64 * sizeof(word));
	return (word >> (bit % 64)) & 1;
}

/* A hook's record is complete: the task context, the record, the listener test. */
static __always_inline void hook_submit(struct evlat_record *r)
{
	__u64 hook_ns = r->ktime_ns;
	__u32 token = r->token, netns = r->netns;
	__u8 event = r->event;

	ctx_hook(r);
	rec_submit(r);
	if (targ_nl_table && targ_mcgrp && !group_has_listeners())
		nolistener(event, token, netns, hook_ns);
}

/* The broadcast in progress on this task (the innermost), or NULL */
static __always_inline const struct bcast_lvl *ctx_bcast(void)
{
	struct task_ctx *c = task_ctx(false);
	__u32 d;

	if (!c)
		return NULL;
	d = c->depth;
	if (d == 0 || d > 2)
		return NULL;
	return &c->lvl[(d - 1) & 1];
}

static __always_inline __u32 msk_token(const struct mptcp_sock *msk, const bool fe)
{
	return KR(fe, msk->token, msk, token);
}

/*
 * Addresses and ports of a subflow (or listener) socket, read from the fields
 * the kernel puts into the event (mptcp_event_add_subflow() and
 * mptcp_event_pm_listener() of 6.1, 6.12 and 7.2): inet_saddr or the IPv6
 * pinfo's saddr, inet_sport. Not skc_num / skc_rcv_saddr: a subflow that
 * reaches TCP_CLOSE releases its port (inet_put_port() zeroes skc_num) before
 * a reset subflow's SUB_CLOSED is built, while inet_sport keeps it
 * (doc/kernel-notes.md "Which fields an event carries"). inet_sock lies
 * beyond struct sock, which the typed fentry argument is: probe reads.
 */
static __always_inline void rec_put_ssk(struct evlat_record *r, const struct sock *ssk,
					const bool fe)
{
	const struct inet_sock *inet = (const void *)ssk;

	r->family = KR(fe, ssk->__sk_common.skc_family, ssk, __sk_common.skc_family);
	r->ssk_state = KR(fe, ssk->__sk_common.skc_state, ssk, __sk_common.skc_state);
	r->sport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	r->dport = bpf_ntohs(KR(fe, ssk->__sk_common.skc_dport, ssk, __sk_common.skc_dport));
	if (r->family == AF_INET6) {
		BPF_CORE_READ_INTO(&r->saddr, inet, pinet6, saddr);
		BPF_CORE_READ_INTO(&r->daddr, ssk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)r->saddr, inet, inet_saddr);
		BPF_CORE_READ_INTO((__u32 *)r->daddr, ssk, __sk_common.skc_daddr);
	}
	r->flags |= EVLAT_F_HAVE_SSK;
}

/*
 * What the subflow context knows: address ids and backup flags. @typed: @sf
 * came as a typed fentry argument (direct reads), not from icsk_ulp_data.
 */
static __always_inline void
rec_put_subflow(struct evlat_record *r, const struct mptcp_subflow_context *sf, const bool typed)
{
	long loc;

	if (!sf)
		return;
	/*
	 * local_id: u8 before 2024, s16 (-1 = not yet known) since; the event
	 * says 0 for a negative one (subflow_get_local_id())
	 */
	loc = KR_BITS(typed, sf, local_id);
	r->loc_id = loc < 0 ? 0 : loc;
	r->rem_id = KR_BITS(typed, sf, remote_id);
	r->backup = KR_BITS(typed, sf, backup);
	if (KR_BITS(typed, sf, request_bkup))
		r->flags |= EVLAT_F_REQUEST_BKUP;
	/* close_event_done: SUB_CLOSED sent at most once per subflow (2024; absent before) */
	if (bpf_core_field_exists(sf->close_event_done)) {
		r->flags |= EVLAT_F_HAVE_CLOSE_DONE;
		if (KR_BITS(typed, sf, close_event_done))
			r->flags |= EVLAT_F_CLOSE_EVENT_DONE;
	}
}

static __always_inline const struct mptcp_subflow_context *ssk_subflow(const struct sock *ssk)
{
	const struct inet_connection_sock *icsk = (const void *)ssk;

	return BPF_CORE_READ(icsk, icsk_ulp_data);
}

static __always_inline const struct mptcp_sock *ssk_msk(const struct sock *ssk)
{
	const struct mptcp_subflow_context *sf = ssk_subflow(ssk);

	return (const void *)BPF_CORE_READ(sf, conn);
}

static __always_inline int on_event(__u32 type, const struct mptcp_sock *msk,
				    const struct sock *ssk, __u32 gfp, const bool fe)
{
	struct evlat_record *r = rec_start(EVLAT_K_EVENT, type, (const struct sock *)msk, fe);

	if (!r)
		return 0;
	r->token = msk_token(msk, fe);
	r->gfp = gfp;
	if (ssk) {
		rec_put_ssk(r, ssk, fe);
		rec_put_subflow(r, ssk_subflow(ssk), false);
	}
	hook_submit(r);
	return 0;
}

static __always_inline int on_announced(const struct mptcp_sock *msk, const struct sock *ssk,
					const struct mptcp_addr_info *info)
{
	/* rare (one per ADD_ADDR), and msk comes from icsk_ulp_data: probe reads */
	struct evlat_record *r =
		rec_start(EVLAT_K_ANNOUNCED, EVLAT_EV_ANNOUNCED, (const struct sock *)msk, false);

	if (!r)
		return 0;
	r->token = msk_token(msk, false);
	r->rem_id = BPF_CORE_READ(info, id);
	r->family = BPF_CORE_READ(info, family);
	r->dport = bpf_ntohs(BPF_CORE_READ(info, port));
	if (r->family == AF_INET6)
		BPF_CORE_READ_INTO(&r->daddr, info, addr6);
	else
		BPF_CORE_READ_INTO((__u32 *)r->daddr, info, addr.s_addr);
	if (ssk) {
		r->ssk_state = BPF_CORE_READ(ssk, __sk_common.skc_state);
		/* an ADD_ADDR without a port: the event names the receiving subflow's */
		if (!r->dport)
			r->dport = bpf_ntohs(BPF_CORE_READ(ssk, __sk_common.skc_dport));
	}
	hook_submit(r);
	return 0;
}

static __always_inline int on_removed(const struct mptcp_sock *msk, __u8 id)
{
	struct evlat_record *r =
		rec_start(EVLAT_K_REMOVED, EVLAT_EV_REMOVED, (const struct sock *)msk, false);

	if (!r)
		return 0;
	r->token = msk_token(msk, false);
	r->rem_id = id;
	hook_submit(r);
	return 0;
}

/*
 * mptcp_close_ssk() is where SUB_CLOSED is decided: it is only sent while the
 * MPTCP socket is ESTABLISHED (and, with close_event_done, only once).
 * Recording every call lets userspace tell "closed without event" apart.
 */
static __always_inline int on_close_ssk(const struct sock *sk, const struct sock *ssk,
					const struct mptcp_subflow_context *subflow, const bool fe)
{
	struct evlat_record *r = rec_start(EVLAT_K_CLOSE_SSK, 0, sk, fe);

	if (!r)
		return 0;
	/* sk is a struct sock * here: the token is read at its mptcp_sock offset */
	r->token = msk_token((const struct mptcp_sock *)sk, false);
	rec_put_ssk(r, ssk, fe);
	rec_put_subflow(r, subflow, fe);
	rec_submit(r);
	return 0;
}

static __always_inline int on_listener(const struct sock *ssk, __u32 event)
{
	struct evlat_record *r = rec_start(EVLAT_K_LISTENER, event, ssk, false);

	if (!r)
		return 0;
	rec_put_ssk(r, ssk, false);
	hook_submit(r);
	return 0;
}

/*
 * The event's message on its way to the multicast send: the genl command is
 * the event type and, for every event but LISTENER_*, MPTCP_ATTR_TOKEN is the
 * first attribute (pm_netlink.c puts it first since 5.10), at a fixed offset.
 */
#define NLMSG_HDRLEN_	  16
#define GENL_HDRLEN_	  4
#define MPTCP_ATTR_TOKEN_ 1

struct evlat_msg_head {
	__u8 nlmsghdr[NLMSG_HDRLEN_];
	__u8 cmd, version;
	__u16 reserved;
	__u16 nla_len, nla_type;
	__u32 token;
};

/* Read the event type and token of the message in @skb: 0, or -1 when unreadable */
static __always_inline int msg_head(const struct sk_buff *skb, const bool fe, __u8 *cmd,
				    __u32 *token)
{
	struct evlat_msg_head h;
	const void *data = KR(fe, skb->data, skb, data);

	if (bpf_probe_read_kernel(&h, sizeof(h), data))
		return -1;
	*cmd = h.cmd;
	*token = (h.nla_type & 0x3fff) == MPTCP_ATTR_TOKEN_ && h.nla_len >= 8 ? h.token : 0;
	return 0;
}

/*
 * A broadcast begins on this task: a new id (0 without the consumer probes),
 * pushed for the netlink-side probes; *@hook_ns gets the time of the task's
 * last hook when that hook was this event's. Popped by bcast_end(). (It does
 * not touch the record: the 6.1 verifier loses track of a ring-buffer
 * reservation checked for NULL twice.)
 */
static __always_inline __u64 bcast_begin(const struct sk_buff *skb, __u8 cmd, __u32 token,
					 __u32 netns, __u64 *hook_ns)
{
	struct task_ctx *c;
	__u64 id;
	__u32 d;

	*hook_ns = 0;
	if (!targ_consumers)
		return 0;
	id = __sync_fetch_and_add(&bcast_seq, 1) + 1;
	c = task_ctx(true);
	if (!c)
		return id;
	if (c->hook_event == cmd && c->hook_token == token && c->hook_netns == netns)
		*hook_ns = c->hook_ns;
	d = c->depth++;
	if (d < 2) {
		struct bcast_lvl *l = &c->lvl[d & 1];

		l->bcast = id;
		l->skb = (__u64)(unsigned long)skb;
		l->event = cmd;
		l->token = token;
		l->netns = netns;
	}
	return id;
}

static __always_inline void bcast_end(void)
{
	struct task_ctx *c;

	if (!targ_consumers)
		return;
	c = task_ctx(false);
	if (c && c->depth)
		c->depth--;
}

static __always_inline int on_send(__u32 netns, const struct sk_buff *skb, __u32 gfp, const bool fe)
{
	struct evlat_record *r;
	__u64 bcast, hook_ns;
	__u32 token;
	__u8 cmd;

	if (msg_head(skb, fe, &cmd, &token))
		return 0;
	bcast = bcast_begin(skb, cmd, token, netns, &hook_ns);
	r = rec_start_ns(EVLAT_K_SEND, cmd, netns);
	if (!r)
		return 0;
	r->token = token;
	r->gfp = gfp;
	r->msg.bcast = bcast;
	r->msg.skb = (__u64)(unsigned long)skb;
	r->msg.hook_ns = hook_ns;
	rec_submit(r);
	return 0;
}

static __always_inline int on_broadcast(const struct sock *nlsk, const struct sk_buff *skb,
					__u32 group, __u32 gfp, const bool fe)
{
	/* every genl multicast goes through here: keep only mptcp_pm_events */
	if (!targ_mcgrp || group != targ_mcgrp)
		return 0;
	return on_send(sk_netns(nlsk, fe), skb, gfp, fe);
}

/*
 * The consumers: every socket subscribed to mptcp_pm_events, from the kernel's
 * side (doc/kernel-notes.md "Consumers"). These functions serve all netlink
 * traffic: each program leaves within a few loads unless the socket is a
 * generic netlink one and the message is a multicast on our group. fentry /
 * fexit only: no kprobe twins (a kretprobe does not have the arguments).
 */

static __always_inline bool genl_sock(const struct sock *sk)
{
	return sk->__sk_common.skc_family == AF_NETLINK_ && sk->sk_protocol == NETLINK_GENERIC_;
}

/* NETLINK_CB(skb).dst_group: the group a multicast message was sent to */
static __always_inline __u32 dst_group(const struct sk_buff *skb)
{
	struct netlink_skb_parms parms;

	if (bpf_probe_read_kernel(&parms, sizeof(parms), (const void *)skb->cb))
		return 0;
	return parms.dst_group;
}

/* Whether the netlink socket is a member of the mptcp_pm_events group */
static __always_inline bool in_group(const struct sock *sk)
{
	const struct netlink_sock *nlk = (const void *)sk;
	__u32 bit = targ_mcgrp - 1, n = BPF_CORE_READ(nlk, ngroups);
	unsigned long *groups = BPF_CORE_READ(nlk, groups), word = 0;

	if (!targ_mcgrp || bit >= n || !groups)
		return false;
	bpf_probe_read_kernel(&word, sizeof(word), groups + bit / 64);
	return (word >> (bit % 64)) & 1;
}

/* The socket's inode (sock_i_ino()), port id, and how full its queue is */
static __always_inline void put_sock(struct evlat_msg *m, const struct sock *sk)
{
	const struct netlink_sock *nlk = (const void *)sk;
	struct socket *so = BPF_CORE_READ(sk, sk_socket);
	const struct socket_alloc *sa = container_of(so, struct socket_alloc, socket);

	m->sock = (__u64)(unsigned long)sk;
	m->ino = so ? BPF_CORE_READ(sa, vfs_inode.i_ino) : 0;
	m->portid = BPF_CORE_READ(nlk, portid);
	m->rmem = BPF_CORE_READ(sk, sk_backlog.rmem_alloc.counter);
	m->rcvbuf = BPF_CORE_READ(sk, sk_rcvbuf);
}

static __always_inline bool traced_netns(__u32 netns)
{
	return !targ_netns || netns == targ_netns;
}

/* __netlink_sendskb(): the message is now in that socket's receive queue */
static __always_inline int on_queued(const struct sock *sk, const struct sk_buff *skb)
{
	const struct bcast_lvl *b;
	struct evlat_record *r;
	__u32 token;
	__u8 cmd;

	if (!genl_sock(sk) || !targ_mcgrp || dst_group(skb) != targ_mcgrp)
		return 0;
	if (msg_head(skb, true, &cmd, &token))
		return 0;
	r = rec_start_ns(EVLAT_K_QUEUED, cmd, sk_netns(sk, true));
	if (!r)
		return 0;
	r->token = token;
	put_sock(&r->msg, sk);
	r->msg.skb = (__u64)(unsigned long)skb;
	b = ctx_bcast();
	if (b && b->event == cmd && b->token == token)
		r->msg.bcast = b->bcast;
	rec_submit(r);
	return 0;
}

/* netlink_overrun(): a broadcast found the socket full (or congested) and dropped it there */
static __always_inline int on_overrun(const struct sock *sk)
{
	const struct netlink_sock *nlk = (const void *)sk;
	const struct bcast_lvl *b = ctx_bcast();
	struct evlat_record *r;

	/* only inside an MPTCP event's broadcast: the drop is that event's */
	if (!b || !genl_sock(sk))
		return 0;
	r = rec_start_ns(EVLAT_K_OVERRUN, b->event, sk_netns(sk, true));
	if (!r)
		return 0;
	r->token = b->token;
	r->msg.bcast = b->bcast;
	put_sock(&r->msg, sk);
	if (BPF_CORE_READ(nlk, flags) & (1UL << NLK_F_NO_ENOBUFS_))
		r->flags |= EVLAT_F_NO_ENOBUFS;
	rec_submit(r);
	return 0;
}

/* skb_recv_datagram() returned: a process read a message, or learned of an overrun */
static __always_inline int on_read(const struct sock *sk, unsigned int flags, const int *errp,
				   const struct sk_buff *skb)
{
	const struct netlink_sock *nlk = (const void *)sk;
	struct evlat_record *r;
	__u32 token = 0;
	__u8 cmd = 0;
	int err = 0;

	if (!genl_sock(sk) || (flags & MSG_PEEK_))
		return 0;
	if (skb) {
		if (!targ_mcgrp || dst_group(skb) != targ_mcgrp ||
		    msg_head(skb, true, &cmd, &token))
			return 0;
	} else {
		bpf_probe_read_kernel(&err, sizeof(err), errp);
		if (err != -ENOBUFS_ || !in_group(sk))
			return 0;
	}
	r = rec_start_ns(EVLAT_K_READ, cmd, sk_netns(sk, true));
	if (!r)
		return 0;
	r->token = token;
	r->read.sock = (__u64)(unsigned long)sk;
	r->read.skb = (__u64)(unsigned long)skb;
	r->read.err = err;
	r->read.portid = BPF_CORE_READ(nlk, portid);
	{
		struct socket *so = BPF_CORE_READ(sk, sk_socket);
		const struct socket_alloc *sa = container_of(so, struct socket_alloc, socket);

		r->read.ino = so ? BPF_CORE_READ(sa, vfs_inode.i_ino) : 0;
	}
	bpf_get_current_comm(r->read.comm, sizeof(r->read.comm));
	rec_submit(r);
	return 0;
}

/*
 * netlink_has_listeners() of the last hook's sender returned: when nobody in
 * any namespace subscribes, the kernel builds no event at all (no_listener);
 * when somebody does and no message follows, its allocation failed.
 */
static __always_inline int on_has_listeners(unsigned int group, int ret)
{
	struct task_ctx *c;

	if (!targ_mcgrp || group != targ_mcgrp)
		return 0;
	c = task_ctx(false);
	if (!c || !c->hook_pending)
		return 0; /* not an event sender's check (mptcp_userspace_pm_active()) */
	c->hook_pending = 0;
	if (!ret)
		nolistener(c->hook_event, c->hook_token, c->hook_netns, c->hook_ns);
	return 0;
}

/* netlink_release(): a subscriber's socket goes away */
static __always_inline int on_gone(const struct socket *so)
{
	const struct sock *sk = BPF_CORE_READ(so, sk);
	struct evlat_record *r;

	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_NETLINK_ ||
	    BPF_CORE_READ(sk, sk_protocol) != NETLINK_GENERIC_ || !in_group(sk))
		return 0;
	r = rec_start_ns(EVLAT_K_GONE, 0, sk_netns(sk, false));
	if (!r)
		return 0;
	put_sock(&r->msg, sk);
	rec_submit(r);
	return 0;
}

/*
 * Path-manager commands: genl_rcv_msg(skb, nlh, extack) runs every generic
 * netlink request of every family synchronously in the sender's sendmsg()
 * (netlink_unicast_kernel() -> genl_rcv() -> netlink_rcv_skb()), so current is
 * the path manager, and its return is the command's result: the doit's, a
 * dispatch check's (-ENOENT, -EINVAL, -EOPNOTSUPP, -EPERM), or -EINTR when a
 * dump started (netlink_rcv_skb() then sends no ACK). Same prototype on 6.1,
 * 6.12, 7.2 and 7.3 (doc/kernel-notes.md "Path-manager commands"). Both
 * programs leave after one load unless nlmsg_type is the mptcp_pm family.
 */
#define PM_ATTR_ADDR	    1 /* MPTCP_PM_ATTR_* */
#define PM_ATTR_TOKEN	    4
#define PM_ATTR_LOC_ID	    5
#define PM_ATTR_ADDR_REMOTE 6
#define PM_ADDR_FAMILY	    1 /* MPTCP_PM_ADDR_ATTR_* */
#define PM_ADDR_ID	    2
#define PM_ADDR_ADDR4	    3
#define PM_ADDR_ADDR6	    4
#define PM_ADDR_PORT	    5
#define PM_ADDR_FLAGS	    6
#define NLA_TYPE_MASK_	    0x3fff
#define NLM_F_DUMP_	    0x300
#define CMD_BUF		    256 /* the attributes read: the largest command has about 100 bytes */
#define CMD_STEPS	    20	/* attributes walked: 4 top-level, up to 7 in each of 2 nests */

/* What the walk found (scalars only, copied into the record after it), and where it is */
struct cmd_walk {
	__u32 n, off, nest, nest_end;
	__u32 token, addr_flags, saddr, daddr;
	__u16 family, sport, dport;
	__u8 loc_id, rem_id, flags, pad[3];
};

/*
 * The command's attributes, copied in one read into a per-CPU buffer (the
 * program is not re-entered on a CPU: such a call is skipped and counted as a
 * miss), then walked by bpf_loop() (5.17+), whose callback is verified once,
 * where a bounded loop is verified per iteration and path (6.1's verifier
 * refused that with E2BIG, 6.12's took seconds). The walk's state lives in the
 * buffer too, not in a context on the stack: 6.1.192's verifier checks a
 * callback with the state of its first call only (prepare_func_exit() returns
 * to the caller at once; 6.12 checks it again with the states it returns),
 * and would remove as dead the nest handling that call cannot reach.
 */
struct cmd_buf {
	struct cmd_walk w;
	__u8 b[CMD_BUF + 24]; /* + room for a value read past the last offset */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cmd_buf);
} cmd_scratch SEC(".maps");

static __always_inline bool pm_request(const struct nlmsghdr *nlh)
{
	return targ_family && nlh->nlmsg_type == targ_family;
}

static __always_inline __u16 b16(const struct cmd_buf *m, __u32 off)
{
	return *(const __u16 *)&m->b[off & (CMD_BUF - 1)];
}

static __always_inline __u32 b32(const struct cmd_buf *m, __u32 off)
{
	return *(const __u32 *)&m->b[off & (CMD_BUF - 1)];
}

/* An IPv4 address as it is, an IPv6 one folded to 32 bits (xor of its words) */
static __always_inline __u32 b_addr(const struct cmd_buf *m, __u32 off, __u32 len)
{
	if (len < 20)
		return b32(m, off);
	return b32(m, off) ^ b32(m, off + 4) ^ b32(m, off + 8) ^ b32(m, off + 12);
}

/* One MPTCP_PM_ADDR_ATTR_* (value at @val) of the local (ADDR) or remote (ADDR_REMOTE) address */
static __always_inline void cmd_addr_attr(struct cmd_walk *w, const struct cmd_buf *m, __u32 type,
					  __u32 val, __u32 len)
{
	bool remote = w->nest == PM_ATTR_ADDR_REMOTE;

	if (type == PM_ADDR_FAMILY && !remote)
		w->family = b16(m, val);
	else if (type == PM_ADDR_ID && remote)
		w->rem_id = m->b[val & (CMD_BUF - 1)];
	else if (type == PM_ADDR_ID)
		w->loc_id = m->b[val & (CMD_BUF - 1)];
	else if ((type == PM_ADDR_ADDR4 || type == PM_ADDR_ADDR6) && remote)
		w->daddr = b_addr(m, val, len);
	else if (type == PM_ADDR_ADDR4 || type == PM_ADDR_ADDR6)
		w->saddr = b_addr(m, val, len);
	else if (type == PM_ADDR_PORT && remote)
		w->dport = b16(m, val);
	else if (type == PM_ADDR_PORT)
		w->sport = b16(m, val);
	else if (type == PM_ADDR_FLAGS && !remote)
		w->addr_flags = b32(m, val);
}

/*
 * One attribute: the token, the local address or id, the remote address; the
 * walk steps into ADDR and ADDR_REMOTE rather than over them. Values are read
 * whatever their length: the kernel's policy refuses a command with short ones.
 * 1 stops the loop.
 */
static long cmd_step(__u32 i, void *ctx)
{
	__u32 zero = 0, off, len, type;
	struct cmd_buf *m = bpf_map_lookup_elem(&cmd_scratch, &zero);
	struct cmd_walk *w;

	if (!m)
		return 1;
	w = &m->w;
	off = w->off;
	if (w->nest && off >= w->nest_end)
		w->nest = 0;
	if (off + 4 > w->n)
		return 1;
	len = b16(m, off);
	type = b16(m, off + 2) & NLA_TYPE_MASK_;
	if (len < 4 || off + len > w->n)
		return 1;
	w->off = off + ((len + 3) & ~3U);
	if (w->nest) {
		cmd_addr_attr(w, m, type, off + 4, len - 4);
	} else if (type == PM_ATTR_ADDR || type == PM_ATTR_ADDR_REMOTE) {
		w->nest = type;
		w->nest_end = off + len;
		w->off = off + 4; /* into the nest */
		if (type == PM_ATTR_ADDR_REMOTE)
			w->flags |= EVLAT_F_CMD_REMOTE;
	} else if (type == PM_ATTR_TOKEN) {
		w->token = b32(m, off + 4);
		w->flags |= EVLAT_F_CMD_TOKEN;
	} else if (type == PM_ATTR_LOC_ID) {
		w->loc_id = m->b[(off + 4) & (CMD_BUF - 1)];
	}
	return 0;
}

/* Copy the attributes of the request at @msg into @m: their length, or 0 */
static __always_inline __u32 cmd_copy(struct cmd_buf *m, __u64 msg, __u32 nlmsg_len)
{
	__u32 n = nlmsg_len > NLMSG_HDRLEN_ + GENL_HDRLEN_
			  ? nlmsg_len - NLMSG_HDRLEN_ - GENL_HDRLEN_
			  : 0;

	if (n > CMD_BUF)
		n = CMD_BUF; /* the first attributes: every sender we know puts the token first */
	if (!n ||
	    bpf_probe_read_kernel(m->b, n, (const void *)(msg + NLMSG_HDRLEN_ + GENL_HDRLEN_)))
		return 0;
	return n;
}

static __always_inline void cmd_attrs(struct evlat_record *r, __u64 msg, __u32 nlmsg_len)
{
	__u32 zero = 0;
	struct cmd_buf *m = bpf_map_lookup_elem(&cmd_scratch, &zero);
	const struct cmd_walk *w;

	if (!m)
		return;
	__builtin_memset(&m->w, 0, sizeof(m->w));
	m->w.n = cmd_copy(m, msg, nlmsg_len);
	if (!m->w.n)
		return;
	bpf_loop(CMD_STEPS, cmd_step, NULL, 0);
	w = &m->w;
	r->token = w->token;
	r->flags |= w->flags;
	r->family = w->family;
	r->loc_id = w->loc_id;
	r->rem_id = w->rem_id;
	r->sport = w->sport;
	r->dport = w->dport;
	r->cmd.addr_flags = w->addr_flags;
	__builtin_memcpy(r->cmd.saddr, &w->saddr, sizeof(w->saddr));
	__builtin_memcpy(r->cmd.daddr, &w->daddr, sizeof(w->daddr));
}

/* The sending socket: NETLINK_CB(skb).sk, set by netlink_unicast_kernel() */
static __always_inline __u32 cmd_sender_ino(const struct sk_buff *skb)
{
	struct netlink_skb_parms parms;
	struct socket *so;

	if (bpf_probe_read_kernel(&parms, sizeof(parms), (const void *)skb->cb) || !parms.sk)
		return 0;
	so = BPF_CORE_READ(parms.sk, sk_socket);
	return so ? BPF_CORE_READ(container_of(so, struct socket_alloc, socket), vfs_inode.i_ino)
		  : 0;
}

static __always_inline int on_cmd_start(const struct nlmsghdr *nlh)
{
	struct task_ctx *c;

	if (!pm_request(nlh))
		return 0;
	c = task_ctx(true);
	if (c) {
		c->cmd_ns = bpf_ktime_get_ns();
		c->cmd_nlh = (__u64)(unsigned long)nlh;
	}
	return 0;
}

/*
 * At the return: the whole command in one record (an effect the doit causes
 * itself, a SUB_CLOSED of SUBFLOW_DESTROY, has its own record before this one).
 * The message stays in place until netlink_rcv_skb() is done with it.
 */
static __always_inline int on_cmd_end(const struct sk_buff *skb, const struct nlmsghdr *nlh,
				      int ret)
{
	__u64 msg = (__u64)(unsigned long)nlh;
	struct evlat_record *r;
	struct task_ctx *c;
	__u8 cmd = 0;

	if (!pm_request(nlh))
		return 0;
	bpf_probe_read_kernel(&cmd, sizeof(cmd), (const void *)(msg + NLMSG_HDRLEN_));
	r = rec_start_ns(EVLAT_K_CMD, cmd, sk_netns(skb->sk, true));
	if (!r)
		return 0;
	c = task_ctx(false);
	if (c && c->cmd_nlh == msg) {
		r->cmd.start_ns = c->cmd_ns;
		c->cmd_nlh = 0;
	}
	r->cmd.err = ret;
	r->cmd.seq = nlh->nlmsg_seq;
	if (nlh->nlmsg_flags & NLM_F_DUMP_)
		r->flags |= EVLAT_F_CMD_DUMP;
	cmd_attrs(r, msg, nlh->nlmsg_len);
	r->cmd.ino = cmd_sender_ino(skb);
	bpf_get_current_comm(r->cmd.comm, sizeof(r->cmd.comm));
	rec_submit(r);
	return 0;
}

/*
 * Thin program stubs over the helpers above: an fentry and a kprobe twin for
 * each target. The loader picks one per target from the kernel's BTF and
 * what the kernel accepts (fentry first, kprobe when fentry is refused).
 */
SEC("fentry/mptcp_event")
int BPF_PROG(fe_event, enum mptcp_event_type type, const struct mptcp_sock *msk,
	     const struct sock *ssk, gfp_t gfp)
{
	return on_event(type, msk, ssk, gfp, true);
}

SEC("kprobe/mptcp_event")
int BPF_KPROBE(kp_event, enum mptcp_event_type type, const struct mptcp_sock *msk,
	       const struct sock *ssk, gfp_t gfp)
{
	return on_event(type, msk, ssk, gfp, false);
}

/* Since 5.19 the subflow socket comes first (doc/kernel-notes.md). */
SEC("fentry/mptcp_event_addr_announced")
int BPF_PROG(fe_announced, const struct sock *ssk, const struct mptcp_addr_info *info)
{
	return on_announced(ssk_msk(ssk), ssk, info);
}

SEC("kprobe/mptcp_event_addr_announced")
int BPF_KPROBE(kp_announced, const struct sock *ssk, const struct mptcp_addr_info *info)
{
	return on_announced(ssk_msk(ssk), ssk, info);
}

/* 5.12 - 5.18: the MPTCP socket came first; chosen by the loader from BTF. */
SEC("fentry/mptcp_event_addr_announced")
int BPF_PROG(fe_announced_msk, const struct mptcp_sock *msk, const struct mptcp_addr_info *info)
{
	return on_announced(msk, NULL, info);
}

SEC("kprobe/mptcp_event_addr_announced")
int BPF_KPROBE(kp_announced_msk, const struct mptcp_sock *msk, const struct mptcp_addr_info *info)
{
	return on_announced(msk, NULL, info);
}

SEC("fentry/mptcp_event_addr_removed")
int BPF_PROG(fe_removed, const struct mptcp_sock *msk, u8 id)
{
	return on_removed(msk, id);
}

SEC("kprobe/mptcp_event_addr_removed")
int BPF_KPROBE(kp_removed, const struct mptcp_sock *msk, u8 id)
{
	return on_removed(msk, id);
}

SEC("fentry/mptcp_close_ssk")
int BPF_PROG(fe_close_ssk, struct sock *sk, struct sock *ssk, struct mptcp_subflow_context *subflow)
{
	return on_close_ssk(sk, ssk, subflow, true);
}

SEC("kprobe/mptcp_close_ssk")
int BPF_KPROBE(kp_close_ssk, struct sock *sk, struct sock *ssk,
	       struct mptcp_subflow_context *subflow)
{
	return on_close_ssk(sk, ssk, subflow, false);
}

/* LISTENER_CREATED / LISTENER_CLOSED, since 6.2: optional. */
SEC("fentry/mptcp_event_pm_listener")
int BPF_PROG(fe_listener, const struct sock *ssk, enum mptcp_event_type event)
{
	return on_listener(ssk, event);
}

SEC("kprobe/mptcp_event_pm_listener")
int BPF_KPROBE(kp_listener, const struct sock *ssk, enum mptcp_event_type event)
{
	return on_listener(ssk, event);
}

/* Send path, 6.12+: MPTCP's own multicast helper (inlined in 6.1). */
SEC("fentry/mptcp_nl_mcast_send")
int BPF_PROG(fe_mcast_send, struct net *net, struct sk_buff *skb, gfp_t gfp)
{
	return on_send(net->ns.inum, skb, gfp, true);
}

SEC("kprobe/mptcp_nl_mcast_send")
int BPF_KPROBE(kp_mcast_send, struct net *net, struct sk_buff *skb, gfp_t gfp)
{
	return on_send(BPF_CORE_READ(net, ns.inum), skb, gfp, false);
}

/* Send path where mptcp_nl_mcast_send() is inlined (6.1): filtered by group. */
SEC("fentry/netlink_broadcast")
int BPF_PROG(fe_broadcast, struct sock *ssk, struct sk_buff *skb, u32 portid, u32 group,
	     gfp_t allocation)
{
	return on_broadcast(ssk, skb, group, allocation, true);
}

SEC("kprobe/netlink_broadcast")
int BPF_KPROBE(kp_broadcast, struct sock *ssk, struct sk_buff *skb, u32 portid, u32 group,
	       gfp_t allocation)
{
	return on_broadcast(ssk, skb, group, allocation, false);
}

/* The end of a send: the broadcast context of this task is popped. */
SEC("fexit/mptcp_nl_mcast_send")
int BPF_PROG(fx_mcast_send, struct net *net, struct sk_buff *skb, gfp_t gfp)
{
	bcast_end();
	return 0;
}

SEC("fexit/netlink_broadcast")
int BPF_PROG(fx_broadcast, struct sock *ssk, struct sk_buff *skb, u32 portid, u32 group,
	     gfp_t allocation, int ret)
{
	if (targ_mcgrp && group == targ_mcgrp)
		bcast_end();
	return 0;
}

SEC("fentry/__netlink_sendskb")
int BPF_PROG(fe_queued, struct sock *sk, struct sk_buff *skb)
{
	return on_queued(sk, skb);
}

/*
 * Where __netlink_sendskb() is inlined (Debian's arm64 7.2 build): netlink_skb_set_owner_r(skb,
 * sk) is what its callers run just before it, with the same (sk, skb), and cannot fail in
 * between; rmem then does not count this message yet (doc/kernel-notes.md)
 */
SEC("fentry/netlink_skb_set_owner_r")
int BPF_PROG(fe_queued_owner, struct sk_buff *skb, struct sock *sk)
{
	return on_queued(sk, skb);
}

SEC("fentry/netlink_overrun")
int BPF_PROG(fe_overrun, struct sock *sk)
{
	return on_overrun(sk);
}

SEC("fexit/skb_recv_datagram")
int BPF_PROG(fx_read, struct sock *sk, unsigned int flags, int *err, struct sk_buff *ret)
{
	return on_read(sk, flags, err, ret);
}

SEC("fexit/netlink_has_listeners")
int BPF_PROG(fx_has_listeners, struct sock *sk, unsigned int group, int ret)
{
	return on_has_listeners(group, ret);
}

SEC("fentry/netlink_release")
int BPF_PROG(fe_gone, struct socket *sock)
{
	return on_gone(sock);
}

SEC("fentry/genl_rcv_msg")
int BPF_PROG(fe_cmd, struct sk_buff *skb, struct nlmsghdr *nlh, struct netlink_ext_ack *extack)
{
	return on_cmd_start(nlh);
}

SEC("fexit/genl_rcv_msg")
int BPF_PROG(fx_cmd, struct sk_buff *skb, struct nlmsghdr *nlh, struct netlink_ext_ack *extack,
	     int ret)
{
	return on_cmd_end(skb, nlh, ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
