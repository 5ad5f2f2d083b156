// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: the input is a script of correlator operations, run against a
 * small table (1..8 entries) so that eviction happens, with values from small
 * sets so that records and events actually meet: 2 namespaces, 4 tokens, the
 * real event types (plus one unknown), 4 subflows, a clock that only moves on.
 *
 * Input (every byte value is valid, so mutations stay meaningful):
 *
 *   byte 0  capacity - 1 (low 3 bits)
 *   byte 1  timeout: (byte + 1) * TIMEOUT_UNIT ns
 *   then 4 bytes per operation, until fewer than 4 remain or MAX_OPS:
 *     op    low 3 bits: OP_*; for OP_NL, bits 3-6 leave attributes out:
 *           3 token, 4 family + addresses, 5 ports, 6 loc_id + rem_id
 *     what  bits 0-3 event (index into evs[], modulo), bits 4-5 subflow,
 *           bit 6: an IPv4 subflow written IPv4-mapped (AF_INET6),
 *           bit 7: a hook record without addresses (family 0)
 *     key   bits 0-1 token, bit 2 netns, bits 3-7 how long before now the hook
 *           fired (HOOK_AGE_UNIT ns each; the ring is read later than netlink)
 *     dt    the clock first moves 1 + dt ns (1 ns steps: the timeout's edge is reachable)
 *   the script ends with corr_flush().
 *
 * Each hook record carries its index in .cpu, each netlink event its index in
 * .reset_reason (neither is a matching field), so every result is traced back
 * to what was added. The callback traps when a promise of correlate.h breaks:
 * every hook record and netlink event reported exactly once, with the bytes it
 * was added with; the status agrees with the halves present; a pair agrees on
 * namespace, type, token and identifying fields, and the hook is not younger
 * than the event; a send record attaches at most once, to an earlier hook
 * record of its key; nothing expires early or late; eviction only from a full
 * table; the statistics agree with the callbacks; after corr_flush() nothing
 * is pending.
 *
 * Those cannot see a pair that should have formed and did not, or the wrong
 * entry evicted. So a model of the rules correlate.h and README state, a
 * linear scan over at most 8 entries, predicts every result in order:
 * the oldest candidate wins (netlink events by arrival, hook records by the
 * time their hook arrived); a full table evicts the oldest entry still
 * waiting for a half, else the oldest matched pair (delivered); corr_expire()
 * first reports the matched pairs, then expires in arrival order; an entry
 * about to expire is first paired with the oldest entry of the other side
 * with its key that disagrees on at most one identifying field (the fewest
 * first): the result names that field in .differs (correlate.h's identity
 * rule), and the pair is reported as any other.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "correlate.h"
#include "fuzz.h"

#define MAX_OPS	      1024
#define HOOK_AGE_UNIT 4
#define TIMEOUT_UNIT  8
#define MAX_CAPACITY  8
#define T0	      (1ull << 20) /* the clock's start: hook times before it stay positive */
#define NO_ID	      UINT32_MAX

enum { OP_HOOK, OP_NL, OP_SEND, OP_EXPIRE, OP_HOOK2, OP_NL2, OP_OTHER, OP_FLUSH };

/* OP_NL: attributes left out */
#define NL_NO_TOKEN (1u << 3)
#define NL_NO_ADDRS (1u << 4)
#define NL_NO_PORTS (1u << 5)
#define NL_NO_IDS   (1u << 6)

#define W_MAPPED  (1u << 6)
#define W_NO_ADDR (1u << 7)

struct ev_kind {
	__u8 kind, event;
};

static const struct ev_kind evs[] = {
	{ EVLAT_K_EVENT, EVLAT_EV_CREATED },
	{ EVLAT_K_EVENT, EVLAT_EV_ESTABLISHED },
	{ EVLAT_K_EVENT, EVLAT_EV_CLOSED },
	{ EVLAT_K_ANNOUNCED, EVLAT_EV_ANNOUNCED },
	{ EVLAT_K_REMOVED, EVLAT_EV_REMOVED },
	{ EVLAT_K_EVENT, EVLAT_EV_SUB_ESTABLISHED },
	{ EVLAT_K_EVENT, EVLAT_EV_SUB_CLOSED },
	{ EVLAT_K_EVENT, EVLAT_EV_SUB_PRIORITY },
	{ EVLAT_K_LISTENER, EVLAT_EV_LISTENER_CREATED },
	{ EVLAT_K_LISTENER, EVLAT_EV_LISTENER_CLOSED },
	{ EVLAT_K_EVENT, 42 }, /* a type from a newer kernel */
};

/* Records the correlator must ignore: no hook, no send. */
static const __u8 other_kinds[] = { EVLAT_K_CLOSE_SSK, EVLAT_K_NONE, EVLAT_K_MAX, 200 };

static const __u32 tokens[] = { 0, 0x1a2b3c4d, 0x5e6f7081, 0xffffffff };
static const __u32 netnss[] = { 4026531840u, 4026532000u };

/* Addresses as they are, whatever the spelling: IPv4 ones in the first 4 bytes. */
struct subflow {
	bool v6;
	__u8 saddr[16], daddr[16];
	__u16 sport, dport;
	__u8 loc_id, rem_id;
};

/* 0 and 3 share the source address and port: a listener cannot tell them apart */
static const struct subflow subflows[] = {
	{ .saddr = { 10, 0, 1, 1 }, .daddr = { 10, 0, 1, 2 }, .sport = 10100, .dport = 40000 },
	{ .saddr = { 10, 0, 2, 1 },
	  .daddr = { 10, 0, 2, 2 },
	  .sport = 10101,
	  .dport = 40001,
	  .loc_id = 1,
	  .rem_id = 1 },
	{ .v6 = true,
	  .saddr = { 0xfd, 0, 0, 1, [15] = 1 },
	  .daddr = { 0xfd, 0, 0, 1, [15] = 2 },
	  .sport = 10102,
	  .dport = 40002,
	  .loc_id = 2,
	  .rem_id = 2 },
	{ .saddr = { 10, 0, 1, 1 },
	  .daddr = { 10, 0, 1, 3 },
	  .sport = 10100,
	  .dport = 40003,
	  .loc_id = 1,
	  .rem_id = 3 },
};

struct item {
	__u8 state; /* 0 not added, 1 pending, 2 reported */
	__u8 sf;    /* subflows[] index */
	__u32 netns;
	__u64 arrival; /* the clock when added: the entry's age */
	unsigned int op;
};

struct send_item {
	struct evlat_record r;
	unsigned int op;
	bool attached;
};

enum { PENDING = 1, REPORTED = 2 };

/* The model's entry: which halves it holds, and its place in each order. */
enum { M_FREE, M_HOOK, M_NL, M_MATCHED };
enum { BY_AGE, BY_HOOK, BY_READY };

struct m_ent {
	__u8 state;
	__u32 hook, nl, send;  /* hook and netlink ids, index into sends[]; NO_ID: none */
	__u64 t;	       /* arrival of the first half */
	unsigned int differs;  /* CORR_F_* of a pair made at expiry */
	unsigned int age;      /* allocation: the order of waiting (eviction, expiry) */
	unsigned int hook_seq; /* arrival of its hook record: the order send records see */
	unsigned int ready;    /* pairing: the order of matched pairs */
};

/* A result the model predicts. */
struct expect {
	enum corr_status status;
	__u32 hook, nl, send;
	unsigned int differs;
};

struct fuzz {
	struct correlator *c;
	unsigned int capacity;
	__u64 timeout, now;
	unsigned int op;       /* index of the running operation */
	int cur;	       /* its OP_*, or OP_FLUSH for the final flush */
	unsigned int results;  /* results during the running operation */
	unsigned int pending0; /* stats.pending before it */
	struct evlat_record hooks[MAX_OPS];
	struct item hook_info[MAX_OPS];
	unsigned int nhooks, hooks_out, hooks_lo;
	struct nl_event nls[MAX_OPS];
	struct item nl_info[MAX_OPS];
	unsigned int nnls, nls_out, nls_lo;
	struct send_item sends[MAX_OPS];
	unsigned int nsends, attached;
	unsigned long long count[CORR_EVICTED + 1];
	struct m_ent m[MAX_CAPACITY];
	unsigned int m_seq, m_orphans, m_loose;
	struct expect q[MAX_CAPACITY + 1]; /* the running operation's predicted results */
	unsigned int nq, iq;
};

static struct fuzz f;

static void put_addr(__u8 *dst, const __u8 *addr, bool v6, bool mapped)
{
	memset(dst, 0, 16);
	if (v6) {
		memcpy(dst, addr, 16);
	} else if (mapped) {
		dst[10] = dst[11] = 0xff;
		memcpy(dst + 12, addr, 4);
	} else {
		memcpy(dst, addr, 4);
	}
}

/* ---- checking a result ----------------------------------------------------- */

static bool ident_subflow(__u8 ev)
{
	return ev == EVLAT_EV_CREATED || ev == EVLAT_EV_ESTABLISHED ||
	       ev == EVLAT_EV_SUB_ESTABLISHED || ev == EVLAT_EV_SUB_CLOSED ||
	       ev == EVLAT_EV_SUB_PRIORITY;
}

static bool ident_listener(__u8 ev)
{
	return ev == EVLAT_EV_LISTENER_CREATED || ev == EVLAT_EV_LISTENER_CLOSED;
}

/*
 * README: a pair agrees on "the fields that identify the subflow (addresses,
 * ports) or address (remote id)" that both sides carry, or, paired at expiry,
 * on all of them but one. Addresses are compared as subflows[] holds them,
 * whatever spelling each side used. Returns the CORR_F_* that differ.
 */
static unsigned int fields_differ(__u32 h, __u32 n)
{
	const struct evlat_record *r = &f.hooks[h];
	const struct nl_event *ev = &f.nls[n];
	const struct subflow *hs = &subflows[f.hook_info[h].sf], *ns = &subflows[f.nl_info[n].sf];
	bool addrs = r->family != 0, sf = ident_subflow(r->event), ls = ident_listener(r->event);
	bool ann = r->event == EVLAT_EV_ANNOUNCED, rem = r->event == EVLAT_EV_REMOVED;
	__u32 p = ev->present;
	unsigned int d = 0;

	if ((ann || rem) && (p & NLE_REM_ID) && r->rem_id != ev->rem_id)
		d |= CORR_F_REM_ID;
	if ((sf || ls) && addrs && (p & NLE_SADDR) &&
	    (hs->v6 != ns->v6 || memcmp(hs->saddr, ns->saddr, 16)))
		d |= CORR_F_SADDR;
	if ((sf || ann) && addrs && (p & NLE_DADDR) &&
	    (hs->v6 != ns->v6 || memcmp(hs->daddr, ns->daddr, 16)))
		d |= CORR_F_DADDR;
	if ((sf || ls) && addrs && (p & NLE_SPORT) && r->sport != ev->sport)
		d |= CORR_F_SPORT;
	if (sf && addrs && (p & NLE_DPORT) && r->dport != ev->dport)
		d |= CORR_F_DPORT;
	return d;
}

static bool fields_agree(__u32 h, __u32 n)
{
	return !fields_differ(h, n);
}

/* Same namespace, type and token, the hook no younger than the event */
static bool same_key(__u32 h, __u32 n)
{
	const struct evlat_record *r = &f.hooks[h];
	const struct nl_event *ev = &f.nls[n];

	return r->netns == f.nl_info[n].netns && r->event == ev->type &&
	       r->token == (ev->present & NLE_TOKEN ? ev->token : 0) && r->ktime_ns <= ev->recv_ns;
}

/* Could hook record @h have produced netlink event @n? */
static bool pair_ok(__u32 h, __u32 n)
{
	return same_key(h, n) && fields_agree(h, n);
}

/* ---- the model ------------------------------------------------------------ */

static void m_report(struct m_ent *e, enum corr_status status)
{
	FUZZ_CHECK(f.nq < sizeof(f.q) / sizeof(f.q[0]));
	f.q[f.nq++] = (struct expect){ status, e->hook, e->nl, e->send, e->differs };
	e->state = M_FREE;
}

static unsigned int m_rank(const struct m_ent *e, int order)
{
	return order == BY_AGE ? e->age : order == BY_HOOK ? e->hook_seq : e->ready;
}

/* The first entry in @order among those in a state of @states (bit mask). */
static struct m_ent *m_first(unsigned int states, int order)
{
	struct m_ent *best = NULL;

	for (unsigned int i = 0; i < f.capacity; i++) {
		struct m_ent *e = &f.m[i];

		if ((states & 1u << e->state) && (!best || m_rank(e, order) < m_rank(best, order)))
			best = e;
	}
	return best;
}

static unsigned int m_pending(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < f.capacity; i++)
		n += f.m[i].state != M_FREE;
	return n;
}

