// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trafgen pm --scenario upm: trafgen is the client's userspace path manager
 * (the caller set net.mptcp.pm_type=1 there and gave the client's second link
 * a second address, 10.0.2.3). It reads the client's events on a socket of its
 * own, and answers them with the commands mptcpd 0.12 never sends, each after
 * reading every event queued so far (the last one of the connection is then
 * the command's trigger):
 *
 *   command (trigger)                       result        effect (side)
 *   SUBFLOW_CREATE 10.0.2.2 id 5            0             SUB_ESTABLISHED (client;
 *     -> 10.0.2.1:port (ESTABLISHED)                      the server's too)
 *   SET_FLAGS backup on it (SUB_ESTABLISHED) 0            SUB_PRIORITY (server)
 *   ANNOUNCE 10.0.2.2 id 5                  0             ANNOUNCED (server)
 *   REMOVE id 5                             0             REMOVED (server), whose PM
 *                                                         closes the join: SUB_CLOSED
 *                                                         both sides
 *   SUBFLOW_CREATE 10.0.2.3 id 6            0             SUB_CLOSED error 111 (client:
 *     -> 10.0.2.1:5999, nobody listens                    the SYN is answered with RST)
 *   SUBFLOW_CREATE 10.0.2.3 id 6            -ENETUNREACH  none
 *     -> 10.0.3.2, no route
 *   SUBFLOW_DESTROY for token 0xdeadbeef    -EINVAL       none ("invalid token")
 *   SUBFLOW_CREATE 10.0.2.3 id 6            0             SUB_ESTABLISHED (both)
 *     -> 10.0.2.1:port
 *   SUBFLOW_DESTROY of that subflow         0             SUB_CLOSED (client, inside the
 *                                                         call; the server's on the FIN)
 *
 * (6.1's pm_userspace.c and 7.2's have the same paths for each.) The
 * connection is CREATED/ESTABLISHED and CLOSED on both sides as in the other
 * scenarios. --commands lists each command with its result, effect and trigger.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pm_scen.h"

#define UPM_ID	      5 /* the first join's address id */
#define UPM_ID2	      6 /* the second address's */
#define UPM_DEAD_PORT 5999
#define UPM_BAD_TOKEN 0xdeadbeefU
#define UPM_RCVBUF    (1 << 20)

/* The event we wait for: its type, and the local address when it is a subflow's */
struct upm_want {
	enum tg_event type;
	const char *saddr; /* NULL: any */
};

/* Note an event we read: the last of the connection is the next command's trigger */
static void upm_seen(struct ps_run *r, const struct pm_event *ev)
{
	if (ev->token == r->ctok)
		r->last_read = ev->type;
	ps_log(r, "read %s token 0x%08x", tg_event_name(ev->type), ev->token);
}

/* Read every event queued so far */
static int upm_drain(struct ps_run *r)
{
	struct pm_event ev;
	int n;

	while ((n = pm_genl_event_read(r->evfd, r->c.pm.family, &ev)) > 0)
		upm_seen(r, &ev);
	if (n < 0)
		return ps_fail(r, PS_EXIT_STEP, n, "reading the client's events: %s", strerror(-n));
	return 0;
}

static bool upm_is(const struct ps_run *r, const struct pm_event *ev, const struct upm_want *w)
{
	struct in_addr a;

	if (ev->type != w->type || ev->token != r->ctok)
		return false;
	return !w->saddr || (inet_pton(AF_INET, w->saddr, &a) == 1 && a.s_addr == ev->saddr.s_addr);
}

/* Read events until the one @w describes (into @out), within the step's timeout */
static int upm_wait(struct ps_run *r, const struct upm_want *w, struct pm_event *out)
{
	long long deadline = now_ms() + r->timeout_ms;
	int n;

	for (;;) {
		while ((n = pm_genl_event_read(r->evfd, r->c.pm.family, out)) > 0) {
			upm_seen(r, out);
			if (upm_is(r, out, w))
				return 0;
		}
		if (!n)
			n = wait_fd(r->evfd, POLLIN, deadline);
		if (n)
			return ps_fail(r, n == -ETIMEDOUT ? PS_EXIT_TIMEOUT : PS_EXIT_STEP, n,
				       "client event %s%s%s: %s", tg_event_name(w->type),
				       w->saddr ? " from " : "", w->saddr ? w->saddr : "",
				       strerror(-n));
	}
}

/* What one command must do */
struct upm_cmd {
	const char *name;
	int (*send)(struct pm_genl *pm, __u32 token, const struct pm_subflow *sf);
	__u32 token;
	struct pm_subflow sf;
	int result;	      /* 0 or the -errno the kernel must answer */
	enum tg_event effect; /* 0: none */
	int peer;	      /* the effect is the server's */
};

static int upm_remove(struct pm_genl *pm, __u32 token, const struct pm_subflow *sf)
{
	return pm_genl_remove(pm, token, sf->local_id);
}

/* Send @c after reading what is queued; its answer must be the one listed */
static int upm_send(struct ps_run *r, const struct upm_cmd *c)
{
	const char *trigger;
	int err = upm_drain(r);

	if (err)
		return err;
	trigger = c->token == r->ctok && r->last_read ? tg_event_name(r->last_read) : "none";
	err = c->send(&r->c.pm, c->token, &c->sf);
	ps_log(r, "%s: %d (%s)", c->name, err, err ? pm_why(&r->c.pm, err) : "ok");
	if (err != c->result)
		return ps_fail(r, PS_EXIT_STEP, err ? err : -EPROTO, "%s: answered %d (%s), not %d",
			       c->name, err, err ? pm_why(&r->c.pm, err) : "ok", c->result);
	fprintf(r->cmds,
		"command netns=%llu cmd=%s token=0x%08x result=%d effect=%s peer=%d "
		"trigger=%s\n",
		r->c.ino, c->name, c->token, c->result,
		c->effect ? tg_event_name(c->effect) : "none", c->peer, trigger);
	return 0;
}

static struct pm_subflow upm_subflow(const char *local, __u8 id, const char *remote, __u16 rport)
{
	struct pm_subflow sf = {
		.local_id = id, .with_local_id = 1, .remote_port = rport, .with_remote = 1
	};

	inet_pton(AF_INET, local, &sf.local);
	inet_pton(AF_INET, remote, &sf.remote);
	return sf;
}

/* ---- the server's side of each step ---------------------------------------------- */

static int mib_moved(struct ps_run *r, const char *name, char *state, size_t len)
{
	__u64 v = 0;
	int err = obs_mib_read(r->s.mib_fd, name, &v);

	if (err)
		return err;
	snprintf(state, len, "server %s %llu (was %llu)", name, (unsigned long long)v,
		 (unsigned long long)r->mib_base);
	return v > r->mib_base;
}

static int prio_rx(struct ps_run *r, char *state, size_t len)
{
	return mib_moved(r, "MPPrioRx", state, len);
}

static int add_addr_rx(struct ps_run *r, char *state, size_t len)
{
	return mib_moved(r, "AddAddr", state, len);
}

static int both_one(struct ps_run *r, char *state, size_t len)
{
	struct obs_subflows cs, ss;
	int err = ps_subflows(r, &cs, &ss);

	if (err)
		return err;
	snprintf(state, len, "subflows: client %u, server %u", cs.count, ss.count);
	return cs.count == 1 && ss.count == 1;
}

static int mib_base(struct ps_run *r, const char *name)
{
	int err = obs_mib_read(r->s.mib_fd, name, &r->mib_base);

	return err ? ps_fail(r, PS_EXIT_SETUP, err, "server MIB %s: %s", name, strerror(-err)) : 0;
}

/* ---- the steps -------------------------------------------------------------------- */

/* A join from @local (id @id): both ends established; its local port into @port */
static int upm_join(struct ps_run *r, const char *local, __u8 id, __u16 *port)
{
	struct upm_cmd c = { "subflow_create",
			     pm_genl_subflow_create,
			     r->ctok,
			     upm_subflow(local, id, "10.0.2.1", r->port),
			     0,
			     TG_EV_SUB_ESTABLISHED };
	struct upm_want w = { TG_EV_SUB_ESTABLISHED, local };
	struct pm_event ev;
	int err = upm_send(r, &c);

	if (!err)
		err = upm_wait(r, &w, &ev);
	if (!err)
		err = ps_wait_cond(r, ps_two_subflows, "the join established on both ends");
	if (err)
		return err;
	*port = ev.sport;
	ps_expect(r, &r->c, TG_EV_SUB_ESTABLISHED, r->ctok);
	ps_expect(r, &r->s, TG_EV_SUB_ESTABLISHED, r->stok);
	return 0;
}

/* SET_FLAGS backup on the join, then ANNOUNCE of its address: the server's events */
static int upm_prio_announce(struct ps_run *r, __u16 port)
{
	struct upm_cmd prio = { "set_flags",
				pm_genl_subflow_flags,
				r->ctok,
				upm_subflow("10.0.2.2", 0, "10.0.2.1", r->port),
				0,
				TG_EV_SUB_PRIORITY,
				1 };
	struct upm_cmd ann = { "announce", pm_genl_announce,
			       r->ctok,	   upm_subflow("10.0.2.2", UPM_ID, "10.0.2.1", 0),
			       0,	   TG_EV_ANNOUNCED,
			       1 };
	int err;

	prio.sf.with_local_id = 0;
	prio.sf.local_port = port;
	prio.sf.local_flags = MPTCP_PM_ADDR_FLAG_BACKUP;
	ann.sf.with_remote = 0;
	ann.sf.local_flags = MPTCP_PM_ADDR_FLAG_SIGNAL;
	err = mib_base(r, "MPPrioRx");
	if (!err)
		err = upm_send(r, &prio);
	if (!err)
		err = ps_wait_cond(r, prio_rx, "MP_PRIO received by the server");
	if (!err)
		err = mib_base(r, "AddAddr");
	if (!err)
		err = upm_send(r, &ann);
	if (!err)
		err = ps_wait_cond(r, add_addr_rx, "ADD_ADDR received by the server");
	if (err)
		return err;
	ps_expect(r, &r->s, TG_EV_SUB_PRIORITY, r->stok);
	ps_expect(r, &r->s, TG_EV_ANNOUNCED, r->stok);
	return 0;
}

/* REMOVE id 5: the server's PM closes the join; its FIN closes the client's end */
static int upm_remove_join(struct ps_run *r)
{
	struct upm_cmd c = { "remove", upm_remove,    r->ctok, { .local_id = UPM_ID },
			     0,	       TG_EV_REMOVED, 1 };
	struct upm_want w = { TG_EV_SUB_CLOSED, "10.0.2.2" };
	struct pm_event ev;
	int err = upm_send(r, &c);

	if (!err)
		err = upm_wait(r, &w, &ev);
	if (!err)
		err = ps_wait_cond(r, both_one, "the join closed on both ends");
	if (err)
		return err;
	ps_expect(r, &r->s, TG_EV_REMOVED, r->stok);
	ps_expect(r, &r->s, TG_EV_SUB_CLOSED, r->stok);
	ps_expect(r, &r->c, TG_EV_SUB_CLOSED, r->ctok);
	return 0;
}

/* Joins that fail: refused by the peer (asynchronously), unroutable, an unknown token */
static int upm_failures(struct ps_run *r)
{
	struct upm_cmd refused = { "subflow_create",
				   pm_genl_subflow_create,
				   r->ctok,
				   upm_subflow("10.0.2.3", UPM_ID2, "10.0.2.1", UPM_DEAD_PORT),
				   0,
				   TG_EV_SUB_CLOSED };
	struct upm_cmd unroutable = { "subflow_create", pm_genl_subflow_create, r->ctok,
				      upm_subflow("10.0.2.3", UPM_ID2, "10.0.3.2", r->port),
				      -ENETUNREACH };
	struct upm_cmd unknown = { "subflow_destroy", pm_genl_subflow_destroy, UPM_BAD_TOKEN,
				   upm_subflow("10.0.2.3", 0, "10.0.2.1", r->port), -EINVAL };
	struct upm_want w = { TG_EV_SUB_CLOSED, "10.0.2.3" };
	struct pm_event ev;
	int err;

	unknown.sf.local_port = 1;
	unknown.sf.with_local_id = 0;
	err = upm_send(r, &refused);
	if (!err)
		err = upm_wait(r, &w, &ev);
	if (!err && ev.error != ECONNREFUSED)
		err = ps_fail(r, PS_EXIT_STEP, -EPROTO, "refused join: SUB_CLOSED error %u, not %d",
			      ev.error, ECONNREFUSED);
	if (!err)
		err = upm_send(r, &unroutable);
	if (!err)
		err = upm_send(r, &unknown);
	if (err)
		return err;
	ps_expect(r, &r->c, TG_EV_SUB_CLOSED, r->ctok);
	return 0;
}

/* A second join, destroyed by us: its SUB_CLOSED comes inside the command */
static int upm_destroy(struct ps_run *r)
{
	struct upm_cmd c = { "subflow_destroy",
			     pm_genl_subflow_destroy,
			     r->ctok,
			     upm_subflow("10.0.2.3", 0, "10.0.2.1", r->port),
			     0,
			     TG_EV_SUB_CLOSED };
	struct upm_want w = { TG_EV_SUB_CLOSED, "10.0.2.3" };
	struct pm_event ev;
	int err = upm_join(r, "10.0.2.3", UPM_ID2, &c.sf.local_port);

	c.sf.with_local_id = 0;
	if (!err)
		err = upm_send(r, &c);
	if (!err)
		err = upm_wait(r, &w, &ev);
	if (!err)
		err = ps_wait_cond(r, both_one, "the destroyed join gone on both ends");
	if (err)
		return err;
	ps_expect(r, &r->c, TG_EV_SUB_CLOSED, r->ctok);
	ps_expect(r, &r->s, TG_EV_SUB_CLOSED, r->stok);
	return 0;
}

int ps_scen_upm(struct ps_run *r)
{
	struct upm_want est = { TG_EV_ESTABLISHED, NULL };
	struct pm_event ev;
	__u16 port;
	int err;

	r->evfd = pm_genl_sink_open(&r->c.pm, UPM_RCVBUF);
	if (r->evfd < 0)
		return ps_fail(r, PS_EXIT_SETUP, r->evfd, "client: join mptcp_pm_events: %s",
			       strerror(-r->evfd));
	err = ps_conn_established(r);
	if (!err)
		err = upm_wait(r, &est, &ev);
	if (!err)
		err = upm_join(r, "10.0.2.2", UPM_ID, &port);
	if (!err)
		err = upm_prio_announce(r, port);
	if (!err)
		err = upm_remove_join(r);
	if (!err)
		err = upm_failures(r);
	if (!err)
		err = upm_destroy(r);
	return err ? err : ps_conn_close(r);
}
