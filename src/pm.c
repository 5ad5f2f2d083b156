// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The path manager's commands (pm.h). Everything is kept in fixed tables: the
 * recent reads per (socket or process, connection), the recent kernel events
 * (an effect can be recorded before its command: SUBFLOW_DESTROY closes the
 * subflow inside the call, whose record is written at its return), the
 * connections' first subflows (to find a connection's peer), and the
 * commands waiting for their effect or held for their trigger (pm.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "pm.h"
#include "util.h"

#define READ_SLOTS 4096 /* (reader, connection) pairs, direct-mapped */
#define READ_HIST  4	/* the last reads of each: the trigger is the last before the command */
#define EVENTS	   4096 /* recent kernel events: a ring */
#define CONNS	   1024 /* recent connections' first subflows: a ring */
#define EINTR_ERR  (-4) /* -EINTR: genl_rcv_msg()'s "dump started" */

#define PM_ADDR_FLAG_BACKUP 4 /* MPTCP_PM_ADDR_FLAG_BACKUP */

struct last_read {
	__u64 read_ns, hook_ns;
	__u8 event;
};

/* The reads of one reader (a socket, or a process) of one connection */
struct read_slot {
	__u32 id, netns, token;
	bool by_pid, used;
	unsigned int n; /* reads recorded, the last READ_HIST of them kept */
	struct last_read r[READ_HIST];
};

/* A kernel event, as a command's effect is matched against it */
struct pm_ev {
	__u64 time_ns;
	__u32 netns, token;
	__u8 type, rem_id, backup;
	bool claimed;
	__u16 sport, dport;
	__u8 saddr[4], daddr[4];
};

/* A connection's first subflow, from its CREATED: the peer has it reversed */
struct pm_conn {
	__u32 netns, token;
	__u16 sport, dport;
	__u8 saddr[4], daddr[4];
};

/* A command not finished yet: its effect is due, or a read that may be its trigger is */
struct pm_wait {
	struct pm_command c;
	bool effect_done; /* its effect was found, or none was due */
	bool hold;	  /* a message of its connection queued to its reader is pending */
};

struct pm {
	struct pm_opts o;
	struct read_slot reads[READ_SLOTS];
	struct pm_ev ev[EVENTS];
	unsigned int ev_next, ev_len;
	struct pm_conn conns[CONNS];
	unsigned int conn_next;
	struct pm_wait *wait; /* commands not finished, oldest first */
	unsigned int nwait;
};

/* ---- names ----------------------------------------------------------------------- */

const char *pm_cmd_name(unsigned int cmd)
{
	static const char *const names[EVLAT_CMD_TYPES] = {
		[EVLAT_CMD_ADD_ADDR] = "add_addr",
		[EVLAT_CMD_DEL_ADDR] = "del_addr",
		[EVLAT_CMD_GET_ADDR] = "get_addr",
		[EVLAT_CMD_FLUSH_ADDRS] = "flush_addrs",
		[EVLAT_CMD_SET_LIMITS] = "set_limits",
		[EVLAT_CMD_GET_LIMITS] = "get_limits",
		[EVLAT_CMD_SET_FLAGS] = "set_flags",
		[EVLAT_CMD_ANNOUNCE] = "announce",
		[EVLAT_CMD_REMOVE] = "remove",
		[EVLAT_CMD_SUBFLOW_CREATE] = "subflow_create",
		[EVLAT_CMD_SUBFLOW_DESTROY] = "subflow_destroy",
	};

	return cmd < EVLAT_CMD_TYPES ? names[cmd] : NULL;
}

const char *pm_result_name(unsigned int r)
{
	static const char *const names[PMR_MAX] = { "ok", "error", "dump" };

	return r < PMR_MAX ? names[r] : "?";
}

const char *pm_effect_name(unsigned int e)
{
	static const char *const names[PME_MAX] = { "seen", "none", "no_peer", "not_expected" };

	return e < PME_MAX ? names[e] : "?";
}

const char *pm_stage_name(unsigned int s)
{
	static const char *const names[PMS_MAX] = { "reaction", "end_to_end", "effect" };

	return s < PMS_MAX ? names[s] : "?";
}

/* ---- reads: the triggers --------------------------------------------------------- */

static struct read_slot *read_slot(struct pm *pm, bool by_pid, __u32 id, __u32 netns, __u32 token)
{
	__u64 h = ((__u64)id << 32 | token) * 0x9e3779b97f4a7c15ULL ^ netns ^ by_pid;

	return &pm->reads[(h >> 40) % READ_SLOTS];
}

static void read_add(struct pm *pm, bool by_pid, __u32 id, const struct consumer_read *rd,
		     const struct last_read *lr)
{
	struct read_slot *s = read_slot(pm, by_pid, id, rd->netns, rd->token);

	/* a collision replaces the older pair: its next command finds no trigger, never a wrong one */
	if (!s->used || s->id != id || s->netns != rd->netns || s->token != rd->token ||
	    s->by_pid != by_pid)
		*s = (struct read_slot){ .id = id,
					 .netns = rd->netns,
					 .token = rd->token,
					 .by_pid = by_pid,
					 .used = true };
	s->r[s->n++ % READ_HIST] = *lr;
}

/* Every read we saw, its queueing recorded or not (a missed queued probe loses no trigger) */
void pm_add_read(struct pm *pm, const struct consumer_read *rd)
{
	struct last_read lr = { .event = rd->event, .read_ns = rd->read_ns };

	if (!rd->c || !rd->read_ns)
		return;
	if (rd->hook_ns <= rd->read_ns)
		lr.hook_ns = rd->hook_ns;
	if (rd->c->ino)
		read_add(pm, false, rd->c->ino, rd, &lr);
	if (rd->c->pid)
		read_add(pm, true, rd->c->pid, rd, &lr);
}

/* The last read of (reader, connection) at or before @t, or NULL */
static const struct last_read *read_before(struct pm *pm, bool by_pid, __u32 id, __u32 netns,
					   __u32 token, __u64 t)
{
	const struct read_slot *s = read_slot(pm, by_pid, id, netns, token);
	const struct last_read *best = NULL;
	unsigned int n = s->n < READ_HIST ? s->n : READ_HIST;

	if (!s->used || s->id != id || s->netns != netns || s->token != token ||
	    s->by_pid != by_pid)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		const struct last_read *r = &s->r[i];

		if (r->read_ns <= t && (!best || r->read_ns > best->read_ns))
			best = r;
	}
	return best;
}