/* A full table evicts the oldest entry waiting for a half, else the oldest pair. */
static struct m_ent *m_alloc(__u8 state)
{
	struct m_ent *e = m_first(1u << M_FREE, BY_AGE);

	if (!e) {
		e = m_first(1u << M_HOOK | 1u << M_NL, BY_AGE);
		if (e)
			m_report(e, CORR_EVICTED);
		else
			m_report(e = m_first(1u << M_MATCHED, BY_READY), CORR_DELIVERED);
	}
	*e = (struct m_ent){ .state = state,
			     .hook = NO_ID,
			     .nl = NO_ID,
			     .send = NO_ID,
			     .t = f.now,
			     .age = ++f.m_seq };
	return e;
}

/* Both halves: delivered if the send record came, else matched, waiting for it. */
static void m_pair(struct m_ent *e)
{
	if (e->send != NO_ID) {
		m_report(e, CORR_DELIVERED);
		return;
	}
	e->state = M_MATCHED;
	e->ready = ++f.m_seq;
}

static void m_add_hook(__u32 h)
{
	struct m_ent *best = NULL;

	for (unsigned int i = 0; i < f.capacity; i++) {
		struct m_ent *e = &f.m[i];

		if (e->state == M_NL && pair_ok(h, e->nl) && (!best || e->age < best->age))
			best = e;
	}
	if (!best)
		best = m_alloc(M_HOOK);
	best->hook = h;
	best->hook_seq = ++f.m_seq;
	if (best->nl != NO_ID)
		m_pair(best);
}

