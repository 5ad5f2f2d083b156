// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trafgen --scenario NAME: one connection through one failure mode, with the
 * events each side's kernel emitted for it (doc/kernel-notes.md, "Subflow
 * failures: which events each side gets"). As in the default scenario, no
 * step is assumed: each is observed (socket options, poll(), the netns' MIB
 * counters, the tools' own output) within the step timeout before its events
 * are listed, and what decides whether an event exists is read from the
 * kernel at run time, never from its version:
 *
 *   SUB_CLOSED   mptcp_close_ssk() sends it for a join only while the msk is
 *                ESTABLISHED, and then, in the same call, decrements the
 *                path manager's count of joins (mptcpi_subflows); so a join
 *                that left that count while the msk shows no hang-up (no
 *                POLLHUP, POLLRDHUP or POLLERR, no shutdown of ours) had its
 *                SUB_CLOSED;
 *   CLOSED       sent at close() when the msk still has a token (the
 *                kernel's own test, msk->token, is what MPTCP_INFO reports):
 *                a received fastclose destroys the token first;
 *   CREATED      the client's comes with the MP_CAPABLE SYN/ACK: none
 *                without MPCapableSYNACKRX moving.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trafgen.h"

#define SC_MAX_JOINS	   8 /* the in-kernel PM's limit (MPTCP_PM_ADDR_MAX) */
#define SC_OUT_SIZE	   4096
#define SC_KEEPALIVE_S	   1 /* path-down: idle, interval (seconds) and probes */
#define SC_KEEPALIVE_CNT   2
#define SC_PUMP_CHUNK	   65536
#define SC_PUMP_BEFORE	   (256 << 10)	    /* addr-removed: bytes each way before the removal */
#define SC_MIB_FASTCLOSE   "MPFastcloseRx"  /* MP_FASTCLOSE received (5.19+) */
#define SC_MIB_SYN_TX	   "MPCapableSYNTX" /* MP_CAPABLE SYN sent (5.16+) */
#define SC_MIB_SYNACK_RX   "MPCapableSYNACKRX"
#define SC_MIB_JOIN_SYN_RX "MPJoinSynRx"

struct scenario {
	const char *name;
	const char *what;
	int (*prepare)(struct run *r);
	int (*run)(struct run *r, struct conn *c);
};

/* what scenario_cleanup() undoes */
static struct {
	char link[IF_NAMESIZE]; /* a link set down */
	struct in_addr extra[SC_MAX_JOINS];
	unsigned int nextra; /* client addresses added */
	char extra_dev[IF_NAMESIZE];
} undo;

static const struct scenario *current;

/* ---- observations -------------------------------------------------------- */

static int both_info(struct conn *c, struct mptcp_info *ci, struct mptcp_info *si)
{
	int err = obs_mptcp_info(c->cfd, ci);

	return err ? err : obs_mptcp_info(c->sfd, si);
}

/*
 * Both msks have c->want_joins[] joins in the PM's count and c->want_count[]
 * subflows in their list: the joins that went away were closed by
 * mptcp_close_ssk() (the only place that count drops while the msk lives).
 */
static int joins_done(struct run *r, struct conn *c, char *state, size_t len)
{
	struct obs_subflows cs, ss;
	struct mptcp_info ci, si;
	int err;

	(void)r;
	err = both_info(c, &ci, &si);
	if (!err)
		err = both_subflows(c, &cs, &ss);
	if (err)
		return err;
	snprintf(state, len,
		 "joins (mptcpi_subflows) client %u server %u, subflows client %u/%u "
		 "server %u/%u established, want joins %u/%u subflows %u/%u",
		 ci.mptcpi_subflows, si.mptcpi_subflows, cs.established, cs.count, ss.established,
		 ss.count, c->want_joins[0], c->want_joins[1], c->want_count[0], c->want_count[1]);
	return ci.mptcpi_subflows == c->want_joins[0] && si.mptcpi_subflows == c->want_joins[1] &&
	       cs.count == c->want_count[0] && ss.count == c->want_count[1] &&
	       cs.established == cs.count && ss.established == ss.count;
}

int wait_joins(struct run *r, struct conn *c, unsigned int joins, const char *what)
{
	c->want_joins[0] = c->want_joins[1] = joins;
	c->want_count[0] = c->want_count[1] = joins + 1;
	return wait_until(r, c, joins_done, what);
}

/*
 * The connection lives: no hang-up on either msk, and a round trip through
 * it. The state of an msk only moves forward from ESTABLISHED, so an msk that
 * shows none now was ESTABLISHED when an earlier step's subflow closed.
 */
int conn_alive(struct run *r, struct conn *c, const char *after)
{
	int hc = obs_msk_hangup(c->cfd), hs = obs_msk_hangup(c->sfd);

	if (hc || hs)
		return fail(r, EXIT_STEP, -EPIPE,
			    "conn %u: after %s the connection is not established (hang-up: "
			    "client %d, server %d)",
			    c->idx, after, hc, hs);
	return conn_echo(r, c);
}

/* The events of @n joins closed on both sides while the connection lived */
int expect_sub_closed(struct run *r, struct conn *c, unsigned int n)
{
	int err = 0;

	while (!err && n--) {
		err = expect_add(r, &r->cli, TG_EV_SUB_CLOSED, c->ctok);
		if (!err)
			err = expect_add(r, &r->srv, TG_EV_SUB_CLOSED, c->stok);
	}
	return err;
}

/* close() of one msk: CLOSED when it still has a token (mptcp_pm_connection_closed()) */
int close_msk(struct run *r, struct conn *c, int *fd, const struct side *s)
{
	struct mptcp_info mi;
	int err = obs_mptcp_info(*fd, &mi);

	if (err)
		return fail(r, EXIT_STEP, err, "conn %u: %s MPTCP_INFO: %s", c->idx, s->name,
			    strerror(-err));
	err = close(*fd) < 0 ? -errno : 0;
	*fd = -1;
	if (err)
		return fail(r, EXIT_STEP, err, "conn %u: %s close: %s", c->idx, s->name,
			    strerror(-err));
	if (!mi.mptcpi_token) {
		vlog(r, "conn %u: %s msk had no token left: no CLOSED", c->idx, s->name);
		return 0;
	}
	return expect_add(r, s, TG_EV_CLOSED, mi.mptcpi_token);
}

static int close_both(struct run *r, struct conn *c)
{
	int err = close_msk(r, c, &c->cfd, &r->cli);

	if (!err)
		err = close_msk(r, c, &c->sfd, &r->srv);
	return err ? err : conn_quiesce(r, c);
}

/* ---- tools --------------------------------------------------------------- */

static int run_tool(struct run *r, const struct side *s, char *const argv[], char *out, size_t size)
{
	char buf[SC_OUT_SIZE];
	int rc = tool_run(s->nsfd, argv, out ? out : buf, out ? size : sizeof(buf));

	if (rc)
		return fail(r, EXIT_STEP, rc < 0 ? rc : -EIO, "%s (%s netns) %s %s: %s", argv[0],
			    s->name, argv[1], argv[2] ? argv[2] : "",
			    rc < 0 ? strerror(-rc) : "failed");
	return 0;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void sa_to_addr(const union obs_sa *sa, struct tg_addr *a)
{
	if (sa->sa.sa_family == AF_INET)
		tg_addr_set(a, AF_INET, &sa->in.sin_addr, ntohs(sa->in.sin_port));
	else
		tg_addr_set(a, AF_INET6, &sa->in6.sin6_addr, ntohs(sa->in6.sin6_port));
}

/*
 * ss -K on one side for the TCP socket between @local and @remote (the
 * join): ss prints each socket it destroyed, and exactly one must be.
 */
static int ss_kill(struct run *r, const struct side *s, const struct tg_addr *local,
		   const struct tg_addr *remote)
{
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8], out[SC_OUT_SIZE];
	char *argv[] = {
		(char *)tool_path("ss"), "-K", "-t", "-n", "-H", "src", src, "dst", dst, NULL
	};
	int err;

	tg_addr_str(local, src, sizeof(src));
	tg_addr_str(remote, dst, sizeof(dst));
	err = run_tool(r, s, argv, out, sizeof(out));
	if (err)
		return err;
	if (count_lines(out) != 1)
		return fail(r, EXIT_STEP, -ESRCH,
			    "ss -K src %s dst %s (%s netns) destroyed %u sockets, want 1:\n%s", src,
			    dst, s->name, count_lines(out), out);
	vlog(r, "%s: ss -K destroyed %s -> %s", s->name, src, dst);
	return 0;
}

/* ss -K the join of one msk: the subflow whose local address is @join_local */
int kill_join(struct run *r, struct conn *c, int server, int family, const void *join_local)
{
	const struct side *s = server ? &r->srv : &r->cli;
	struct tg_addr l, rm;
	struct obs_addrs a;
	int i, err = obs_subflow_addrs(server ? c->sfd : c->cfd, &a);

	if (err)
		return fail(r, EXIT_STEP, err, "conn %u: %s MPTCP_SUBFLOW_ADDRS: %s", c->idx,
			    s->name, strerror(-err));
	i = obs_addrs_find(&a, 0, family, join_local);
	if (i <= 0)
		return fail(r, EXIT_STEP, -ENOENT, "conn %u: %s has no join among %u subflows",
			    c->idx, s->name, a.count);
	sa_to_addr(&a.local[i], &l);
	sa_to_addr(&a.remote[i], &rm);
	return ss_kill(r, s, &l, &rm);
}

/* ---- joins ---------------------------------------------------------------- */

static int set_limits(struct run *r, unsigned int n)
{
	int err = pm_genl_set_limits(&r->srv.pm, n, n);

	if (!err)
		err = pm_genl_set_limits(&r->cli.pm, n, n);
	if (err)
		return fail(r, EXIT_SETUP, err, "SET_LIMITS %u: %s", n, strerror(-err));
	return 0;
}

/*
 * The server announces @ep; the client's PM joins to it from @join_local:
 * ANNOUNCED in the client, SUB_ESTABLISHED on both sides (conn_join() of the
 * default scenario, for any family).
 */
static int join_announced(struct run *r, struct conn *c, const struct pm_endpoint *ep, int family,
			  const void *join_local)
{
	struct obs_addrs a;
	int err = pm_genl_add_addr(&r->srv.pm, ep);

	if (err)
		return fail(r, EXIT_SETUP, err, "server: ADD_ADDR id %u: %s", ep->id,
			    pm_why(&r->srv.pm, err));
	err = wait_until(r, c, join_done, "ADD_ADDR received and join established");
	if (!err)
		err = obs_subflow_addrs(c->cfd, &a);
	if (!err && obs_addrs_find(&a, 0, family, join_local) != 1)
		err = fail(r, EXIT_STEP, -EPROTO,
			   "conn %u: the join is not from the address "
			   "expected",
			   c->idx);
	else if (err)
		err = fail(r, EXIT_STEP, err, "conn %u: MPTCP_SUBFLOW_ADDRS: %s", c->idx,
			   strerror(-err));
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_ANNOUNCED, c->ctok);
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_SUB_ESTABLISHED, c->ctok);
	if (!err)
		err = expect_add(r, &r->srv, TG_EV_SUB_ESTABLISHED, c->stok);
	return err;
}

