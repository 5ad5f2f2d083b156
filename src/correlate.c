// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Hook record <-> send record <-> netlink event matching.
 *
 * All entries are preallocated. An entry is on two index lists at once:
 * - its hash bucket's chain, in arrival order, so the first candidate found
 *   is the oldest (FIFO among equal keys);
 * - the age list while it waits for its other half (expiry, eviction), or
 *   the ready list once hook and netlink event are matched and only a send
 *   record may still come (reported by corr_expire(): see correlate.h).
 * Free entries are chained through the list link.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "correlate.h"

#define NIL UINT32_MAX

enum { LK_HASH, LK_LIST, LK_NR };

enum ent_state {
	E_FREE,
	E_HOOK,	   /* hook record (send record maybe) waiting for its netlink event */
	E_NL,	   /* netlink event waiting for its hook record */
	E_MATCHED, /* both halves, no send record yet: on the ready list */
};

struct corr_link {
	__u32 prev, next;
};

struct corr_list {
	__u32 head, tail;
};

struct corr_entry {
	struct corr_result res; /* handed to the callback as is */
	__u64 t_ns;		/* first half arrived (expiry clock); E_MATCHED: paired */
	__u32 netns, token;	/* hash key, with res.event */
	__u32 bucket;
	__u8 state;
	struct corr_link lk[LK_NR];
};

struct correlator {
	struct corr_opts opts;
	struct corr_entry *ents;
	struct corr_list *buckets;
	__u32 bucket_mask;
	struct corr_list free, age, ready;
	struct corr_stats st;
};

static void lst_append(struct correlator *c, struct corr_list *l, __u32 i, int k)
{
	struct corr_entry *e = &c->ents[i];

	e->lk[k].prev = l->tail;
	e->lk[k].next = NIL;
	if (l->tail != NIL)
		c->ents[l->tail].lk[k].next = i;
	else
		l->head = i;
	l->tail = i;
}

static void lst_del(struct correlator *c, struct corr_list *l, __u32 i, int k)
{
	struct corr_link *lk = &c->ents[i].lk[k];

	if (lk->prev != NIL)
		c->ents[lk->prev].lk[k].next = lk->next;
	else
		l->head = lk->next;
	if (lk->next != NIL)
		c->ents[lk->next].lk[k].prev = lk->prev;
	else
		l->tail = lk->prev;
}

static __u32 key_bucket(const struct correlator *c, __u32 netns, __u8 event, __u32 token)
{
	__u64 k = ((__u64)netns << 32 | token) ^ ((__u64)event << 56);

	/* Fibonacci hashing: the top bits of the product mix every input bit */
	return (__u32)((k * 0x9e3779b97f4a7c15ULL) >> 32) & c->bucket_mask;
}

static bool key_eq(const struct corr_entry *e, __u32 netns, __u8 event, __u32 token)
{
	return e->netns == netns && e->res.event == event && e->token == token;
}

/* The fields that tell apart two events of one (netns, type, token). */
static unsigned int ident_fields(__u8 event)
{
	switch (event) {
	case EVLAT_EV_CREATED:
	case EVLAT_EV_ESTABLISHED:
	case EVLAT_EV_SUB_ESTABLISHED:
	case EVLAT_EV_SUB_CLOSED:
	case EVLAT_EV_SUB_PRIORITY:
		return CORR_F_SADDR | CORR_F_DADDR | CORR_F_SPORT | CORR_F_DPORT;
	case EVLAT_EV_ANNOUNCED:
		return CORR_F_REM_ID | CORR_F_DADDR;
	case EVLAT_EV_REMOVED:
		return CORR_F_REM_ID;
	case EVLAT_EV_LISTENER_CREATED:
	case EVLAT_EV_LISTENER_CLOSED:
		return CORR_F_SADDR | CORR_F_SPORT;
	default:
		return 0; /* CLOSED and unknown types: the token says it all */
	}
}

/*
 * The identifying fields both sides carry (a record has addresses and ports
 * when it has a family; a message, per attribute) into *@cmp, and those of
 * them that differ, as the return value.
 */