static void m_add_nl(__u32 n)
{
	struct m_ent *best = NULL;

	for (unsigned int i = 0; i < f.capacity; i++) {
		struct m_ent *e = &f.m[i];

		if (e->state == M_HOOK && pair_ok(e->hook, n) &&
		    (!best || e->hook_seq < best->hook_seq))
			best = e;
	}
	if (!best) {
		m_alloc(M_NL)->nl = n;
		return;
	}
	best->nl = n;
	m_pair(best);
}

/* A send record goes to the earliest hook record of its key that has none. */
static void m_add_send(__u32 s)
{
	const struct evlat_record *r = &f.sends[s].r;
	struct m_ent *best = NULL;

	for (unsigned int i = 0; i < f.capacity; i++) {
		struct m_ent *e = &f.m[i];
		const struct evlat_record *h;

		if ((e->state != M_HOOK && e->state != M_MATCHED) || e->send != NO_ID)
			continue;
		h = &f.hooks[e->hook];
		if (h->netns == r->netns && h->event == r->event && h->token == r->token &&
		    h->ktime_ns <= r->ktime_ns && (!best || e->hook_seq < best->hook_seq))
			best = e;
	}
	if (!best) {
		f.m_orphans++;
		return;
	}
	best->send = s;
	if (best->state == M_MATCHED)
		m_report(best, CORR_DELIVERED);
}