/* Kill the join on one side, see both sides close it, the connection live on */
static int join_killed(struct run *r, struct conn *c, int server, int family,
		       const void *join_local)
{
	int err = kill_join(r, c, server, family, join_local);

	if (!err)
		err = wait_joins(r, c, 0, "the killed join closed on both sides");
	if (!err)
		err = conn_alive(r, c, "the join's reset");
	return err ? err : expect_sub_closed(r, c, 1);
}

/* ---- the scenarios -------------------------------------------------------- */

/* ss -K of the join in the client: the server gets the reset (MP_TCPRST) */
static int sc_kill_join_client(struct run *r, struct conn *c)
{
	int err = conn_established(r, c);

	if (!err)
		err = conn_join(r, c);
	if (!err)
		err = join_killed(r, c, 0, AF_INET, &env.cli[1]);
	return err ? err : close_both(r, c);
}

/* ss -K of the join in the server: the client gets the peer's reset */
static int sc_kill_join_server(struct run *r, struct conn *c)
{
	int err = conn_established(r, c);

	if (!err)
		err = conn_join(r, c);
	if (!err)
		err = join_killed(r, c, 1, AF_INET, &env.srv[1]);
	return err ? err : close_both(r, c);
}

static int fastclose_done(struct run *r, struct conn *c, char *state, size_t len)
{
	__u64 rx;
	int hup, err = obs_mib_read(r->srv_mib_fd, SC_MIB_FASTCLOSE, &rx);

	if (err)
		return err;
	hup = obs_msk_hangup(c->sfd);
	if (hup < 0)
		return hup;
	snprintf(state, len, "server MPTcpExt " SC_MIB_FASTCLOSE " %llu (was %llu), hang-up %d",
		 (unsigned long long)rx, (unsigned long long)c->base[1], hup);
	return rx > c->base[1] && hup;
}

