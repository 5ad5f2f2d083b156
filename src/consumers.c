// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The consumers' deliveries (consumers.h). Pending deliveries are
 * preallocated entries, each on its hash chain (socket, sk_buff) and on one
 * age list, oldest first: a full table makes room by reporting the oldest as
 * unread. Consumers are few (the path manager, a monitor, ours): a list.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consumers.h"

#define NIL	    UINT32_MAX
#define BCASTS	    4096 /* recent broadcasts whose send and hook times are kept */
#define OWN_FIFO    4096 /* messages queued into our socket and not yet received */
#define OWN_OWED    64	 /* events of ours received before their queued record came */
#define ENOBUFS_ERR (-105)

struct pend {
	struct consumer *c;
	__u64 sock, skb, bcast;
	__u64 queued_ns, send_ns, hook_ns;
	__u32 token, netns;
	__u8 event;
	bool used;
	__u32 hnext;	  /* hash chain */
	__u32 prev, next; /* age list, or the free list (next) */
};

struct bcast {
	__u64 id, send_ns, hook_ns;
};

struct own_msg {
	__u64 queued_ns; /* or, owed: when we received it */
	__u32 token;
	__u8 event;
};

struct consumers {
	struct consumers_opts o;
	struct consumer **cons;
	unsigned int ncons, capcons;
	struct pend *p;
	__u32 *buckets, mask, free_head, age_head, age_tail;
	struct bcast bc[BCASTS];
	struct own_msg own[OWN_FIFO];
	unsigned int own_first, own_len;
	struct own_msg owed[OWN_OWED]; /* oldest first */
	unsigned int nowed;
	struct consumers_stats st;
};

/* ---- consumers ----------------------------------------------------------------- */

static struct consumer *find_consumer(struct consumers *cs, __u64 sock)
{
	/* the newest first: a socket address reused after a close names the new socket */
	for (unsigned int i = cs->ncons; i-- > 0;)
		if (cs->cons[i]->sock == sock && !cs->cons[i]->gone)
			return cs->cons[i];
	return NULL;
}