/* The other side's entry expiring @e pairs with, one field apart at most (or NULL) */
static struct m_ent *m_loose_partner(const struct m_ent *e, unsigned int *differs)
{
	struct m_ent *best = NULL;
	int best_n = 2;

	for (unsigned int i = 0; i < f.capacity; i++) {
		struct m_ent *o = &f.m[i];
		__u32 h = e->state == M_HOOK ? e->hook : o->hook;
		__u32 n = e->state == M_HOOK ? o->nl : e->nl;
		int nd;

		if (o->state != (e->state == M_HOOK ? M_NL : M_HOOK) || !same_key(h, n))
			continue;
		nd = __builtin_popcount(fields_differ(h, n));
		if (nd < best_n || (nd == best_n && best && o->age < best->age)) {
			best = o;
			best_n = nd;
			*differs = fields_differ(h, n);
		}
	}
	return best;
}

/* @e expires: paired one field apart if it can be, else reported alone */
static void m_expire_one(struct m_ent *e, bool all)
{
	unsigned int differs = 0;
	struct m_ent *o = m_loose_partner(e, &differs), *h;

	if (!o) {
		m_report(e, e->state == M_HOOK ? CORR_NOT_DELIVERED : CORR_UNMATCHED_NL);
		return;
	}
	h = e->state == M_HOOK ? e : o;
	h->nl = e->state == M_HOOK ? o->nl : e->nl;
	h->differs = differs;
	(e == h ? o : e)->state = M_FREE;
	f.m_loose++;
	if (all)
		m_report(h, CORR_DELIVERED);
	else
		m_pair(h);
}