/* The server's msk saw a hang-up (a fastclose received closes it) */
int hangup_done(struct run *r, struct conn *c, char *state, size_t len)
{
	int hup = obs_msk_hangup(c->sfd);

	(void)r;
	snprintf(state, len, "server msk hang-up %d", hup);
	return hup;
}

/*
 * close() with SO_LINGER 0 sends MP_FASTCLOSE: the msk is set TCP_CLOSE
 * before its subflows are reset (mptcp_do_fastclose()), so no SUB_CLOSED on
 * the sender; CLOSED if it has a token. The receiver destroys its token and
 * closes the msk before its subflows (mptcp_check_fastclose()): no SUB_CLOSED,
 * and at its close() no CLOSED unless MPTCP_INFO still shows a token.
 */
static int sc_fastclose(struct run *r, struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int err = conn_established(r, c);

	if (!err)
		err = conn_join(r, c);
	if (!err)
		err = mib_read(r, r->srv_mib_fd, "server", SC_MIB_FASTCLOSE, &c->base[1]);
	if (!err && setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		err = fail(r, EXIT_STEP, -errno, "client: SO_LINGER 0: %s", strerror(errno));
	if (!err)
		err = close_msk(r, c, &c->cfd, &r->cli);
	if (!err)
		err = wait_until(r, c, fastclose_done, "MP_FASTCLOSE received, server msk closed");
	if (!err)
		err = close_msk(r, c, &c->sfd, &r->srv);
	return err ? err : conn_quiesce(r, c);
}

/* The listener takes only the initial address: a join to the announced one finds none */
static int prep_listen_srv0(struct run *r)
{
	tg_addr_set(&r->listen, AF_INET, &env.srv[0], env.port);
	return 0;
}

static int join_refused_done(struct run *r, struct conn *c, char *state, size_t len)
{
	struct obs_subflows cs, ss;
	struct mptcp_info ci, si;
	int err;

	(void)r;
	err = both_info(c, &ci, &si);
	if (!err)
		err = both_subflows(c, &cs, &ss);
	if (err)
		return err;
	snprintf(state, len,
		 "client add_addr_accepted %u joins %u subflows %u, server joins %u subflows %u",
		 ci.mptcpi_add_addr_accepted, ci.mptcpi_subflows, cs.count, si.mptcpi_subflows,
		 ss.count);
	/*
	 * add_addr_accepted counts an ADD_ADDR the PM created a join for
	 * (mptcp_pm_nl_add_addr_received()); that join is gone from the list and
	 * from the PM's count again: mptcp_close_ssk() closed it.
	 */
	return ci.mptcpi_add_addr_accepted == 1 && ci.mptcpi_subflows == 0 && cs.count == 1 &&
	       si.mptcpi_subflows == 0 && ss.count == 1;
}

/*
 * The join's SYN to the announced address gets a TCP reset (no listener):
 * the client's join is closed before it was established, while the msk is:
 * ANNOUNCED and SUB_CLOSED in the client; nothing in the server, whose MPTCP
 * never saw the SYN (MPJoinSynRx does not move).
 */
static int sc_join_refused(struct run *r, struct conn *c)
{
	struct pm_endpoint ep = signal_endpoint(0);
	__u64 syn_rx;
	int err = conn_established(r, c);

	if (!err)
		err = mib_read(r, r->srv_mib_fd, "server", SC_MIB_JOIN_SYN_RX, &c->base[1]);
	if (!err)
		err = pm_genl_add_addr(&r->srv.pm, &ep);
	if (err)
		return r->code ? err
			       : fail(r, EXIT_SETUP, err, "server: ADD_ADDR id %u: %s", ep.id,
				      pm_why(&r->srv.pm, err));
	err = wait_until(r, c, join_refused_done, "join attempted and closed");
	if (!err)
		err = mib_read(r, r->srv_mib_fd, "server", SC_MIB_JOIN_SYN_RX, &syn_rx);
	if (!err && syn_rx != c->base[1])
		err = fail(r, EXIT_STEP, -EPROTO,
			   "server: MPJoinSynRx moved (%llu -> %llu): "
			   "a listener took the join",
			   (unsigned long long)c->base[1], (unsigned long long)syn_rx);
	if (!err)
		err = conn_alive(r, c, "the refused join");
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_ANNOUNCED, c->ctok);
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_SUB_CLOSED, c->ctok);
	return err ? err : close_both(r, c);
}

