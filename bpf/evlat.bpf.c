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
	__u32 slot = (kind == EVLAT_K_SEND ? EVLAT_DROP_SEND : 0) + (event & 0xff);
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
	if (ssk)
		r->ssk_state = BPF_CORE_READ(ssk, __sk_common.skc_state);
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

static __always_inline int on_send(__u32 netns, const struct sk_buff *skb, __u32 gfp, const bool fe)
{
	struct evlat_msg_head h;
	struct evlat_record *r;
	const void *data = KR(fe, skb->data, skb, data);

	if (bpf_probe_read_kernel(&h, sizeof(h), data))
		return 0;
	r = rec_start_ns(EVLAT_K_SEND, h.cmd, netns);
	if (!r)
		return 0;
	if ((h.nla_type & 0x3fff) == MPTCP_ATTR_TOKEN_ && h.nla_len >= 8)
		r->token = h.token;
	r->gfp = gfp;
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