/* The same socket first (mptcpd reads and commands on one), else the same process */
static void find_trigger(struct pm *pm, struct pm_command *c)
{
	const struct last_read *r = NULL;

	if (!c->have_token)
		return;
	if (c->ino)
		r = read_before(pm, false, c->ino, c->netns, c->token, c->time_ns);
	if (!r && c->pid)
		r = read_before(pm, true, c->pid, c->netns, c->token, c->time_ns);
	if (!r)
		return;
	c->trigger_lost = false;
	c->have_trigger = true;
	c->trigger_event = r->event;
	c->trigger_read_ns = r->read_ns;
	c->trigger_hook_ns = r->hook_ns;
	c->have_stage[PMS_REACTION] = true;
	c->stage_ns[PMS_REACTION] = c->time_ns - r->read_ns;
	if (r->hook_ns && r->hook_ns <= c->time_ns) {
		c->have_stage[PMS_E2E] = true;
		c->stage_ns[PMS_E2E] = c->time_ns - r->hook_ns;
	}
}

/* A read that may be @c's trigger was not recorded: no trigger, rather than an older one */
static void lose_trigger(struct pm_command *c)
{
	c->have_trigger = false;
	c->trigger_lost = true;
	c->trigger_event = 0;
	c->trigger_read_ns = c->trigger_hook_ns = 0;
	c->have_stage[PMS_REACTION] = c->have_stage[PMS_E2E] = false;
	c->stage_ns[PMS_REACTION] = c->stage_ns[PMS_E2E] = 0;
}

/* Whether a message of @c's connection queued to its reader before it is still pending */
static bool trigger_pending(const struct pm *pm, const struct pm_command *c)
{
	return pm->o.cons && c->have_token &&
	       consumers_unread_before(pm->o.cons, c->pid, c->ino, c->netns, c->token, c->time_ns);
}