/* Nothing listens on the port after the listener's */
static int prep_connect_refused(struct run *r)
{
	tg_addr_set(&r->dst, AF_INET, &env.srv[0], env.port + 1);
	return 0;
}

static int refused_wait(struct run *r, struct conn *c)
{
	int err = wait_fd(c->cfd, POLLOUT, now_ms() + env.timeout_ms), soerr = 0;
	socklen_t len = sizeof(soerr);

	if (!err && getsockopt(c->cfd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		err = -errno;
	if (err)
		return fail(r, err == -ETIMEDOUT ? EXIT_TIMEOUT : EXIT_STEP, err,
			    "conn %u: connect not answered: %s", c->idx, strerror(-err));
	if (soerr != ECONNREFUSED)
		return fail(r, EXIT_STEP, -EPROTO, "conn %u: connect: %s, want ECONNREFUSED",
			    c->idx, strerror(soerr));
	return 0;
}

/*
 * connect() to a port nobody listens on: an MP_CAPABLE SYN goes out
 * (MPCapableSYNTX) and a reset comes back; CREATED would come with the
 * MP_CAPABLE SYN/ACK (MPCapableSYNACKRX), which never did. CLOSED at close()
 * if the msk has a token: it got one at connect().
 */
static int sc_connect_refused(struct run *r, struct conn *c)
{
	__u64 syn0, ack0, syn1, ack1;
	int err = mib_read(r, r->mib_fd, "client", SC_MIB_SYN_TX, &syn0);

	if (!err)
		err = mib_read(r, r->mib_fd, "client", SC_MIB_SYNACK_RX, &ack0);
	if (!err)
		err = client_connect(r, c);
	if (!err)
		err = refused_wait(r, c);
	if (!err)
		err = mib_read(r, r->mib_fd, "client", SC_MIB_SYN_TX, &syn1);
	if (!err)
		err = mib_read(r, r->mib_fd, "client", SC_MIB_SYNACK_RX, &ack1);
	if (err)
		return err;
	if (syn1 == syn0 || ack1 != ack0)
		return fail(r, EXIT_STEP, -EPROTO,
			    "conn %u: MPCapableSYNTX %llu -> %llu, MPCapableSYNACKRX %llu -> %llu: "
			    "want an MP_CAPABLE SYN and no SYN/ACK",
			    c->idx, (unsigned long long)syn0, (unsigned long long)syn1,
			    (unsigned long long)ack0, (unsigned long long)ack1);
	vlog(r, "conn %u: connect refused, MP_CAPABLE SYN sent, no SYN/ACK", c->idx);
	err = close_msk(r, c, &c->cfd, &r->cli);
	return err ? err : conn_quiesce(r, c);
}

/* The name of the client's interface that has @addr */
static int ifname_of(struct run *r, const struct in_addr *addr, char name[IF_NAMESIZE])
{
	struct ifaddrs *ifa, *i;
	int err = -ENODEV;

	if (getifaddrs(&ifa) < 0)
		return fail(r, EXIT_SETUP, -errno, "client: getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr != addr->s_addr)
			continue;
		snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	if (err)
		return fail(r, EXIT_SETUP, err, "client: no interface has %s", inet_ntoa(*addr));
	return 0;
}

static int link_set(struct run *r, const char *dev, const char *updown)
{
	char *argv[] = { (char *)tool_path("ip"), "link", "set", "dev", (char *)dev,
			 (char *)updown,	  NULL };

	vlog(r, "client: ip link set dev %s %s", dev, updown);
	return run_tool(r, &r->cli, argv, NULL, 0);
}

/* TCP keepalive on an msk, which passes it on to every subflow, joins included */
static int keepalive(struct run *r, int fd, const char *who)
{
	int one = 1, secs = SC_KEEPALIVE_S, cnt = SC_KEEPALIVE_CNT;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof(secs)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof(secs)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0)
		return fail(r, EXIT_SETUP, -errno, "%s: TCP keepalive on the msk: %s", who,
			    strerror(errno));
	return 0;
}

/*
 * The join's path goes down (the client's link): no packet passes any more.
 * An idle subflow learns it from its keepalive probes, both ends alike; an
 * end with data in flight would retransmit until tcp_retries2, but which
 * subflow the scheduler gives data to is not ours to choose, so the joins
 * stay idle and time out (ETIMEDOUT) on keepalive. Both are closed by
 * mptcp_close_ssk() while the connection lives on the initial path: one
 * SUB_CLOSED each side.
 */
static int sc_path_down(struct run *r, struct conn *c)
{
	int err = conn_established(r, c);

	if (!err)
		err = keepalive(r, c->cfd, "client");
	if (!err)
		err = keepalive(r, c->sfd, "server");
	if (!err)
		err = conn_join(r, c);
	if (!err)
		err = ifname_of(r, &env.cli[1], undo.link);
	if (!err)
		err = link_set(r, undo.link, "down");
	if (!err)
		err = wait_joins(r, c, 0, "the join timed out on both sides");
	if (!err) {
		err = link_set(r, undo.link, "up");
		undo.link[0] = '\0';
	}
	if (!err)
		err = conn_alive(r, c, "the join's timeout");
	if (!err)
		err = expect_sub_closed(r, c, 1);
	return err ? err : close_both(r, c);
}

static int prep_ipv6(struct run *r)
{
	tg_addr_set(&r->listen, AF_INET6, &in6addr_any, env.port);
	tg_addr_set(&r->src, AF_INET6, &env.cli6[0], 0);
	tg_addr_set(&r->dst, AF_INET6, &env.srv6[0], env.port);
	return 0;
}

/* IPv6 subflows: the events carry SADDR6/DADDR6; the join killed in the client */
static int sc_ipv6(struct run *r, struct conn *c)
{
	struct pm_endpoint ep = {
		.family = AF_INET6,
		.addr6 = env.srv6[1],
		.id = TG_SIGNAL_ID,
		.flags = MPTCP_PM_ADDR_FLAG_SIGNAL,
	};
	int err = conn_established(r, c);

	if (!err)
		err = join_announced(r, c, &ep, AF_INET6, &env.cli6[1]);
	if (!err)
		err = join_killed(r, c, 0, AF_INET6, &env.cli6[1]);
	return err ? err : close_both(r, c);
}

static void mapped(const struct in_addr *a, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], a, 4);
}