/* corr_expire() (@all false) and corr_flush() (@all true) */
static void m_expire(bool all)
{
	struct m_ent *e;

	while ((e = m_first(1u << M_MATCHED, BY_READY)))
		m_report(e, CORR_DELIVERED);
	while ((e = m_first(1u << M_HOOK | 1u << M_NL, BY_AGE))) {
		if (!all && (f.now <= e->t || f.now - e->t <= f.timeout))
			break;
		m_expire_one(e, all);
	}
}

static void check_model(const struct corr_result *res)
{
	const struct expect *x;

	FUZZ_CHECK(f.iq < f.nq);
	x = &f.q[f.iq++];
	FUZZ_CHECK(res->status == x->status);
	FUZZ_CHECK(res->have_hook == (x->hook != NO_ID));
	FUZZ_CHECK(!res->have_hook || res->hook.cpu == x->hook);
	FUZZ_CHECK(res->have_nl == (x->nl != NO_ID));
	FUZZ_CHECK(!res->have_nl || res->nl.reset_reason == x->nl);
	FUZZ_CHECK(res->have_send == (x->send != NO_ID));
	FUZZ_CHECK(!res->have_send || res->send_ns == f.sends[x->send].r.ktime_ns);
	FUZZ_CHECK(res->differs == x->differs);
}

static __u32 take_hook(const struct corr_result *res)
{
	__u32 id = res->hook.cpu;

	FUZZ_CHECK(id < f.nhooks);
	FUZZ_CHECK(f.hook_info[id].state == PENDING);
	FUZZ_CHECK(!memcmp(&res->hook, &f.hooks[id], sizeof(res->hook)));
	FUZZ_CHECK(res->event == f.hooks[id].event);
	f.hook_info[id].state = REPORTED;
	f.hooks_out--;
	return id;
}

static __u32 take_nl(const struct corr_result *res)
{
	__u32 id = res->nl.reset_reason;

	FUZZ_CHECK(id < f.nnls);
	FUZZ_CHECK(f.nl_info[id].state == PENDING);
	FUZZ_CHECK(!memcmp(&res->nl, &f.nls[id], sizeof(res->nl)));
	FUZZ_CHECK(res->event == f.nls[id].type);
	f.nl_info[id].state = REPORTED;
	f.nls_out--;
	return id;
}

/* Send records have strictly increasing times (the clock's at their operation). */
static struct send_item *find_send(__u64 ktime)
{
	unsigned int lo = 0, hi = f.nsends;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (f.sends[mid].r.ktime_ns < ktime)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f.nsends && f.sends[lo].r.ktime_ns == ktime ? &f.sends[lo] : NULL;
}