/* Whether @d is a delivery a held @c waits for: its connection's, to its reader, before it */
static bool held_by(const struct pm_command *c, const struct delivery *d)
{
	return d->c && d->have_token && d->token == c->token && d->netns == c->netns &&
	       d->time_ns < c->time_ns &&
	       ((c->pid && d->c->pid == c->pid) || (c->ino && d->c->ino == c->ino));
}

/* ---- events and connections ------------------------------------------------------- */

/* An event's address as a command carries it: IPv4 (also IPv4-mapped), or IPv6 folded */
static void fold(const struct evlat_record *r, const __u8 a[16], __u8 out[4])
{
	__u32 w[4], v;

	if (r->family == AF_INET6 && !addr_is_v4mapped(a)) {
		memcpy(w, a, sizeof(w));
		v = w[0] ^ w[1] ^ w[2] ^ w[3];
		memcpy(out, &v, sizeof(v));
	} else {
		memcpy(out, r->family == AF_INET6 ? a + 12 : a, 4);
	}
}

static bool hook_kind(unsigned int kind)
{
	return kind == EVLAT_K_EVENT || kind == EVLAT_K_ANNOUNCED || kind == EVLAT_K_REMOVED;
}

static void conn_add(struct pm *pm, const struct pm_ev *e)
{
	struct pm_conn *c = &pm->conns[pm->conn_next++ % CONNS];

	*c = (struct pm_conn){
		.netns = e->netns, .token = e->token, .sport = e->sport, .dport = e->dport
	};
	memcpy(c->saddr, e->saddr, 4);
	memcpy(c->daddr, e->daddr, 4);
}

static const struct pm_conn *conn_find(const struct pm *pm, __u32 netns, __u32 token)
{
	for (unsigned int i = 0; i < CONNS; i++)
		if (pm->conns[i].token == token && pm->conns[i].netns == netns && token)
			return &pm->conns[i];
	return NULL;
}

/* The other end of a connection: a connection of another namespace on the reversed subflow */
static const struct pm_conn *conn_peer(const struct pm *pm, __u32 netns, __u32 token)
{
	const struct pm_conn *me = conn_find(pm, netns, token);

	for (unsigned int i = 0; me && i < CONNS; i++) {
		const struct pm_conn *p = &pm->conns[i];

		if (p->token && p->netns != netns && p->sport == me->dport &&
		    p->dport == me->sport && !memcmp(p->saddr, me->daddr, 4) &&
		    !memcmp(p->daddr, me->saddr, 4))
			return p;
	}
	return NULL;
}

/* ---- effects ---------------------------------------------------------------------- */

static bool subflow_is(const struct pm_command *c, const struct pm_ev *e)
{
	return e->netns == c->netns && e->token == c->token &&
	       !memcmp(e->saddr, c->local.addr, 4) && !memcmp(e->daddr, c->remote.addr, 4) &&
	       (!c->local.port || e->sport == c->local.port) &&
	       (!c->remote.port || e->dport == c->remote.port);
}

/* The peer's own view of the command's subflow: its addresses the other way round */
static bool peer_subflow_is(const struct pm_command *c, const struct pm_ev *e)
{
	return !memcmp(e->saddr, c->remote.addr, 4) && !memcmp(e->daddr, c->local.addr, 4) &&
	       (!c->remote.port || e->sport == c->remote.port) &&
	       (!c->local.port || e->dport == c->local.port);
}

/* Whether the command's effect is at the peer */
static bool peer_effect(const struct pm_command *c)
{
	return c->cmd == EVLAT_CMD_ANNOUNCE || c->cmd == EVLAT_CMD_REMOVE ||
	       c->cmd == EVLAT_CMD_SET_FLAGS;
}

static bool effect_due(const struct pm_command *c)
{
	if (c->result != PMR_OK || !c->have_token)
		return false;
	return peer_effect(c) || c->cmd == EVLAT_CMD_SUBFLOW_CREATE ||
	       c->cmd == EVLAT_CMD_SUBFLOW_DESTROY;
}