/* An AF_INET6 connection to ::ffff:10.0.1.1: the kernel reports it as IPv4 */
static int prep_ipv4_mapped(struct run *r)
{
	struct in6_addr src, dst;

	mapped(&env.cli[0], &src);
	mapped(&env.srv[0], &dst);
	tg_addr_set(&r->listen, AF_INET6, &in6addr_any, env.port);
	tg_addr_set(&r->src, AF_INET6, &src, 0);
	tg_addr_set(&r->dst, AF_INET6, &dst, env.port);
	return 0;
}

/*
 * IPv4-mapped: the initial subflow is an IPv6 socket with mapped addresses,
 * the join to the announced IPv4 address an IPv4 one; the join killed in the
 * server.
 */
static int sc_ipv4_mapped(struct run *r, struct conn *c)
{
	struct pm_endpoint ep = signal_endpoint(0);
	int err = conn_established(r, c);

	if (!err)
		err = join_announced(r, c, &ep, AF_INET, &env.cli[1]);
	if (!err)
		err = join_killed(r, c, 1, AF_INET, &env.srv[1]);
	return err ? err : close_both(r, c);
}

/* client address @i of max-subflows: cli[1] and the ones after it */
static struct in_addr join_addr(unsigned int i)
{
	struct in_addr a = { .s_addr = htonl(ntohl(env.cli[1].s_addr) + i) };

