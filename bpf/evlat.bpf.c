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
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct task_ctx);
} tasks SEC(".maps");

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

static __always_inline struct task_ctx *task_ctx(bool create)
{
	__u64 key = bpf_get_current_task();
	struct task_ctx *c = bpf_map_lookup_elem(&tasks, &key), zero = {};

	if (c || !create)
		return c;
	bpf_map_update_elem(&tasks, &key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&tasks, &key);
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
	ctx_hook(r);
	rec_submit(r);
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
	ctx_hook(r);
	rec_submit(r);
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
	ctx_hook(r);
	rec_submit(r);
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
	ctx_hook(r);
	rec_submit(r);
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
#define AF_NETLINK_	  16
#define NETLINK_GENERIC_  16
#define MSG_PEEK_	  2
#define ENOBUFS_	  105
#define NLK_F_NO_ENOBUFS_ 3 /* NETLINK_F_RECV_NO_ENOBUFS: a bit number of netlink_sock.flags */

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
	struct evlat_record *r;

	if (!targ_mcgrp || group != targ_mcgrp)
		return 0;
	c = task_ctx(false);
	if (!c || !c->hook_pending)
		return 0; /* not an event sender's check (mptcp_userspace_pm_active()) */
	c->hook_pending = 0;
	if (ret)
		return 0;
	r = rec_start_ns(EVLAT_K_NOLISTENER, c->hook_event, c->hook_netns);
	if (!r)
		return 0;
	r->token = c->hook_token;
	r->msg.hook_ns = c->hook_ns;
	rec_submit(r);
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