static bool peer_match(const struct pm_command *c, const struct pm_ev *e,
		       const struct pm_conn *peer)
{
	if (!peer || e->netns != peer->netns || e->token != peer->token)
		return false;
	switch (c->cmd) {
	case EVLAT_CMD_ANNOUNCE:
		return e->type == EVLAT_EV_ANNOUNCED && e->rem_id == c->local.id;
	case EVLAT_CMD_REMOVE:
		return e->type == EVLAT_EV_REMOVED && e->rem_id == c->local.id;
	case EVLAT_CMD_SET_FLAGS:
		return e->type == EVLAT_EV_SUB_PRIORITY && peer_subflow_is(c, e) &&
		       e->backup == !!(c->addr_flags & PM_ADDR_FLAG_BACKUP);
	}
	return false;
}

/* Whether @e is @c's effect: at or after the call, of its connection (or the peer's) */
static bool effect_match(const struct pm *pm, const struct pm_command *c, const struct pm_ev *e)
{
	if (e->claimed || e->time_ns < c->time_ns)
		return false;
	switch (c->cmd) {
	case EVLAT_CMD_SUBFLOW_CREATE:
		return (e->type == EVLAT_EV_SUB_ESTABLISHED || e->type == EVLAT_EV_SUB_CLOSED) &&
		       subflow_is(c, e);
	case EVLAT_CMD_SUBFLOW_DESTROY:
		return e->type == EVLAT_EV_SUB_CLOSED && subflow_is(c, e);
	}
	return peer_match(c, e, conn_peer(pm, c->netns, c->token));
}

static void effect_set(struct pm_command *c, struct pm_ev *e)
{
	e->claimed = true;
	c->effect = PME_SEEN;
	c->effect_event = e->type;
	c->effect_netns = e->netns;
	c->effect_token = e->token;
	c->effect_ns = e->time_ns;
	c->effect_peer = e->netns != c->netns;
	c->effect_inside = e->time_ns < c->end_ns;
	c->have_stage[PMS_EFFECT] = true;
	c->stage_ns[PMS_EFFECT] = e->time_ns - c->time_ns;
}

/* An event recorded before the command's own record (inside its call, or on another CPU) */
static bool effect_in_past(struct pm *pm, struct pm_command *c)
{
	for (unsigned int i = 0; i < pm->ev_len; i++) {
		struct pm_ev *e = &pm->ev[(pm->ev_next + EVENTS - pm->ev_len + i) % EVENTS];

		if (effect_match(pm, c, e)) {
			effect_set(c, e);
			return true;
		}
	}
	return false;
}

static void finish(struct pm *pm, const struct pm_command *c)
{
	if (pm->o.cb)
		pm->o.cb(pm->o.ctx, c);
}

/* Waiting command @i is done: reported, and taken off the list */
static void wait_done(struct pm *pm, unsigned int i)
{
	finish(pm, &pm->wait[i].c);
	memmove(&pm->wait[i], &pm->wait[i + 1], (pm->nwait - i - 1) * sizeof(*pm->wait));
	pm->nwait--;
}

/*
 * Its time is up: no effect in time is none (or no_peer, when it would be the
 * peer's and the peer is unknown); a held trigger stays the one found.
 */
static void wait_expire(struct pm *pm, unsigned int i)
{
	struct pm_command *c = &pm->wait[i].c;

	if (!pm->wait[i].effect_done)
		c->effect = peer_effect(c) && !conn_peer(pm, c->netns, c->token) ? PME_NO_PEER
										 : PME_NONE;
	wait_done(pm, i);
}

static void wait_add(struct pm *pm, const struct pm_wait *w)
{
	if (pm->nwait == pm->o.capacity)
		wait_expire(pm, 0);
	pm->wait[pm->nwait++] = *w;
}

void pm_add_delivery(struct pm *pm, const struct delivery *d)
{
	unsigned int i = 0;

	while (i < pm->nwait) {
		struct pm_wait *w = &pm->wait[i];

		if (w->hold && held_by(&w->c, d)) {
			/* read, its read unrecorded: before or after the command, nobody knows */
			if (d->status == DS_READ && !d->have_stage[DST_READ])
				lose_trigger(&w->c);
			w->hold = trigger_pending(pm, &w->c);
			if (!w->hold && !w->c.trigger_lost)
				find_trigger(pm, &w->c); /* a read recorded since, of before it */
		}
		if (!w->hold && w->effect_done)
			wait_done(pm, i);
		else
			i++;
	}
}