static struct consumer *add_consumer(struct consumers *cs, __u64 sock, __u32 ino, __u32 portid,
				     __u32 netns)
{
	struct consumer *c;

	if (cs->ncons == cs->capcons) {
		unsigned int cap = cs->capcons ? cs->capcons * 2 : 8;
		struct consumer **n = realloc(cs->cons, cap * sizeof(*n));

		if (!n)
			return NULL;
		cs->cons = n;
		cs->capcons = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->sock = sock;
	c->ino = ino;
	c->portid = portid;
	c->netns = netns;
	c->ours = ino && ino == cs->o.own_ino;
	c->seq = cs->ncons;
	cs->cons[cs->ncons++] = c;
	cs->st.consumers = cs->ncons;
	return c;
}

static void close_consumer(struct consumers *cs, struct consumer *c);

/* The consumer a record's socket is: known, or new (an old one at that address is gone). */
static struct consumer *get_consumer(struct consumers *cs, __u64 sock, __u32 ino, __u32 portid,
				     __u32 netns)
{
	struct consumer *c = find_consumer(cs, sock);

	if (c && c->ino == ino)
		return c;
	if (c)
		close_consumer(cs, c);
	return add_consumer(cs, sock, ino, portid, netns);
}

/* ---- pending deliveries --------------------------------------------------------- */

static __u32 bucket(const struct consumers *cs, __u64 sock, __u64 skb)
{
	return (__u32)(((sock ^ (skb * 0x9e3779b97f4a7c15ULL)) * 0x9e3779b97f4a7c15ULL) >> 32) &
	       cs->mask;
}

static void age_del(struct consumers *cs, __u32 i)
{
	struct pend *e = &cs->p[i];

	if (e->prev != NIL)
		cs->p[e->prev].next = e->next;
	else
		cs->age_head = e->next;
	if (e->next != NIL)
		cs->p[e->next].prev = e->prev;
	else
		cs->age_tail = e->prev;
}

static void hash_del(struct consumers *cs, __u32 i)
{
	__u32 *pp = &cs->buckets[bucket(cs, cs->p[i].sock, cs->p[i].skb)];

	while (*pp != NIL && *pp != i)
		pp = &cs->p[*pp].hnext;
	if (*pp == i)
		*pp = cs->p[i].hnext;
}

static void pend_free(struct consumers *cs, __u32 i)
{
	hash_del(cs, i);
	age_del(cs, i);
	cs->p[i].used = false;
	cs->p[i].next = cs->free_head;
	cs->free_head = i;
	cs->st.pending--;
}

/* LISTENER_* events carry no token */
static bool listener_event(__u8 event)
{
	return event == EVLAT_EV_LISTENER_CREATED || event == EVLAT_EV_LISTENER_CLOSED;
}

static void stage(struct delivery *d, enum delivery_stage s, __u64 from, __u64 to)
{
	if (!from || !to || to < from)
		return;
	d->have_stage[s] = true;
	d->stage_ns[s] = to - from;
}

/* Report pending delivery @i as @status (read at @read_ns), and free it. */
static void finish(struct consumers *cs, __u32 i, enum delivery_status status, __u64 read_ns)
{
	const struct pend *e = &cs->p[i];
	struct delivery d = {
		.c = e->c,
		.status = status,
		.event = e->event,
		.have_token = !listener_event(e->event),
		.token = e->token,
		.netns = e->netns,
		.time_ns = e->queued_ns,
		.bcast = e->bcast,
	};

	stage(&d, DST_QUEUE, e->send_ns, e->queued_ns);
	if (status == DS_READ) {
		stage(&d, DST_READ, e->queued_ns, read_ns);
		stage(&d, DST_TOTAL, e->hook_ns, read_ns);
	}
	/* freed first: the callback sees it finished (consumers_unread_before()) */
	pend_free(cs, i);
	if (cs->o.cb)
		cs->o.cb(cs->o.ctx, &d);
}

static __u32 pend_alloc(struct consumers *cs)
{
	__u32 i;

	if (cs->free_head == NIL) {
		cs->st.evicted++;
		finish(cs, cs->age_head, DS_UNREAD, 0);
	}
	i = cs->free_head;
	cs->free_head = cs->p[i].next;
	memset(&cs->p[i], 0, sizeof(cs->p[i]));
	cs->p[i].used = true;
	cs->p[i].prev = cs->age_tail;
	cs->p[i].next = NIL;
	if (cs->age_tail != NIL)
		cs->p[cs->age_tail].next = i;
	else
		cs->age_head = i;
	cs->age_tail = i;
	if (++cs->st.pending > cs->st.pending_max)
		cs->st.pending_max = cs->st.pending;
	return i;
}

static __u32 pend_find(const struct consumers *cs, __u64 sock, __u64 skb)
{
	__u32 i = cs->buckets[bucket(cs, sock, skb)];

	while (i != NIL && (cs->p[i].sock != sock || cs->p[i].skb != skb))
		i = cs->p[i].hnext;
	return i;
}

/* Everything @c still held is unread; @c is gone. */
static void close_consumer(struct consumers *cs, struct consumer *c)
{
	__u32 i = cs->age_head;

	c->gone = true;
	while (i != NIL) {
		__u32 next = cs->p[i].next;

		if (cs->p[i].c == c)
			finish(cs, i, DS_UNREAD, 0);
		i = next;
	}
}

/* ---- records ------------------------------------------------------------------------ */

static const struct bcast *find_bcast(const struct consumers *cs, __u64 id)
{
	const struct bcast *b = &cs->bc[id % BCASTS];

	return id && b->id == id ? b : NULL;
}

static void owed_del(struct consumers *cs, unsigned int i)
{
	memmove(&cs->owed[i], &cs->owed[i + 1], (cs->nowed - i - 1) * sizeof(cs->owed[0]));
	cs->nowed--;
}

/*
 * Whether queued record @r is that of an event of ours already received
 * without it (consumers_own_owe()): then it is dropped, never taken for a
 * later message's. A record is reserved before its message is queued, so
 * before we receive it: once a record queued after such an event's receive
 * time comes, that event's record will not (a probe miss or a ring drop).
 */
static bool own_owed(struct consumers *cs, const struct evlat_record *r)
{
	unsigned int i = 0;

	while (i < cs->nowed) {
		const struct own_msg *o = &cs->owed[i];

		if (o->queued_ns < r->ktime_ns) {
			owed_del(cs, i);
			continue;
		}
		if (o->event == r->event && o->token == r->token) {
			owed_del(cs, i);
			cs->st.own_late++;
			return true;
		}
		i++;
	}
	return false;
}

static void own_push(struct consumers *cs, const struct evlat_record *r)
{
	struct own_msg *m;

	if (own_owed(cs, r))
		return;
	if (cs->own_len == OWN_FIFO) { /* never received: forget the oldest */
		cs->own_first = (cs->own_first + 1) % OWN_FIFO;
		cs->own_len--;
	}
	m = &cs->own[(cs->own_first + cs->own_len++) % OWN_FIFO];
	m->queued_ns = r->ktime_ns;
	m->token = r->token;
	m->event = r->event;
}

static void on_queued(struct consumers *cs, const struct evlat_record *r)
{
	const struct evlat_msg *m = &r->msg;
	struct consumer *c = get_consumer(cs, m->sock, m->ino, m->portid, r->netns);
	const struct bcast *b = find_bcast(cs, m->bcast);
	struct pend *e;
	__u32 i, h;

	if (!c)
		return;
	if (c->ours)
		own_push(cs, r);
	i = pend_alloc(cs);
	e = &cs->p[i];
	e->c = c;
	e->sock = m->sock;
	e->skb = m->skb;
	e->bcast = m->bcast;
	e->queued_ns = r->ktime_ns;
	e->send_ns = b ? b->send_ns : 0;
	e->hook_ns = b ? b->hook_ns : 0;
	e->token = r->token;
	e->netns = r->netns;
	e->event = r->event;
	h = bucket(cs, e->sock, e->skb);
	e->hnext = cs->buckets[h];
	cs->buckets[h] = i;
}

static void on_overrun(struct consumers *cs, const struct evlat_record *r)
{
	const struct evlat_msg *m = &r->msg;
	struct consumer *c = get_consumer(cs, m->sock, m->ino, m->portid, r->netns);
	const struct bcast *b = find_bcast(cs, m->bcast);
	struct delivery d = {
		.c = c,
		.status = DS_LOST_OVERRUN,
		.event = r->event,
		.have_token = !listener_event(r->event),
		.token = r->token,
		.netns = r->netns,
		.time_ns = r->ktime_ns,
		.bcast = m->bcast,
	};

	if (!c)
		return;
	c->no_enobufs = r->flags & EVLAT_F_NO_ENOBUFS;
	if (b)
		stage(&d, DST_QUEUE, b->send_ns, r->ktime_ns);
	if (cs->o.cb)
		cs->o.cb(cs->o.ctx, &d);
}

/*
 * A socket's queue is first in, first out: a message read means every
 * message queued before it to that socket was read too, even when we did not
 * see that read (a read already blocked in skb_recv_datagram() when the probe
 * was attached, or its record lost). Those are read, without a read time.
 */
static void read_older(struct consumers *cs, const struct consumer *c, __u32 upto)
{
	__u32 i = cs->age_head;

	while (i != NIL && i != upto) {
		__u32 next = cs->p[i].next;

		if (cs->p[i].c == c) {
			cs->st.unseen_reads++;
			finish(cs, i, DS_READ, 0);
		}
		i = next;
	}
}

static void on_read(struct consumers *cs, const struct evlat_record *r)
{
	const struct evlat_read *rd = &r->read;
	struct consumer *c = get_consumer(cs, rd->sock, rd->ino, rd->portid, r->netns);
	__u32 i;

	if (!c)
		return;
	c->pid = r->pid;
	memcpy(c->comm, rd->comm, sizeof(c->comm));
	c->comm[sizeof(c->comm) - 1] = '\0';
	if (rd->err == ENOBUFS_ERR) {
		c->enobufs++;
		return;
	}
	i = pend_find(cs, rd->sock, rd->skb);
	if (cs->o.read_cb && !listener_event(r->event)) {
		struct consumer_read cr = { .c = c,
					    .event = r->event,
					    .netns = r->netns,
					    .token = r->token,
					    .read_ns = r->ktime_ns,
					    .hook_ns = i == NIL ? 0 : cs->p[i].hook_ns };

		cs->o.read_cb(cs->o.ctx, &cr);
	}
	if (i == NIL) {
		cs->st.orphan_reads++;
		return;
	}
	read_older(cs, c, i);
	finish(cs, i, DS_READ, r->ktime_ns);
}

void consumers_add_record(struct consumers *cs, const struct evlat_record *r)
{
	struct consumer *c;

	switch (r->kind) {
	case EVLAT_K_SEND:
		if (r->msg.bcast)
			cs->bc[r->msg.bcast % BCASTS] =
				(struct bcast){ r->msg.bcast, r->ktime_ns, r->msg.hook_ns };
		break;
	case EVLAT_K_QUEUED:
		on_queued(cs, r);
		break;
	case EVLAT_K_OVERRUN:
		on_overrun(cs, r);
		break;
	case EVLAT_K_READ:
		on_read(cs, r);
		break;
	case EVLAT_K_GONE:
		c = find_consumer(cs, r->msg.sock);
		if (c)
			close_consumer(cs, c);
		break;
	default:
		break;
	}
}

__u64 consumers_own_queued(struct consumers *cs, __u8 type, __u32 token, __u64 recv_ns)
{
	const struct own_msg *m = &cs->own[cs->own_first];

	if (!cs->own_len || m->event != type || m->token != token || m->queued_ns > recv_ns)
		return 0;
	cs->own_first = (cs->own_first + 1) % OWN_FIFO;
	cs->own_len--;
	return m->queued_ns;
}

void consumers_own_owe(struct consumers *cs, __u8 type, __u32 token, __u64 recv_ns)
{
	if (cs->nowed == OWN_OWED)
		owed_del(cs, 0);
	cs->owed[cs->nowed++] =
		(struct own_msg){ .queued_ns = recv_ns, .token = token, .event = type };
}

bool consumers_unread_before(const struct consumers *cs, __u32 pid, __u32 ino, __u32 netns,
			     __u32 token, __u64 t)
{
	for (__u32 i = cs->age_head; i != NIL; i = cs->p[i].next) {
		const struct pend *e = &cs->p[i];

		if (e->netns == netns && e->token == token && !listener_event(e->event) &&
		    e->queued_ns < t && ((pid && e->c->pid == pid) || (ino && e->c->ino == ino)))
			return true;
	}
	return false;
}

void consumers_flush(struct consumers *cs)
{
	while (cs->age_head != NIL)
		finish(cs, cs->age_head, DS_UNREAD, 0);
}

void consumers_get_stats(const struct consumers *cs, struct consumers_stats *st)
{
	*st = cs->st;
}

struct consumers *consumers_new(const struct consumers_opts *o)
{
	struct consumers *cs = calloc(1, sizeof(*cs));
	__u32 n = 16;

	if (!cs)
		return NULL;
	cs->o = *o;
	if (!cs->o.capacity)
		cs->o.capacity = 16384;
	while (n < cs->o.capacity)
		n <<= 1;
	cs->mask = n - 1;
	cs->p = calloc(cs->o.capacity, sizeof(*cs->p));
	cs->buckets = malloc(n * sizeof(*cs->buckets));
	if (!cs->p || !cs->buckets) {
		consumers_free(cs);
		errno = ENOMEM;
		return NULL;
	}
	memset(cs->buckets, 0xff, n * sizeof(*cs->buckets));
	cs->age_head = cs->age_tail = NIL;
	for (__u32 i = 0; i < cs->o.capacity; i++)
		cs->p[i].next = i + 1 < cs->o.capacity ? i + 1 : NIL;
	cs->free_head = 0;
	return cs;
}

void consumers_free(struct consumers *cs)
{
	if (!cs)
		return;
	for (unsigned int i = 0; i < cs->ncons; i++)
		free(cs->cons[i]);
	free(cs->cons);
	free(cs->p);
	free(cs->buckets);
	free(cs);
}