	return a;
}

static int addr_cmd(struct run *r, const char *cmd, const struct in_addr *a, const char *dev)
{
	char addr[INET_ADDRSTRLEN + 3];
	char *argv[] = {
		(char *)tool_path("ip"), "addr", (char *)cmd, addr, "dev", (char *)dev, NULL
	};

	snprintf(addr, sizeof(addr), "%s/32", inet_ntoa(*a));
	return run_tool(r, &r->cli, argv, NULL, 0);
}

/* SC_MAX_JOINS client endpoints with the subflow flag, from cli[1] on */
static int subflow_endpoints(struct run *r)
{
	int err = ifname_of(r, &env.cli[1], undo.extra_dev);
	unsigned int i;

	for (i = 0; !err && i < SC_MAX_JOINS; i++) {
		struct pm_endpoint ep = {
			.addr = join_addr(i),
			.id = i + 1,
			.flags = MPTCP_PM_ADDR_FLAG_SUBFLOW,
		};

		if (i) {
			err = addr_cmd(r, "add", &ep.addr, undo.extra_dev);
			if (err)
				break;
			undo.extra[undo.nextra++] = ep.addr;
		}
		err = pm_genl_add_addr(&r->cli.pm, &ep);
		if (err)
			err = fail(r, EXIT_SETUP, err, "client: ADD_ADDR %s id %u subflow: %s",
				   inet_ntoa(ep.addr), ep.id, pm_why(&r->cli.pm, err));
	}
	return err;
}