static void ev_add(struct pm *pm, const struct pm_ev *e)
{
	struct pm_ev *slot = &pm->ev[pm->ev_next++ % EVENTS];

	*slot = *e;
	if (pm->ev_len < EVENTS)
		pm->ev_len++;
	for (unsigned int i = 0; i < pm->nwait; i++) {
		struct pm_wait *w = &pm->wait[i];

		if (!w->effect_done && effect_match(pm, &w->c, slot)) {
			effect_set(&w->c, slot);
			w->effect_done = true;
			if (!w->hold)
				wait_done(pm, i);
			return;
		}
	}
}

static void on_hook(struct pm *pm, const struct evlat_record *r)
{
	struct pm_ev e = {
		.time_ns = r->ktime_ns,
		.netns = r->netns,
		.token = r->token,
		.type = r->event,
		.rem_id = r->rem_id,
		.backup = r->backup || (r->flags & EVLAT_F_REQUEST_BKUP),
		.sport = r->sport,
		.dport = r->dport,
	};

	fold(r, r->saddr, e.saddr);
	fold(r, r->daddr, e.daddr);
	if (r->event == EVLAT_EV_CREATED)
		conn_add(pm, &e);
	ev_add(pm, &e);
}

/* ---- commands --------------------------------------------------------------------- */

static void cmd_from_record(const struct evlat_record *r, struct pm_command *c)
{
	const struct evlat_cmd *k = &r->cmd;

	memset(c, 0, sizeof(*c));
	c->cmd = r->event;
	c->err = k->err;
	c->result = !k->err						   ? PMR_OK
		    : k->err == EINTR_ERR && (r->flags & EVLAT_F_CMD_DUMP) ? PMR_DUMP
									   : PMR_ERROR;
	c->have_token = r->flags & EVLAT_F_CMD_TOKEN;
	c->token = r->token;
	c->netns = r->netns;
	c->pid = r->pid;
	c->ino = k->ino;
	c->seq = k->seq;
	memcpy(c->comm, k->comm, sizeof(c->comm));
	c->comm[sizeof(c->comm) - 1] = '\0';
	c->end_ns = r->ktime_ns;
	c->time_ns = k->start_ns && k->start_ns <= r->ktime_ns ? k->start_ns : r->ktime_ns;
	c->local = (struct pm_addr){ .family = r->family, .id = r->loc_id, .port = r->sport };
	memcpy(c->local.addr, k->saddr, 4);
	c->have_remote = r->flags & EVLAT_F_CMD_REMOTE;
	c->remote = (struct pm_addr){ .family = r->family, .id = r->rem_id, .port = r->dport };
	memcpy(c->remote.addr, k->daddr, 4);
	c->addr_flags = k->addr_flags;
}

static void on_cmd(struct pm *pm, const struct evlat_record *r)
{
	struct pm_wait w = { 0 };

	cmd_from_record(r, &w.c);
	find_trigger(pm, &w.c);
	w.hold = trigger_pending(pm, &w.c);
	if (!effect_due(&w.c)) {
		w.c.effect = PME_NOT_EXPECTED;
		w.effect_done = true;
	} else {
		w.effect_done = effect_in_past(pm, &w.c);
	}
	if (w.effect_done && !w.hold)
		finish(pm, &w.c);
	else
		wait_add(pm, &w);
}

void pm_add_record(struct pm *pm, const struct evlat_record *r)
{
	if (r->kind == EVLAT_K_CMD)
		on_cmd(pm, r);
	else if (hook_kind(r->kind))
		on_hook(pm, r);
}

void pm_expire(struct pm *pm, __u64 now_ns)
{
	while (pm->nwait && pm->wait[0].c.end_ns + pm->o.timeout_ns <= now_ns)
		wait_expire(pm, 0);
}

void pm_flush(struct pm *pm)
{
	while (pm->nwait)
		wait_expire(pm, 0);
}

struct pm *pm_new(const struct pm_opts *o)
{
	struct pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pm->o = *o;
	if (!pm->o.capacity)
		pm->o.capacity = 1024;
	pm->wait = calloc(pm->o.capacity, sizeof(*pm->wait));
	if (!pm->wait) {
		free(pm);
		errno = ENOMEM;
		return NULL;
	}
	return pm;
}

void pm_free(struct pm *pm)
{
	if (!pm)
		return;
	free(pm->wait);
	free(pm);
}