static void check_send(const struct corr_result *res, __u32 h)
{
	struct send_item *s = find_send(res->send_ns);

	FUZZ_CHECK(s && !s->attached);
	s->attached = true;
	f.attached++;
	FUZZ_CHECK(s->r.netns == res->hook.netns && s->r.event == res->hook.event &&
		   s->r.token == res->hook.token);
	FUZZ_CHECK(s->op > f.hook_info[h].op && s->r.ktime_ns >= res->hook.ktime_ns);
}

static void check_status(const struct corr_result *res)
{
	switch (res->status) {
	case CORR_DELIVERED:
		FUZZ_CHECK(res->have_hook && res->have_nl);
		break;
	case CORR_NOT_DELIVERED:
		FUZZ_CHECK(res->have_hook && !res->have_nl);
		break;
	case CORR_UNMATCHED_NL:
		FUZZ_CHECK(!res->have_hook && res->have_nl);
		break;
	case CORR_EVICTED:
		FUZZ_CHECK(res->have_hook != res->have_nl);
		break;
	default:
		FUZZ_CHECK(!"unknown status");
	}
	FUZZ_CHECK(!res->have_send || res->have_hook);
}

/* What the running operation may report: adds at most one result, expiry no eviction. */
static void check_when(const struct corr_result *res, __u64 arrival)
{
	switch (f.cur) {
	case OP_EXPIRE:
		FUZZ_CHECK(res->status != CORR_EVICTED);
		if (res->status != CORR_DELIVERED)
			FUZZ_CHECK(f.now - arrival > f.timeout);
		break;
	case OP_FLUSH:
		FUZZ_CHECK(res->status != CORR_EVICTED);
		break;
	default:
		FUZZ_CHECK(f.results == 1);
		FUZZ_CHECK(res->status == CORR_DELIVERED || res->status == CORR_EVICTED);
		/* an add makes room only in a full table */
		if (res->status == CORR_EVICTED || !res->have_send)
			FUZZ_CHECK(f.pending0 == f.capacity);
	}
}

static void on_result(void *ctx, const struct corr_result *res)
{
	__u32 h = NO_ID, n = NO_ID;
	__u64 arrival = 0;

	f.results++;
	check_status(res);
	f.count[res->status]++;
	if (res->have_hook) {
		h = take_hook(res);
		arrival = f.hook_info[h].arrival;
	}
	if (res->have_nl) {
		n = take_nl(res);
		arrival = f.nl_info[n].arrival;
	}
	if (h != NO_ID && n != NO_ID) {
		FUZZ_CHECK(f.hooks[h].netns == f.nl_info[n].netns);
		FUZZ_CHECK(f.hooks[h].token == (f.nls[n].present & NLE_TOKEN ? f.nls[n].token : 0));
		FUZZ_CHECK(f.hooks[h].ktime_ns <= f.nls[n].recv_ns);
		FUZZ_CHECK(fields_differ(h, n) == res->differs);
		FUZZ_CHECK(__builtin_popcount(res->differs) <= 1);
	}
	if (res->have_send)
		check_send(res, h);
	check_when(res, arrival);
	check_model(res);
}

/* ---- after each operation ------------------------------------------------- */

/* Whether hook (@hook) or netlink item @id is half of a pair waiting for its send record */
static bool in_pair(__u32 id, bool hook)
{
	for (unsigned int i = 0; i < f.capacity; i++)
		if (f.m[i].state == M_MATCHED && (hook ? f.m[i].hook : f.m[i].nl) == id)
			return true;
	return false;
}

/*
 * The oldest pending item still waiting for its other half: arrival grows
 * with the index; a pair made at expiry waits for its send record past it.
 */
static const struct item *oldest(const struct item *info, unsigned int n, unsigned int *lo,
				 bool hook)
{
	unsigned int i;

	while (*lo < n && info[*lo].state != PENDING)
		(*lo)++;
	for (i = *lo; i < n && (info[i].state != PENDING || in_pair(i, hook)); i++)
		;
	return i < n ? &info[i] : NULL;
}