/* ss -K each join of the client, one after the other */
static int kill_all_joins(struct run *r, struct conn *c)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < SC_MAX_JOINS; i++) {
		struct in_addr a = join_addr(i);

		err = kill_join(r, c, 0, AF_INET, &a);
	}
	return err;
}

/*
 * The most joins the in-kernel PM allows (limits 8, eight client endpoints
 * with the subflow flag, so nine subflows): each join one SUB_ESTABLISHED on
 * both sides; then all of them killed in the client: eight SUB_CLOSED each.
 */
static int sc_max_subflows(struct run *r, struct conn *c)
{
	unsigned int i;
	int err = set_limits(r, SC_MAX_JOINS);

	if (!err)
		err = subflow_endpoints(r);
	if (!err)
		err = conn_established(r, c);
	if (!err)
		err = wait_joins(r, c, SC_MAX_JOINS, "all joins established on both sides");
	for (i = 0; !err && i < SC_MAX_JOINS; i++) {
		err = expect_add(r, &r->cli, TG_EV_SUB_ESTABLISHED, c->ctok);
		if (!err)
			err = expect_add(r, &r->srv, TG_EV_SUB_ESTABLISHED, c->stok);
	}
	if (!err)
		err = kill_all_joins(r, c);
	if (!err)
		err = wait_joins(r, c, 0, "every killed join closed on both sides");
	if (!err)
		err = conn_alive(r, c, "the joins' reset");
	if (!err)
		err = expect_sub_closed(r, c, SC_MAX_JOINS);
	return err ? err : close_both(r, c);
}

/* ---- addr-removed: data both ways through the removal -------------------- */

struct pump {
	unsigned long long sent[2], rcvd[2]; /* [0] client -> server, [1] server -> client */
	int sending;
	int removing; /* DEL_ADDR sent: wait for the join to go */
};

static struct pump pump;

static unsigned char pump_byte(unsigned long long pos)
{
	return (unsigned char)(pos * 31 + (pos >> 8));
}

static int pump_send(int fd, unsigned long long *sent)
{
	unsigned char buf[SC_PUMP_CHUNK];
	unsigned int i;
	ssize_t n;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pump_byte(*sent + i);
	n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	*sent += n;
	return 0;
}

/* read what is there; every byte must be the one sent at that position */
static int pump_recv(int fd, unsigned long long *rcvd)
{
	unsigned char buf[SC_PUMP_CHUNK];
	ssize_t n, i;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		for (i = 0; i < n; i++)
			if (buf[i] != pump_byte(*rcvd + i))
				return -EBADMSG;
		*rcvd += n;
	}
}

static int pump_step(struct conn *c)
{
	int err = 0;

	if (pump.sending) {
		err = pump_send(c->cfd, &pump.sent[0]);
		if (!err)
			err = pump_send(c->sfd, &pump.sent[1]);
	}
	if (!err)
		err = pump_recv(c->sfd, &pump.rcvd[0]);
	return err ? err : pump_recv(c->cfd, &pump.rcvd[1]);
}

/* data both ways, some of it through the join on both ends */
static int flowing_done(struct run *r, struct conn *c, char *state, size_t len)
{
	struct obs_subflows cs, ss;
	int err = pump_step(c);

	(void)r;
	if (!err)
		err = both_subflows(c, &cs, &ss);
	if (err)
		return err;
	snprintf(state, len,
		 "received client->server %llu server->client %llu; join bytes acked: client "
		 "%llu, server %llu",
		 pump.rcvd[0], pump.rcvd[1], (unsigned long long)cs.bytes_acked[1],
		 (unsigned long long)ss.bytes_acked[1]);
	return pump.rcvd[0] >= SC_PUMP_BEFORE && pump.rcvd[1] >= SC_PUMP_BEFORE && cs.count == 2 &&
	       ss.count == 2 && cs.bytes_acked[1] && ss.bytes_acked[1];
}

static int removed_done(struct run *r, struct conn *c, char *state, size_t len)
{
	int err = pump_step(c);

	return err ? err : remove_done(r, c, state, len);
}

static int drained_done(struct run *r, struct conn *c, char *state, size_t len)
{
	int err = pump_step(c);

	(void)r;
	if (err)
		return err;
	snprintf(state, len, "received %llu of %llu, %llu of %llu", pump.rcvd[0], pump.sent[0],
		 pump.rcvd[1], pump.sent[1]);
	return pump.rcvd[0] == pump.sent[0] && pump.rcvd[1] == pump.sent[1];
}