static unsigned int fields_differ(const struct evlat_record *r, const struct nl_event *ev,
				  unsigned int *cmp)
{
	unsigned int m = ident_fields(r->event), p = ev->present, c = 0, d = 0;
	bool addrs = r->family != 0;

	if ((m & CORR_F_REM_ID) && (p & NLE_REM_ID)) {
		c |= CORR_F_REM_ID;
		d |= r->rem_id != ev->rem_id ? CORR_F_REM_ID : 0;
	}
	if ((m & CORR_F_SADDR) && addrs && (p & NLE_SADDR)) {
		c |= CORR_F_SADDR;
		d |= !addr_eq(r->family, r->saddr, ev->family, ev->saddr) ? CORR_F_SADDR : 0;
	}
	if ((m & CORR_F_DADDR) && addrs && (p & NLE_DADDR)) {
		c |= CORR_F_DADDR;
		d |= !addr_eq(r->family, r->daddr, ev->family, ev->daddr) ? CORR_F_DADDR : 0;
	}
	if ((m & CORR_F_SPORT) && addrs && (p & NLE_SPORT)) {
		c |= CORR_F_SPORT;
		d |= r->sport != ev->sport ? CORR_F_SPORT : 0;
	}
	if ((m & CORR_F_DPORT) && addrs && (p & NLE_DPORT)) {
		c |= CORR_F_DPORT;
		d |= r->dport != ev->dport ? CORR_F_DPORT : 0;
	}
	if (cmp)
		*cmp = c;
	return d;
}

static bool fields_match(const struct evlat_record *r, const struct nl_event *ev)
{
	return !fields_differ(r, ev, NULL);
}

static void ent_release(struct correlator *c, __u32 i)
{
	struct corr_entry *e = &c->ents[i];

	lst_del(c, &c->buckets[e->bucket], i, LK_HASH);
	lst_del(c, e->state == E_MATCHED ? &c->ready : &c->age, i, LK_LIST);
	e->state = E_FREE;
	lst_append(c, &c->free, i, LK_LIST);
	c->st.pending--;
}

static void report(struct correlator *c, __u32 i, enum corr_status status)
{
	struct corr_entry *e = &c->ents[i];

	e->res.status = status;
	switch (status) {
	case CORR_DELIVERED:
		c->st.delivered++;
		break;
	case CORR_NOT_DELIVERED:
		c->st.not_delivered++;
		break;
	case CORR_UNMATCHED_NL:
		c->st.unmatched_nl++;
		break;
	case CORR_EVICTED:
		c->st.evicted++;
		break;
	case CORR_SENT:
		c->st.sent++;
		break;
	}
	if (c->opts.cb)
		c->opts.cb(c->opts.ctx, &e->res);
	ent_release(c, i);
}

/*
 * Make room: the oldest entry still waiting for a half goes. Only when every
 * entry is a matched pair does one go early, and it is a delivery: it has
 * both halves, it merely stops waiting for its send record.
 */
static void evict_one(struct correlator *c)
{
	if (c->age.head != NIL)
		report(c, c->age.head, CORR_EVICTED);
	else
		report(c, c->ready.head, CORR_DELIVERED);
}

static __u32 ent_alloc(struct correlator *c, enum ent_state state, __u32 netns, __u8 event,
		       __u32 token, __u64 t_ns)
{
	struct corr_entry *e;
	__u32 i;

	if (c->free.head == NIL)
		evict_one(c);
	i = c->free.head;
	lst_del(c, &c->free, i, LK_LIST);
	e = &c->ents[i];
	memset(&e->res, 0, sizeof(e->res));
	e->res.event = event;
	e->state = state;
	e->netns = netns;
	e->token = token;
	e->t_ns = t_ns;
	e->bucket = key_bucket(c, netns, event, token);
	lst_append(c, &c->buckets[e->bucket], i, LK_HASH);
	lst_append(c, &c->age, i, LK_LIST);
	if (++c->st.pending > c->st.pending_max)
		c->st.pending_max = c->st.pending;
	return i;
}

/* Hook and netlink event are paired at @now_ns: wait for the send record, or report. */
static void pair_done(struct correlator *c, __u32 i, __u64 now_ns)
{
	struct corr_entry *e = &c->ents[i];

	if (e->res.have_send) {
		report(c, i, CORR_DELIVERED);
		return;
	}
	lst_del(c, &c->age, i, LK_LIST);
	e->state = E_MATCHED;
	e->t_ns = now_ns;
	lst_append(c, &c->ready, i, LK_LIST);
}

/* Oldest netlink event this hook record may have produced. */
static __u32 find_nl(const struct correlator *c, const struct evlat_record *r)
{
	__u32 i = c->buckets[key_bucket(c, r->netns, r->event, r->token)].head;

	for (; i != NIL; i = c->ents[i].lk[LK_HASH].next) {
		const struct corr_entry *e = &c->ents[i];

		if (e->state == E_NL && key_eq(e, r->netns, r->event, r->token) &&
		    r->ktime_ns <= e->res.nl.recv_ns && fields_match(r, &e->res.nl))
			return i;
	}
	return NIL;
}