static void check_after(void)
{
	struct corr_stats st;
	const struct item *o;
	unsigned int most = f.hooks_out > f.nls_out ? f.hooks_out : f.nls_out;

	corr_get_stats(f.c, &st);
	FUZZ_CHECK(st.pending <= f.capacity && st.pending <= st.pending_max &&
		   st.pending_max <= f.capacity);
	/* an entry holds at most one hook record and one netlink event */
	FUZZ_CHECK(st.pending >= most && st.pending <= f.hooks_out + f.nls_out);
	FUZZ_CHECK(f.iq == f.nq); /* every predicted result came */
	FUZZ_CHECK(st.pending == m_pending());
	FUZZ_CHECK(st.orphan_send == f.m_orphans);
	FUZZ_CHECK(st.loose == f.m_loose);
	FUZZ_CHECK(st.delivered == f.count[CORR_DELIVERED] &&
		   st.not_delivered == f.count[CORR_NOT_DELIVERED] &&
		   st.unmatched_nl == f.count[CORR_UNMATCHED_NL] &&
		   st.evicted == f.count[CORR_EVICTED]);
	if (f.cur == OP_FLUSH)
		FUZZ_CHECK(st.pending == 0 && f.hooks_out == 0 && f.nls_out == 0);
	if (f.cur != OP_EXPIRE)
		return;
	/* the age list is in arrival order here (one clock): nothing overdue is left */
	o = oldest(f.hook_info, f.nhooks, &f.hooks_lo, true);
	FUZZ_CHECK(!o || f.now - o->arrival <= f.timeout);
	o = oldest(f.nl_info, f.nnls, &f.nls_lo, false);
	FUZZ_CHECK(!o || f.now - o->arrival <= f.timeout);
}

/* ---- operations ----------------------------------------------------------- */

static void fill_record(struct evlat_record *r, __u8 what, __u8 key)
{
	const struct subflow *s = &subflows[(what >> 4) & 3];

	r->event = evs[(what & 0x0f) % (sizeof(evs) / sizeof(evs[0]))].event;
	r->token = tokens[key & 3];
	r->netns = netnss[(key >> 2) & 1];
	if (what & W_NO_ADDR)
		return;
	r->family = s->v6 || (what & W_MAPPED) ? AF_INET6 : AF_INET;
	r->flags = EVLAT_F_HAVE_SSK;
	put_addr(r->saddr, s->saddr, s->v6, what & W_MAPPED);
	put_addr(r->daddr, s->daddr, s->v6, what & W_MAPPED);
	r->sport = s->sport;
	r->dport = s->dport;
	r->loc_id = s->loc_id;
	r->rem_id = s->rem_id;
}

static void op_hook(__u8 what, __u8 key)
{
	struct evlat_record *r = &f.hooks[f.nhooks];
	struct item *it = &f.hook_info[f.nhooks];

	memset(r, 0, sizeof(*r));
	fill_record(r, what, key);
	r->kind = evs[(what & 0x0f) % (sizeof(evs) / sizeof(evs[0]))].kind;
	r->cpu = f.nhooks;
	r->ktime_ns = f.now - (__u64)(key >> 3) * HOOK_AGE_UNIT;
	*it = (struct item){ .state = PENDING,
			     .sf = (what >> 4) & 3,
			     .netns = r->netns,
			     .arrival = f.now,
			     .op = f.op };
	f.nhooks++;
	f.hooks_out++;
	m_add_hook(r->cpu);
	corr_add_record(f.c, r, f.now);
}