/*
 * The server deletes the announced address while both ends send through
 * the join: RM_ADDR, the server closes its join with data queued (a reset
 * rather than a FIN), the client closes its own: REMOVED in the client,
 * SUB_CLOSED on both sides; every byte arrives, in order.
 */
static int sc_addr_removed(struct run *r, struct conn *c)
{
	struct pm_endpoint ep = signal_endpoint(0);
	int err = conn_established(r, c);

	if (!err)
		err = conn_join(r, c);
	pump.sending = 1;
	if (!err)
		err = wait_until(r, c, flowing_done, "data both ways, through the join too");
	if (!err) {
		err = pm_genl_del_addr(&r->srv.pm, &ep);
		if (err)
			err = fail(r, EXIT_SETUP, err, "server: DEL_ADDR id %u: %s", ep.id,
				   pm_why(&r->srv.pm, err));
	}
	if (!err)
		err = wait_until(r, c, removed_done, "RM_ADDR received, join closed, data flowing");
	pump.sending = 0;
	if (!err)
		err = wait_until(r, c, drained_done, "every byte received");
	if (!err)
		err = conn_alive(r, c, "the removal");
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_REMOVED, c->ctok);
	if (!err)
		err = expect_sub_closed(r, c, 1);
	return err ? err : close_both(r, c);
}

/* ---- the table ------------------------------------------------------------ */

static const struct scenario scenarios[] = {
	{ "kill-join-client", "ss -K of the join in the client; the server gets the reset", NULL,
	  sc_kill_join_client },
	{ "kill-join-server", "ss -K of the join in the server; the client gets the peer's reset",
	  NULL, sc_kill_join_server },
	{ "fastclose", "the client closes with SO_LINGER 0 (MP_FASTCLOSE), a join up", NULL,
	  sc_fastclose },
	{ "path-down", "the join's link goes down until both ends time it out", NULL,
	  sc_path_down },
	{ "join-refused", "the announced address has no listener: the join is reset",
	  prep_listen_srv0, sc_join_refused },
	{ "connect-refused", "connect() to a port nobody listens on", prep_connect_refused,
	  sc_connect_refused },
	{ "ipv6", "IPv6 subflows, the join killed in the client", prep_ipv6, sc_ipv6 },
	{ "ipv4-mapped", "an IPv4-mapped IPv6 connection, an IPv4 join killed in the server",
	  prep_ipv4_mapped, sc_ipv4_mapped },
	{ "max-subflows", "eight joins (the most), then all killed in the client", NULL,
	  sc_max_subflows },
	{ "addr-removed", "the join's address removed while data flows both ways", NULL,
	  sc_addr_removed },
};

static const struct scenario *scenario_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

int scenario_known(const char *name)
{
	return scenario_find(name) != NULL;
}

void scenario_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Scenarios (--scenario):\n");
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(f, "  %-17s %s\n", scenarios[i].name, scenarios[i].what);
}

int scenario_prepare(struct run *r)
{
	current = scenario_find(env.scenario);
	if (!current)
		return fail(r, EXIT_USAGE, -EINVAL, "unknown scenario %s", env.scenario);
	return current->prepare ? current->prepare(r) : 0;
}

int scenario_run(struct run *r)
{
	struct conn c = { .idx = 1, .cfd = -1, .sfd = -1 };
	int err;

	vlog(r, "scenario %s: %s", current->name, current->what);
	err = current->run(r, &c);
	if (c.cfd >= 0)
		close(c.cfd);
	if (c.sfd >= 0)
		close(c.sfd);
	return err;
}

/* What a scenario changed in the client netns, undone even after a failure */
void scenario_cleanup(struct run *r)
{
	char *argv[] = { (char *)tool_path("ip"), "link", "set", "dev", undo.link, "up", NULL };
	char out[SC_OUT_SIZE];
	unsigned int i;

	if (undo.link[0] && tool_run(r->cli.nsfd, argv, out, sizeof(out)))
		fprintf(stderr, "trafgen: warning: could not set %s up again\n", undo.link);
	for (i = 0; i < undo.nextra; i++) {
		char addr[INET_ADDRSTRLEN + 3];
		char *del[] = { (char *)tool_path("ip"), "addr", "del", addr, "dev",
				undo.extra_dev,		 NULL };

		snprintf(addr, sizeof(addr), "%s/32", inet_ntoa(undo.extra[i]));
		if (tool_run(r->cli.nsfd, del, out, sizeof(out)))
			fprintf(stderr, "trafgen: warning: could not delete %s\n", addr);
	}
}