static void add_hook(struct correlator *c, const struct evlat_record *r, __u64 now_ns)
{
	__u32 i = find_nl(c, r);
	struct corr_entry *e;

	if (i == NIL) {
		i = ent_alloc(c, E_HOOK, r->netns, r->event, r->token, now_ns);
		e = &c->ents[i];
		e->res.hook = *r;
		e->res.have_hook = true;
		return;
	}
	e = &c->ents[i];
	e->res.hook = *r;
	e->res.have_hook = true;
	/*
	 * Send records follow hook records in ring order: move the entry behind
	 * the hook records that came before this one, so that a send record
	 * finds the oldest hook first.
	 */
	lst_del(c, &c->buckets[e->bucket], i, LK_HASH);
	lst_append(c, &c->buckets[e->bucket], i, LK_HASH);
	pair_done(c, i, now_ns);
}

/* The pending hook record (E_HOOK, or E_MATCHED with @matched) a send or no-listener record is for */
static __u32 find_hook(const struct correlator *c, const struct evlat_record *r, __u64 hook_ns,
		       bool matched)
{
	__u32 i = c->buckets[key_bucket(c, r->netns, r->event, r->token)].head, oldest = NIL;

	for (; i != NIL; i = c->ents[i].lk[LK_HASH].next) {
		const struct corr_entry *e = &c->ents[i];

		if ((e->state != E_HOOK && (!matched || e->state != E_MATCHED)) ||
		    e->res.have_send || !key_eq(e, r->netns, r->event, r->token) ||
		    e->res.hook.ktime_ns > r->ktime_ns)
			continue;
		if (hook_ns && e->res.hook.ktime_ns == hook_ns)
			return i; /* the BPF side saw which hook it was */
		if (oldest == NIL)
			oldest = i;
	}
	return oldest;
}

static void add_send(struct correlator *c, const struct evlat_record *r)
{
	__u32 i = find_hook(c, r, r->msg.hook_ns, true);
	struct corr_entry *e;

	if (i == NIL) {
		c->st.orphan_send++;
		return;
	}
	e = &c->ents[i];
	e->res.have_send = true;
	e->res.send_ns = r->ktime_ns;
	e->res.bcast = r->msg.bcast;
	if (e->state == E_MATCHED)
		report(c, i, CORR_DELIVERED);
	else if (c->opts.no_nl)
		report(c, i, CORR_SENT);
}

/* The hook's sender found no subscriber anywhere: no message, no send record will come */
static void add_nolistener(struct correlator *c, const struct evlat_record *r)
{
	__u32 i = find_hook(c, r, r->msg.hook_ns, false);

	if (i == NIL || c->ents[i].res.hook.ktime_ns != r->msg.hook_ns)
		return;
	c->ents[i].res.no_listener = true;
	report(c, i, CORR_NOT_DELIVERED);
}

void corr_add_record(struct correlator *c, const struct evlat_record *r, __u64 now_ns)
{
	switch (r->kind) {
	case EVLAT_K_EVENT:
	case EVLAT_K_ANNOUNCED:
	case EVLAT_K_REMOVED:
	case EVLAT_K_LISTENER:
		add_hook(c, r, now_ns);
		break;
	case EVLAT_K_SEND:
		add_send(c, r);
		break;
	case EVLAT_K_NOLISTENER:
		add_nolistener(c, r);
		break;
	default:
		break; /* CLOSE_SSK tells no event apart; unknown kinds are not ours */
	}
}

void corr_add_nl(struct correlator *c, const struct nl_event *ev, __u32 netns)
{
	__u32 token = ev->present & NLE_TOKEN ? ev->token : 0;
	__u32 i = c->buckets[key_bucket(c, netns, ev->type, token)].head;
	struct corr_entry *e;

	for (; i != NIL; i = c->ents[i].lk[LK_HASH].next) {
		e = &c->ents[i];
		if (e->state == E_HOOK && key_eq(e, netns, ev->type, token) &&
		    e->res.hook.ktime_ns <= ev->recv_ns && fields_match(&e->res.hook, ev))
			break;
	}
	if (i == NIL)
		i = ent_alloc(c, E_NL, netns, ev->type, token, ev->recv_ns);
	e = &c->ents[i];
	e->res.nl = *ev;
	e->res.have_nl = true;
	if (e->state == E_HOOK)
		pair_done(c, i, ev->recv_ns);
}

/*
 * Report the pairs that have waited send_wait_ns for their send record (all
 * of them with @all). The ready list is in pairing order.
 */
static void drain_ready(struct correlator *c, __u64 now_ns, bool all)
{
	while (c->ready.head != NIL) {
		__u64 t = c->ents[c->ready.head].t_ns;

		if (!all && c->opts.send_wait_ns &&
		    (now_ns <= t || now_ns - t < c->opts.send_wait_ns))
			break;
		report(c, c->ready.head, CORR_DELIVERED);
	}
}