static void op_nl(__u8 op, __u8 what, __u8 key)
{
	const struct subflow *s = &subflows[(what >> 4) & 3];
	struct nl_event *ev = &f.nls[f.nnls];
	bool mapped = what & W_MAPPED;

	memset(ev, 0, sizeof(*ev));
	ev->type = evs[(what & 0x0f) % (sizeof(evs) / sizeof(evs[0]))].event;
	ev->recv_ns = f.now;
	ev->reset_reason = f.nnls;
	if (!(op & NL_NO_TOKEN)) {
		ev->present |= NLE_TOKEN;
		ev->token = tokens[key & 3];
	}
	if (!(op & NL_NO_ADDRS)) {
		/* as nl_decode.c stores them: one family for both, IPv4 in IPv6 mapped */
		ev->present |= NLE_FAMILY | NLE_SADDR | NLE_DADDR;
		ev->family = s->v6 || mapped ? AF_INET6 : AF_INET;
		put_addr(ev->saddr, s->saddr, s->v6, mapped);
		put_addr(ev->daddr, s->daddr, s->v6, mapped);
	}
	if (!(op & NL_NO_PORTS)) {
		ev->present |= NLE_SPORT | NLE_DPORT;
		ev->sport = s->sport;
		ev->dport = s->dport;
	}
	if (!(op & NL_NO_IDS)) {
		ev->present |= NLE_LOC_ID | NLE_REM_ID;
		ev->loc_id = s->loc_id;
		ev->rem_id = s->rem_id;
	}
	f.nl_info[f.nnls] = (struct item){ .state = PENDING,
					   .sf = (what >> 4) & 3,
					   .netns = netnss[(key >> 2) & 1],
					   .arrival = f.now,
					   .op = f.op };
	f.nls_out++;
	m_add_nl(f.nnls++);
	corr_add_nl(f.c, ev, netnss[(key >> 2) & 1]);
}

static void op_send(__u8 what, __u8 key)
{
	struct send_item *s = &f.sends[f.nsends++];

	memset(s, 0, sizeof(*s));
	fill_record(&s->r, what | W_NO_ADDR, key);
	s->r.kind = EVLAT_K_SEND;
	s->r.ktime_ns = f.now; /* unique: the clock moves at every operation */
	s->op = f.op;
	m_add_send(s - f.sends);
	corr_add_record(f.c, &s->r, f.now);
}

static void op_other(__u8 what, __u8 key)
{
	struct evlat_record r = { 0 };

	fill_record(&r, what, key);
	r.kind = other_kinds[key & 3];
	r.cpu = NO_ID; /* reported, it would fail take_hook() */
	r.ktime_ns = f.now;
	corr_add_record(f.c, &r, f.now);
}

static void run_op(const uint8_t *p)
{
	struct corr_stats st;

	f.now += 1 + (__u64)p[3];
	f.cur = p[0] & 7;
	f.results = 0;
	f.nq = f.iq = 0;
	corr_get_stats(f.c, &st);
	f.pending0 = st.pending;
	switch (f.cur) {
	case OP_HOOK:
	case OP_HOOK2:
		op_hook(p[1], p[2]);
		break;
	case OP_NL:
	case OP_NL2:
		op_nl(p[0], p[1], p[2]);
		break;
	case OP_SEND:
		op_send(p[1], p[2]);
		break;
	case OP_EXPIRE:
		m_expire(false);
		corr_expire(f.c, f.now);
		break;
	case OP_OTHER:
		op_other(p[1], p[2]);
		break;
	case OP_FLUSH:
		m_expire(true);
		corr_flush(f.c);
		break;
	}
	check_after();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corr_opts o = { .cb = on_result };
	struct corr_stats st;
	size_t pos;

	if (size < 2)
		return 0;
	memset(&f, 0, sizeof(f));
	f.capacity = 1 + (data[0] & (MAX_CAPACITY - 1));
	f.timeout = (__u64)(data[1] + 1) * TIMEOUT_UNIT;
	f.now = T0;
	o.capacity = f.capacity;
	o.timeout_ns = f.timeout;
	f.c = corr_new(&o);
	FUZZ_CHECK(f.c);
	for (pos = 2; size - pos >= 4 && f.op < MAX_OPS; pos += 4, f.op++)
		run_op(data + pos);
	f.cur = OP_FLUSH;
	f.results = 0;
	f.nq = f.iq = 0;
	m_expire(true);
	corr_flush(f.c);
	check_after();
	/* every send record attached to a hook record (reported with it) or counted orphan */
	corr_get_stats(f.c, &st);
	FUZZ_CHECK(f.attached + st.orphan_send == f.nsends);
	corr_free(f.c);
	return 0;
}