/*
 * The entry of the other side that entry @i may still be paired with (the
 * identity rule in correlate.h): same key, at most one identifying field
 * differing, the fewest first, then the oldest. *@differs gets the fields.
 */
static __u32 find_loose(const struct correlator *c, __u32 i, unsigned int *differs)
{
	const struct corr_entry *e = &c->ents[i];
	__u8 other = e->state == E_HOOK ? E_NL : E_HOOK;
	__u32 j = c->buckets[e->bucket].head, best = NIL;
	int best_n = 2;

	for (; j != NIL; j = c->ents[j].lk[LK_HASH].next) {
		const struct corr_entry *o = &c->ents[j];
		const struct corr_entry *h = other == E_HOOK ? o : e, *n = other == E_HOOK ? e : o;
		unsigned int d;
		int nd;

		if (o->state != other || !key_eq(o, e->netns, e->res.event, e->token) ||
		    h->res.hook.ktime_ns > n->res.nl.recv_ns)
			continue;
		d = fields_differ(&h->res.hook, &n->res.nl, NULL);
		nd = __builtin_popcount(d);
		if (nd < best_n) {
			best = j;
			best_n = nd;
			*differs = d;
		}
	}
	return best;
}

/* Pair hook entry @h with netlink entry @n, one field apart: @n's event moves into @h. */
static void pair_loose(struct correlator *c, __u32 h, __u32 n, unsigned int differs, __u64 now_ns,
		       bool flush)
{
	struct corr_entry *e = &c->ents[h];

	e->res.nl = c->ents[n].res.nl;
	e->res.have_nl = true;
	e->res.differs = differs;
	ent_release(c, n);
	c->st.loose++;
	if (flush)
		report(c, h, CORR_DELIVERED);
	else
		pair_done(c, h, now_ns);
}

static void report_expired(struct correlator *c, __u32 i, __u64 now_ns, bool flush)
{
	unsigned int differs = 0;
	__u32 j = find_loose(c, i, &differs);

	if (j != NIL && c->ents[i].state == E_HOOK)
		pair_loose(c, i, j, differs, now_ns, flush);
	else if (j != NIL)
		pair_loose(c, j, i, differs, now_ns, flush);
	else
		report(c, i, c->ents[i].state == E_HOOK ? CORR_NOT_DELIVERED : CORR_UNMATCHED_NL);
}

/*
 * The age list is in arrival order; arrival times come from two clocks read
 * at slightly different moments (now_ns, recv_ns), so an entry may be a bit
 * older than the one before it: it then expires one call late, never early.
 */
void corr_expire(struct correlator *c, __u64 now_ns)
{
	drain_ready(c, now_ns, false);
	while (c->age.head != NIL) {
		__u64 t = c->ents[c->age.head].t_ns;

		if (now_ns <= t || now_ns - t <= c->opts.timeout_ns)
			break;
		report_expired(c, c->age.head, now_ns, false);
	}
}

void corr_flush(struct correlator *c)
{
	drain_ready(c, 0, true);
	while (c->age.head != NIL)
		report_expired(c, c->age.head, 0, true);
}

void corr_get_stats(const struct correlator *c, struct corr_stats *st)
{
	*st = c->st;
}

static void corr_init_lists(struct correlator *c, __u32 nbuckets)
{
	__u32 i;

	for (i = 0; i < nbuckets; i++)
		c->buckets[i] = (struct corr_list){ NIL, NIL };
	c->free = c->age = c->ready = (struct corr_list){ NIL, NIL };
	for (i = 0; i < c->opts.capacity; i++)
		lst_append(c, &c->free, i, LK_LIST);
}

struct correlator *corr_new(const struct corr_opts *opts)
{
	struct correlator *c;
	__u32 nbuckets = 16;

	if (opts->capacity > CORR_MAX_CAPACITY) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->opts = *opts;
	if (!c->opts.capacity)
		c->opts.capacity = CORR_DEFAULT_CAPACITY;
	if (!c->opts.timeout_ns)
		c->opts.timeout_ns = CORR_DEFAULT_TIMEOUT_NS;
	/* about one entry per bucket: chains stay short unless keys repeat */
	while (nbuckets < c->opts.capacity)
		nbuckets <<= 1;
	c->bucket_mask = nbuckets - 1;
	c->ents = calloc(c->opts.capacity, sizeof(*c->ents));
	c->buckets = calloc(nbuckets, sizeof(*c->buckets));
	if (!c->ents || !c->buckets) {
		corr_free(c);
		errno = ENOMEM;
		return NULL;
	}
	corr_init_lists(c, nbuckets);
	return c;
}

void corr_free(struct correlator *c)
{
	if (!c)
		return;
	free(c->ents);
	free(c->buckets);
	free(c);
}
