// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trafgen: drive real MPTCP traffic between two network namespaces so that
 * the in-kernel path manager emits every event type, and list the events the
 * run must have caused (--expect) for the checker.
 *
 * One process, one thread. It setns()es into the server netns to create the
 * listener and a genl socket, then into the client netns for its genl socket
 * and the client sockets. A socket keeps the netns it was created in, so the
 * process stays in the client netns and drives both sides with poll().
 *
 * Per connection (--conns times), with the side that emits each event (as
 * seen by `ip mptcp monitor` in each netns on 6.18, tests/host/genl_events.sh):
 *   connect, one echo round trip    CREATED, ESTABLISHED         both sides
 *   server ADD_ADDR signal endpoint ANNOUNCED                    client
 *     -> client joins to it         SUB_ESTABLISHED              both sides
 *   server SET_FLAGS backup         SUB_PRIORITY                 client (receiver
 *     -> MP_PRIO to the client                                   of MP_PRIO only)
 *   server DEL_ADDR -> RM_ADDR      REMOVED                      client
 *     -> join subflow closed        SUB_CLOSED                   both sides
 *   close both ends                 CLOSED                       both sides
 *   wait until both msks are destroyed (no event)
 * and once, on the server: LISTENER_CREATED / LISTENER_CLOSED (6.2+).
 *
 * --scenario NAME runs one connection through a failure mode instead
 * (scenario.c: reset joins, fastclose, a path down, refused joins and
 * connects, IPv6 and IPv4-mapped subflows, eight joins, an address removed
 * under load), listing what each side's kernel emitted for it.
 *
 * "trafgen pm --scenario NAME" drives a connection for another path manager
 * (mptcpd's plugins, or trafgen as a userspace PM): pm_scen.c.
 *
 * --churn SECONDS is the benchmark mode (churn.c): connections as fast as
 * possible, each with a fixed number of events, for the tracer's overhead
 * measurements (tests/bench/).
 *
 * No step is assumed: each is observed (MPTCP_INFO, MPTCP_TCPINFO,
 * MPTCP_SUBFLOW_ADDRS, the MIB) within a bounded time before its events are
 * listed; otherwise trafgen fails with one message and lists nothing.
 *
 * Exit codes: 0 ok, 1 usage, 2 setup error (netns, genl, sockets, files),
 * 3 a step was not observed in time, 4 a step failed outright (refused,
 * reset, fallback to plain TCP, unexpected subflow addresses).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "trafgen.h"
#include "pm_scen.h"

struct env env = {
	.port = TG_DEFAULT_PORT,
	.conns = 1,
	.timeout_ms = TG_DEFAULT_TIMEOUT_MS,
};

void vlog(const struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!env.verbose)
		return;
	va_start(ap, fmt);
	tg_vsay("trafgen", r->t0, fmt, ap);
	va_end(ap);
}

/* Report a failure once, remember its exit code, return @err. */
int fail(struct run *r, int code, int err, const char *fmt, ...)
{
	va_list ap;

	if (r->code)
		return err;
	r->code = code;
	va_start(ap, fmt);
	tg_vsay("trafgen", -1, fmt, ap);
	va_end(ap);
	return err;
}

int expect_add(struct run *r, const struct side *s, enum tg_event ev, __u32 token)
{
	struct expect *tmp;

	if (r->count_only) {
		r->counted++;
		return 0;
	}
	if (r->nev == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		tmp = realloc(r->ev, r->cap * sizeof(*tmp));
		if (!tmp)
			return fail(r, EXIT_SETUP, -ENOMEM, "out of memory");
		r->ev = tmp;
	}
	r->ev[r->nev++] = (struct expect){ .ino = s->ino, .token = token, .event = ev };
	return 0;
}

static int expect_write(struct run *r)
{
	FILE *f;
	size_t i;

	if (!env.expect)
		return 0;
	f = fopen(env.expect, "w");
	if (!f)
		return fail(r, EXIT_SETUP, -errno, "%s: %s", env.expect, strerror(errno));
	for (i = 0; i < r->nev; i++) {
		const struct expect *e = &r->ev[i];

		fprintf(f, "expect netns=%llu event=%s token=0x%08x\n", e->ino,
			tg_event_name(e->event), e->token);
	}
	if (fclose(f))
		return fail(r, EXIT_SETUP, -errno, "%s: %s", env.expect, strerror(errno));
	return 0;
}

/* ---- setup -------------------------------------------------------------- */

static int side_open(struct run *r, struct side *s, const char *path)
{
	struct stat st;

	s->nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->nsfd < 0)
		return fail(r, EXIT_SETUP, -errno, "%s netns %s: %s", s->name, path,
			    strerror(errno));
	/* the netns inode is what the kernel's events are keyed by here */
	if (fstat(s->nsfd, &st) < 0)
		return fail(r, EXIT_SETUP, -errno, "%s: %s", path, strerror(errno));
	s->ino = st.st_ino;
	return 0;
}

int side_enter(struct run *r, const struct side *s, const char *path)
{
	if (setns(s->nsfd, CLONE_NEWNET) == 0)
		return 0;
	if (errno == EINVAL)
		return fail(r, EXIT_SETUP, -EINVAL, "%s: not a network namespace", path);
	return fail(r, EXIT_SETUP, -errno, "setns into the %s netns %s: %s", s->name, path,
		    strerror(errno));
}

/* genl socket in the current netns, endpoints flushed, limits set. */
static int side_pm_init(struct run *r, struct side *s)
{
	int err = pm_genl_open(&s->pm);

	if (err == -ENOENT)
		return fail(r, EXIT_SETUP, err, "%s: no \"mptcp_pm\" genl family (CONFIG_MPTCP?)",
			    s->name);
	if (err)
		return fail(r, EXIT_SETUP, err, "%s: genl: %s", s->name, strerror(-err));
	err = pm_genl_flush_addrs(&s->pm);
	if (err)
		return fail(r, EXIT_SETUP, err, "%s: FLUSH_ADDRS: %s", s->name,
			    pm_why(&s->pm, err));
	err = pm_genl_set_limits(&s->pm, TG_LIMIT, TG_LIMIT);
	if (err)
		return fail(r, EXIT_SETUP, err, "%s: SET_LIMITS: %s", s->name, pm_why(&s->pm, err));
	return 0;
}

int mptcp_socket(struct run *r, const char *who, int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_MPTCP);

	if (fd < 0)
		return fail(r, EXIT_SETUP, -errno, "%s: MPTCP socket: %s (net.mptcp.enabled=0?)",
			    who, strerror(errno));
	return fd;
}

/*
 * One listener, by default on INADDR_ANY: the client's MP_JOIN goes to the
 * announced address with the connection's port, and must find a listener
 * there too. An IPv6 listener on :: takes IPv4 too (IPv4-mapped).
 */
int server_listen(struct run *r)
{
	const struct sockaddr *sa = (const struct sockaddr *)&r->listen.ss;
	char a[INET6_ADDRSTRLEN + 8];
	int one = 1, zero = 0;

	r->lfd = mptcp_socket(r, "server", sa->sa_family);
	if (r->lfd < 0)
		return r->lfd;
	if (setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(r->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0) ||
	    bind(r->lfd, sa, r->listen.len) < 0 || listen(r->lfd, 16) < 0)
		return fail(r, EXIT_SETUP, -errno, "server: listen on %s: %s",
			    tg_addr_str(&r->listen, a, sizeof(a)), strerror(errno));
	if (r->listener_events)
		return expect_add(r, &r->srv, TG_EV_LISTENER_CREATED, 0);
	return 0;
}

/* Open /proc/net/@name of the current netns into @fd. */
int proc_open(struct run *r, const struct side *s, const char *name, int *fd)
{
	*fd = obs_proc_net_open(name);
	if (*fd < 0)
		return fail(r, EXIT_SETUP, *fd, "%s: /proc/self/net/%s: %s", s->name, name,
			    strerror(-*fd));
	return 0;
}

/*
 * The msks of the server's (@server) or the client's netns: those in the kernel's token table
 * (sock_diag), which a closed msk leaves only when it is destroyed; /proc/net/protocols' count,
 * which drops earlier, where sock_diag has no MPTCP (no mptcp_diag).
 */
int msks_read(struct run *r, int server, unsigned int *msks)
{
	const char *who = server ? "server" : "client";
	int fd = server ? r->srv_diag_fd : r->cli_diag_fd;
	int err;

	if (fd >= 0) {
		err = obs_msks_count(fd, msks);
		if (err)
			return fail(r, EXIT_SETUP, err, "%s: MPTCP sock_diag: %s", who,
				    strerror(-err));
		return 0;
	}
	err = obs_inuse_read(server ? r->srv_inuse_fd : r->cli_inuse_fd, msks);
	if (err)
		return fail(r, EXIT_SETUP, err, "%s: MPTCP row of /proc/net/protocols: %s", who,
			    strerror(-err));
	return 0;
}

/* Each netns' sock_diag socket, when it answers for MPTCP (else msks_read() uses the count) */
static void diag_open(struct run *r, int *fd)
{
	unsigned int n;
	int err;

	*fd = obs_diag_open();
	err = *fd < 0 ? *fd : obs_msks_count(*fd, &n);
	if (!err)
		return;
	vlog(r, "MPTCP sock_diag: %s: counting msks in /proc/net/protocols", strerror(-err));
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int mib_read(struct run *r, int fd, const char *who, const char *name, __u64 *val)
{
	int err = obs_mib_read(fd, name, val);

	if (err)
		return fail(r, EXIT_SETUP, err, "%s: MIB MPTcpExt %s: %s", who, name,
			    strerror(-err));
	return 0;
}

void tg_addr_set(struct tg_addr *a, int family, const void *addr, unsigned short port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, addr, sizeof(in->sin_addr));
		a->len = sizeof(*in);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, addr, sizeof(in6->sin6_addr));
		a->len = sizeof(*in6);
	}
}

/* "10.0.1.1:10100", "[fd00:1::1]:10100" */
const char *tg_addr_str(const struct tg_addr *a, char *buf, size_t size)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
	char s[INET6_ADDRSTRLEN] = "?";

	if (in->sin_family == AF_INET) {
		inet_ntop(AF_INET, &in->sin_addr, s, sizeof(s));
		snprintf(buf, size, "%s:%u", s, ntohs(in->sin_port));
	} else {
		inet_ntop(AF_INET6, &in6->sin6_addr, s, sizeof(s));
		snprintf(buf, size, "[%s]:%u", s, ntohs(in6->sin6_port));
	}
	return buf;
}

static int run_setup(struct run *r)
{
	const char *how;
	int err;

	r->listener_events = obs_listener_events(&how);
	vlog(r, "listener events: %s (%s)", r->listener_events ? "yes" : "no", how);

	err = side_open(r, &r->srv, env.server_ns);
	if (!err)
		err = side_open(r, &r->cli, env.client_ns);
	if (!err)
		err = side_enter(r, &r->srv, env.server_ns);
	if (!err)
		err = side_pm_init(r, &r->srv);
	if (!err)
		err = server_listen(r);
	if (!err)
		err = proc_open(r, &r->srv, "protocols", &r->srv_inuse_fd);
	if (!err)
		err = proc_open(r, &r->srv, "netstat", &r->srv_mib_fd);
	if (!err)
		diag_open(r, &r->srv_diag_fd);
	if (!err)
		err = side_enter(r, &r->cli, env.client_ns);
	if (!err)
		err = side_pm_init(r, &r->cli);
	/* opened while in the client netns: they read the client's counters */
	if (!err)
		err = proc_open(r, &r->cli, "netstat", &r->mib_fd);
	if (!err)
		err = proc_open(r, &r->cli, "protocols", &r->cli_inuse_fd);
	if (!err)
		diag_open(r, &r->cli_diag_fd);
	/* the counts of sock_diag and /proc/net/protocols differ: one source for both sides */
	if (!err && (r->srv_diag_fd < 0) != (r->cli_diag_fd < 0)) {
		close(r->srv_diag_fd >= 0 ? r->srv_diag_fd : r->cli_diag_fd);
		r->srv_diag_fd = r->cli_diag_fd = -1;
	}
	if (!err)
		err = msks_read(r, 1, &r->srv_base);
	if (!err)
		err = msks_read(r, 0, &r->cli_base);
	if (err)
		return err;
	vlog(r, "server netns %llu, client netns %llu, port %u", r->srv.ino, r->cli.ino, env.port);
	return 0;
}

/* ---- waiting ------------------------------------------------------------ */

/*
 * Path-manager steps run in the kernel's workqueue and softirqs with nothing
 * for userspace to poll on, so re-check the condition with a short backoff
 * until it holds or the step's deadline passes.
 */
int poll_until(struct run *r, struct conn *c, cond_fn cond, char *state, size_t len)
{
	long long deadline = now_ms() + env.timeout_ms;
	int delay = 1, ret;

	for (;;) {
		ret = cond(r, c, state, len);
		if (ret)
			return ret;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, delay);
		if (delay < 8)
			delay *= 2;
	}
}

int wait_until(struct run *r, struct conn *c, cond_fn cond, const char *what)
{
	char state[160] = "";
	int ret = poll_until(r, c, cond, state, sizeof(state));

	if (ret == -ETIMEDOUT)
		return fail(r, EXIT_TIMEOUT, ret, "conn %u: %s: not observed within %d ms (%s)",
			    c->idx, what, env.timeout_ms, state);
	if (ret < 0)
		return fail(r, EXIT_STEP, ret, "conn %u: %s: %s", c->idx, what, strerror(-ret));
	vlog(r, "conn %u: %s (%s)", c->idx, what, state);
	return 0;
}

/* ---- one connection ----------------------------------------------------- */

/* A non-blocking connect() from r->src to r->dst; it completes later */
int client_connect(struct run *r, struct conn *c)
{
	char a[INET6_ADDRSTRLEN + 8];

	c->cfd = mptcp_socket(r, "client", r->dst.ss.ss_family);
	if (c->cfd < 0)
		return c->cfd;
	/*
	 * --churn leaves the source to the route (10.0.1.2 all the same): a
	 * bound socket takes its port at bind(), where the ports still in
	 * TIME_WAIT from earlier cycles count as taken, and a long churn would
	 * run out of them.
	 */
	if (!env.churn_ms && bind(c->cfd, (struct sockaddr *)&r->src.ss, r->src.len) < 0)
		return fail(r, EXIT_SETUP, -errno, "client: bind %s: %s",
			    tg_addr_str(&r->src, a, sizeof(a)), strerror(errno));
	if (connect(c->cfd, (struct sockaddr *)&r->dst.ss, r->dst.len) < 0 && errno != EINPROGRESS)
		return fail(r, EXIT_STEP, -errno, "conn %u: connect to %s: %s", c->idx,
			    tg_addr_str(&r->dst, a, sizeof(a)), strerror(errno));
	return 0;
}

/* Complete the client's connect and the server's accept, in either order. */
int conn_open(struct run *r, struct conn *c)
{
	long long deadline = now_ms() + env.timeout_ms;
	int err = client_connect(r, c), soerr = 0;
	socklen_t len = sizeof(soerr);
	char a[INET6_ADDRSTRLEN + 8];

	if (err)
		return err;
	while (c->sfd < 0) {
		err = wait_fd(r->lfd, POLLIN, deadline);
		if (err)
			return fail(r, err == -ETIMEDOUT ? EXIT_TIMEOUT : EXIT_STEP, err,
				    "conn %u: server accept: %s", c->idx, strerror(-err));
		c->sfd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->sfd < 0 && errno != EAGAIN && errno != EINTR)
			return fail(r, EXIT_STEP, -errno, "conn %u: accept: %s", c->idx,
				    strerror(errno));
	}
	err = wait_fd(c->cfd, POLLOUT, deadline);
	if (!err && getsockopt(c->cfd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		err = -errno;
	if (!err)
		err = -soerr;
	if (err)
		return fail(r, err == -ETIMEDOUT ? EXIT_TIMEOUT : EXIT_STEP, err,
			    "conn %u: connect to %s: %s", c->idx,
			    tg_addr_str(&r->dst, a, sizeof(a)), strerror(-err));
	return 0;
}

/*
 * One round trip. The in-kernel PM announces addresses only on fully
 * established connections; data in both directions (DSS mappings and data
 * ACKs) makes both ends fully established, which is when each sends
 * ESTABLISHED.
 */
int conn_echo(struct run *r, struct conn *c)
{
	static const char ping[] = "mptcp-evlat trafgen ping";
	long long deadline = now_ms() + env.timeout_ms;
	char buf[sizeof(ping)];
	int err;

	err = send_all(c->cfd, ping, sizeof(ping), deadline);
	if (!err)
		err = recv_all(c->sfd, buf, sizeof(buf), deadline);
	if (!err)
		err = send_all(c->sfd, buf, sizeof(buf), deadline);
	if (!err)
		err = recv_all(c->cfd, buf, sizeof(buf), deadline);
	if (!err && memcmp(buf, ping, sizeof(ping)))
		err = -EBADMSG;
	if (err)
		return fail(r, err == -ETIMEDOUT ? EXIT_TIMEOUT : EXIT_STEP, err,
			    "conn %u: echo exchange: %s", c->idx, strerror(-err));
	return 0;
}

/* The msk's local token: what the events of that side carry. */
int msk_token(struct run *r, struct conn *c, int fd, const char *who, __u32 *token)
{
	struct mptcp_info mi;
	int err = obs_mptcp_info(fd, &mi);

	if (err)
		return fail(r, EXIT_STEP, err, "conn %u: %s MPTCP_INFO: %s", c->idx, who,
			    strerror(-err));
	if (mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK)
		return fail(r, EXIT_STEP, -EPROTO, "conn %u: %s fell back to plain TCP", c->idx,
			    who);
	if (!mi.mptcpi_token)
		return fail(r, EXIT_STEP, -EPROTO, "conn %u: %s has no MPTCP token", c->idx, who);
	*token = mi.mptcpi_token;
	return 0;
}

int conn_established(struct run *r, struct conn *c)
{
	int err = conn_open(r, c);

	if (!err)
		err = conn_echo(r, c);
	if (!err)
		err = msk_token(r, c, c->cfd, "client", &c->ctok);
	if (!err)
		err = msk_token(r, c, c->sfd, "server", &c->stok);
	if (err)
		return err;
	vlog(r, "conn %u: established, client token 0x%08x, server token 0x%08x", c->idx, c->ctok,
	     c->stok);
	err = expect_add(r, &r->cli, TG_EV_CREATED, c->ctok);
	if (!err)
		err = expect_add(r, &r->srv, TG_EV_CREATED, c->stok);
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_ESTABLISHED, c->ctok);
	if (!err)
		err = expect_add(r, &r->srv, TG_EV_ESTABLISHED, c->stok);
	return err;
}

/* Both msks' subflow counts, and how many are TCP_ESTABLISHED. */
int both_subflows(struct conn *c, struct obs_subflows *cs, struct obs_subflows *ss)
{
	int err = obs_subflows(c->cfd, cs);

	return err ? err : obs_subflows(c->sfd, ss);
}

int join_done(struct run *r, struct conn *c, char *state, size_t len)
{
	struct obs_subflows cs, ss;
	struct mptcp_info mi;
	int err;

	(void)r;
	err = obs_mptcp_info(c->cfd, &mi);
	if (!err)
		err = both_subflows(c, &cs, &ss);
	if (err)
		return err;
	snprintf(state, len,
		 "client add_addr_accepted %u, subflows established: client %u/%u, server %u/%u",
		 mi.mptcpi_add_addr_accepted, cs.established, cs.count, ss.established, ss.count);
	/*
	 * add_addr_accepted counts the ADD_ADDR the client acted on, so it was
	 * received; a join is in the list from its SYN on, so also require that
	 * both ends' second subflow has reached ESTABLISHED.
	 */
	return mi.mptcpi_add_addr_accepted >= 1 && cs.count == 2 && cs.established == 2 &&
	       ss.count == 2 && ss.established == 2;
}

void ntop(const struct in_addr *a, char buf[INET_ADDRSTRLEN])
{
	if (!inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN))
		strcpy(buf, "?");
}

/* The join must run over the second pair, from the client's B to the server's B. */
static int join_check_addrs(struct run *r, struct conn *c)
{
	char loc[INET_ADDRSTRLEN] = "?", rem[INET_ADDRSTRLEN] = "?";
	char want_loc[INET_ADDRSTRLEN], want_rem[INET_ADDRSTRLEN];
	struct obs_addrs a;
	int err = obs_subflow_addrs(c->cfd, &a);

	if (err)
		return fail(r, EXIT_STEP, err, "conn %u: MPTCP_SUBFLOW_ADDRS: %s", c->idx,
			    strerror(-err));
	if (a.count == 2 && a.remote[1].in.sin_addr.s_addr == env.srv[1].s_addr &&
	    a.local[1].in.sin_addr.s_addr == env.cli[1].s_addr)
		return 0;
	if (a.count >= 2) {
		ntop(&a.local[1].in.sin_addr, loc);
		ntop(&a.remote[1].in.sin_addr, rem);
	}
	ntop(&env.cli[1], want_loc);
	ntop(&env.srv[1], want_rem);
	return fail(r, EXIT_STEP, -EPROTO, "conn %u: %u subflows, join %s -> %s, want %s -> %s",
		    c->idx, a.count, loc, rem, want_loc, want_rem);
}

struct pm_endpoint signal_endpoint(__u32 extra_flags)
{
	return (struct pm_endpoint){
		.addr = env.srv[1],
		.id = TG_SIGNAL_ID,
		.flags = MPTCP_PM_ADDR_FLAG_SIGNAL | extra_flags,
	};
}

/*
 * A signal endpoint added while the connection is up is announced to every
 * fully established msk at once. The client emits ANNOUNCED on reception and
 * its PM joins; each end emits SUB_ESTABLISHED in mptcp_finish_join().
 */
int conn_join(struct run *r, struct conn *c)
{
	struct pm_endpoint ep = signal_endpoint(0);
	int err = pm_genl_add_addr(&r->srv.pm, &ep);

	if (err)
		return fail(r, EXIT_SETUP, err, "server: ADD_ADDR %s id %u: %s", inet_ntoa(ep.addr),
			    ep.id, pm_why(&r->srv.pm, err));
	err = wait_until(r, c, join_done, "ADD_ADDR received and join established");
	if (!err)
		err = join_check_addrs(r, c);
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_ANNOUNCED, c->ctok);
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_SUB_ESTABLISHED, c->ctok);
	if (!err)
		err = expect_add(r, &r->srv, TG_EV_SUB_ESTABLISHED, c->stok);
	return err;
}

static int prio_done(struct run *r, struct conn *c, char *state, size_t len)
{
	__u64 rx;
	int err = obs_mib_read(r->mib_fd, TG_MIB_PRIO_RX, &rx);

	if (err)
		return err;
	snprintf(state, len, "client MPTcpExt " TG_MIB_PRIO_RX " %llu, was %llu",
		 (unsigned long long)rx, (unsigned long long)c->prio_base);
	return rx > c->prio_base;
}

/*
 * Marking the endpoint backup makes the server send MP_PRIO on the subflows
 * that use its address. Only the receiver emits SUB_PRIORITY, from
 * mptcp_pm_mp_prio_received(); the sender emits nothing. No socket option
 * shows a subflow's backup bit, so the client netns' MPPrioRx counter is the
 * witness: nothing else in that netns exchanges MPTCP options.
 */
static int conn_prio(struct run *r, struct conn *c)
{
	struct pm_endpoint ep = signal_endpoint(MPTCP_PM_ADDR_FLAG_BACKUP);
	int err = obs_mib_read(r->mib_fd, TG_MIB_PRIO_RX, &c->prio_base);

	if (err)
		return fail(r, EXIT_SETUP, err, "client: MIB " TG_MIB_PRIO_RX ": %s",
			    strerror(-err));
	err = pm_genl_set_flags(&r->srv.pm, &ep);
	if (err)
		return fail(r, EXIT_SETUP, err, "server: SET_FLAGS backup on id %u: %s", ep.id,
			    pm_why(&r->srv.pm, err));
	err = wait_until(r, c, prio_done, "MP_PRIO received");
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_SUB_PRIORITY, c->ctok);
	return err;
}

int remove_done(struct run *r, struct conn *c, char *state, size_t len)
{
	struct obs_subflows cs, ss;
	struct mptcp_info mi;
	int err;

	(void)r;
	err = obs_mptcp_info(c->cfd, &mi);
	if (!err)
		err = both_subflows(c, &cs, &ss);
	if (err)
		return err;
	snprintf(state, len, "client add_addr_accepted %u, subflows: client %u, server %u",
		 mi.mptcpi_add_addr_accepted, cs.count, ss.count);
	/*
	 * The client decrements add_addr_accepted only when an RM_ADDR it
	 * received removed a subflow: so REMOVED was sent and, the msk being
	 * established, so was that subflow's SUB_CLOSED.
	 */
	return mi.mptcpi_add_addr_accepted == 0 && cs.count == 1 && ss.count == 1;
}

/*
 * Deleting the endpoint sends RM_ADDR and closes the server's own subflows
 * on it (SUB_CLOSED, server); the client emits REMOVED on reception and its
 * PM closes the join (SUB_CLOSED, client). Both msks are still established,
 * which SUB_CLOSED requires.
 */
int conn_remove(struct run *r, struct conn *c)
{
	struct pm_endpoint ep = signal_endpoint(MPTCP_PM_ADDR_FLAG_BACKUP);
	int err = pm_genl_del_addr(&r->srv.pm, &ep);

	if (err)
		return fail(r, EXIT_SETUP, err, "server: DEL_ADDR id %u: %s", ep.id,
			    pm_why(&r->srv.pm, err));
	err = wait_until(r, c, remove_done, "RM_ADDR received and join closed");
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_REMOVED, c->ctok);
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_SUB_CLOSED, c->ctok);
	if (!err)
		err = expect_add(r, &r->srv, TG_EV_SUB_CLOSED, c->stok);
	return err;
}

/* close() of an msk with a token sends CLOSED synchronously, in __mptcp_close(). */
int conn_close(struct run *r, struct conn *c)
{
	int err = 0;

	if (close(c->cfd) < 0)
		err = fail(r, EXIT_STEP, -errno, "conn %u: client close: %s", c->idx,
			   strerror(errno));
	c->cfd = -1;
	if (!err)
		err = expect_add(r, &r->cli, TG_EV_CLOSED, c->ctok);
	if (close(c->sfd) < 0 && !err)
		err = fail(r, EXIT_STEP, -errno, "conn %u: server close: %s", c->idx,
			   strerror(errno));
	c->sfd = -1;
	if (!err)
		err = expect_add(r, &r->srv, TG_EV_CLOSED, c->stok);
	return err;
}

static int quiet_done(struct run *r, struct conn *c, char *state, size_t len)
{
	unsigned int srv, cli;
	int err = msks_read(r, 1, &srv);

	(void)c;
	if (!err)
		err = msks_read(r, 0, &cli);
	if (err)
		return err;
	snprintf(state, len, "msks (%s): server %u (idle %u), client %u (idle %u)",
		 r->srv_diag_fd >= 0 ? "sock_diag" : "/proc/net/protocols", srv, r->srv_base, cli,
		 r->cli_base);
	return srv <= r->srv_base && cli <= r->cli_base;
}

/*
 * A closed msk lives on, orphaned, until the DATA_FIN exchange ends, and the
 * in-kernel PM announces a new signal endpoint to every fully established
 * msk of the netns: had the next connection started at once, its ADD_ADDR
 * would reach the previous connection too (seen on 6.18: a second ANNOUNCED
 * for a token after its CLOSED). So wait for the msks to be destroyed: gone
 * from the token table the PM walks (sock_diag). /proc/net/protocols' count
 * drops before that (6.1.192 guests, 2026-12-02: the same second ANNOUNCED,
 * 2 ms after the CLOSED, with the count already back to idle). This
 * only keeps the per-connection event counts exact; the listed events do not
 * depend on it, so a timeout warns and takes the current count as idle.
 */
int conn_quiesce(struct run *r, struct conn *c)
{
	char state[160] = "";
	unsigned int srv, cli;
	int ret = poll_until(r, c, quiet_done, state, sizeof(state));

	if (ret > 0) {
		vlog(r, "conn %u: closed, msks destroyed (%s)", c->idx, state);
		return 0;
	}
	if (ret != -ETIMEDOUT)
		return fail(r, EXIT_STEP, ret, "conn %u: /proc/net/protocols: %s", c->idx,
			    strerror(-ret));
	fprintf(stderr, "trafgen: warning: conn %u: msks not destroyed within %d ms (%s)\n", c->idx,
		env.timeout_ms, state);
	ret = msks_read(r, 1, &srv);
	if (!ret)
		ret = msks_read(r, 0, &cli);
	r->srv_base = srv;
	r->cli_base = cli;
	return ret;
}

static int run_conn(struct run *r, unsigned int idx)
{
	struct conn c = { .idx = idx, .cfd = -1, .sfd = -1 };
	int err;

	err = conn_established(r, &c);
	if (!err)
		err = conn_join(r, &c);
	if (!err)
		err = conn_prio(r, &c);
	if (!err)
		err = conn_remove(r, &c);
	if (!err)
		err = conn_close(r, &c);
	if (!err)
		return conn_quiesce(r, &c);
	if (c.cfd >= 0)
		close(c.cfd);
	if (c.sfd >= 0)
		close(c.sfd);
	return err;
}

int listener_close(struct run *r)
{
	int fd = r->lfd;

	r->lfd = -1;
	if (close(fd) < 0)
		return fail(r, EXIT_STEP, -errno, "server: close listener: %s", strerror(errno));
	if (r->listener_events)
		return expect_add(r, &r->srv, TG_EV_LISTENER_CLOSED, 0);
	return 0;
}

static void run_cleanup(struct run *r)
{
	/* leave no endpoint behind: a rerun in the same namespaces starts clean */
	if (r->srv.pm.fd >= 0)
		pm_genl_flush_addrs(&r->srv.pm);
	if (r->cli.pm.fd >= 0)
		pm_genl_flush_addrs(&r->cli.pm);
	pm_genl_close(&r->srv.pm);
	pm_genl_close(&r->cli.pm);
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->mib_fd >= 0)
		close(r->mib_fd);
	if (r->srv_mib_fd >= 0)
		close(r->srv_mib_fd);
	if (r->srv_inuse_fd >= 0)
		close(r->srv_inuse_fd);
	if (r->cli_inuse_fd >= 0)
		close(r->cli_inuse_fd);
	if (r->srv_diag_fd >= 0)
		close(r->srv_diag_fd);
	if (r->cli_diag_fd >= 0)
		close(r->cli_diag_fd);
	if (r->srv.nsfd >= 0)
		close(r->srv.nsfd);
	if (r->cli.nsfd >= 0)
		close(r->cli.nsfd);
	free(r->ev);
}

/* ---- command line ------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: trafgen --server-netns PATH --client-netns PATH [--server-addr A,B]\n"
		"               [--client-addr A,B] [--port N] [--conns N] [--expect FILE]\n"
		"               [--timeout MS] [-v]\n"
		"       trafgen ... --scenario NAME [--server-addr6 A,B] [--client-addr6 A,B]\n"
		"               [--expect FILE]\n"
		"       trafgen --server-netns PATH --client-netns PATH --churn SECONDS\n"
		"               [--subflows] [--rate CONNS_PER_S] [--sink]\n"
		"               [--churn-failures PERCENT] [address, port, timeout options]\n"
		"Drive MPTCP between two network namespaces so that every path-manager event\n"
		"type is emitted; with --expect, write one line per event the run caused:\n"
		"  expect netns=<inode> event=<name> token=0x<local token, 8 hex digits>\n"
		"--scenario: one connection through a failure mode instead (below); the\n"
		"events it lists are those each side's kernel was seen to emit for it.\n"
		"--churn: benchmark, connect/accept/echo/close cycles back to back for SECONDS\n"
		"(--subflows: each also gets an ADD_ADDR and a join; --rate: pace the cycles;\n"
		"--sink: a client-side listener of the events that is read only afterwards;\n"
		"--churn-failures: that percentage of the connections ends in a failure:\n"
		"a reset join (ss -K), a peer reset or an abort with SO_LINGER 0),\n"
		"then one line: churn conns=N seconds=S rate=R/s events=E (E: events the kernel\n"
		"emitted for them, both namespaces)\n"
		"Defaults: server 10.0.1.1,10.0.2.1  client 10.0.1.2,10.0.2.2\n"
		"          server6 fd00:1::1,fd00:2::1  client6 fd00:1::2,fd00:2::2  port %u\n"
		"          conns 1  timeout %d ms per step\n"
		"Exit: 0 ok, 1 usage, 2 setup error, 3 step not observed in time, 4 step failed\n",
		TG_DEFAULT_PORT, TG_DEFAULT_TIMEOUT_MS);
	scenario_usage(f);
}

/* "A,B": two different addresses of @family into @out (2 x @size bytes) */
static int parse_pair(const char *arg, int family, void *out, size_t size)
{
	char buf[2 * INET6_ADDRSTRLEN + 1], *comma;
	char *o = out;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	comma = strchr(buf, ',');
	if (!comma)
		return -EINVAL;
	*comma = '\0';
	if (inet_pton(family, buf, o) != 1 || inet_pton(family, comma + 1, o + size) != 1)
		return -EINVAL;
	return memcmp(o, o + size, size) ? 0 : -EINVAL;
}

static int parse_uint(const char *arg, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_secs(const char *arg, long long *ms)
{
	char *end;
	double secs;

	errno = 0;
	secs = strtod(arg, &end);
	if (errno || end == arg || *end || !(secs >= 0.1 && secs <= 86400))
		return -EINVAL;
	*ms = (long long)(secs * 1000);
	return 0;
}

/* the options that take a number */
static int parse_num_opt(int opt, const char *arg)
{
	unsigned long v;
	int err;

	switch (opt) {
	case 'p':
		err = parse_uint(arg, 1, 65535, &v);
		env.port = v;
		return err;
	case 'n':
		err = parse_uint(arg, 1, 1000000, &v);
		env.conns = v;
		return err;
	case 't':
		err = parse_uint(arg, 1, 600000, &v);
		env.timeout_ms = v;
		return err;
	case 'r':
		err = parse_uint(arg, 1, 1000000, &v);
		env.rate = v;
		return err;
	case 'F':
		err = parse_uint(arg, 1, 100, &v);
		env.churn_failures = v;
		return err;
	case 'u':
		return parse_secs(arg, &env.churn_ms);
	}
	return -EINVAL;
}

static int parse_opt(int opt, const char *arg)
{
	switch (opt) {
	case 'S':
		env.server_ns = arg;
		return 0;
	case 'C':
		env.client_ns = arg;
		return 0;
	case 's':
		return parse_pair(arg, AF_INET, env.srv, sizeof(env.srv[0]));
	case 'c':
		return parse_pair(arg, AF_INET, env.cli, sizeof(env.cli[0]));
	case '6':
		return parse_pair(arg, AF_INET6, env.srv6, sizeof(env.srv6[0]));
	case '7':
		return parse_pair(arg, AF_INET6, env.cli6, sizeof(env.cli6[0]));
	case 'e':
		env.expect = arg;
		return 0;
	case 'x':
		env.scenario = arg;
		return scenario_known(arg) ? 0 : -EINVAL;
	case 'f':
		env.churn_subflows = 1;
		return 0;
	case 'k':
		env.churn_sink = 1;
		return 0;
	case 'v':
		env.verbose = 1;
		return 0;
	case 'h':
		usage(stdout);
		exit(EXIT_OK);
	}
	return parse_num_opt(opt, arg);
}

static void default_addrs(void)
{
	inet_pton(AF_INET, "10.0.1.1", &env.srv[0]);
	inet_pton(AF_INET, "10.0.2.1", &env.srv[1]);
	inet_pton(AF_INET, "10.0.1.2", &env.cli[0]);
	inet_pton(AF_INET, "10.0.2.2", &env.cli[1]);
	inet_pton(AF_INET6, "fd00:1::1", &env.srv6[0]);
	inet_pton(AF_INET6, "fd00:2::1", &env.srv6[1]);
	inet_pton(AF_INET6, "fd00:1::2", &env.cli6[0]);
	inet_pton(AF_INET6, "fd00:2::2", &env.cli6[1]);
}

/* the combinations that make no sense */
static int check_args(void)
{
	/* --churn lists no expectations: thousands of tokens, and events= says how many */
	if (!env.churn_ms &&
	    (env.churn_subflows || env.rate || env.churn_sink || env.churn_failures))
		return -EINVAL;
	if (env.churn_ms && (env.expect || env.scenario))
		return -EINVAL;
	/* a scenario is one connection */
	if (env.scenario && env.conns != 1)
		return -EINVAL;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server-netns", required_argument, NULL, 'S' },
		{ "client-netns", required_argument, NULL, 'C' },
		{ "server-addr", required_argument, NULL, 's' },
		{ "client-addr", required_argument, NULL, 'c' },
		{ "server-addr6", required_argument, NULL, '6' },
		{ "client-addr6", required_argument, NULL, '7' },
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'n' },
		{ "expect", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "scenario", required_argument, NULL, 'x' },
		{ "churn", required_argument, NULL, 'u' },
		{ "subflows", no_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "sink", no_argument, NULL, 'k' },
		{ "churn-failures", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, err = 0;

	default_addrs();
	while (!err && (opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1)
		err = parse_opt(opt, optarg);
	if (!err && (optind != argc || !env.server_ns || !env.client_ns))
		err = -EINVAL;
	if (!err)
		err = check_args();
	if (err)
		usage(stderr);
	return err;
}

/* A failed run must not leave an older run's expectations behind. */
static int expect_truncate(struct run *r)
{
	int fd;

	if (!env.expect)
		return 0;
	fd = open(env.expect, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(r, EXIT_SETUP, -errno, "%s: %s", env.expect, strerror(errno));
	close(fd);
	return 0;
}

/* The default addresses: listener on INADDR_ANY, client cli[0] -> srv[0] */
static void run_addrs(struct run *r)
{
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) };

	tg_addr_set(&r->listen, AF_INET, &any, env.port);
	tg_addr_set(&r->src, AF_INET, &env.cli[0], 0);
	tg_addr_set(&r->dst, AF_INET, &env.srv[0], env.port);
}

/* --conns connections of the default scenario, or the --scenario */
static int run_conns(struct run *r)
{
	unsigned int i;
	int err = 0;

	if (env.scenario)
		return scenario_run(r);
	for (i = 1; !err && i <= env.conns; i++)
		err = run_conn(r, i);
	return err;
}

int main(int argc, char **argv)
{
	struct run r = {
		.srv = { .name = "server", .nsfd = -1, .pm.fd = -1 },
		.cli = { .name = "client", .nsfd = -1, .pm.fd = -1 },
		.lfd = -1,
		.mib_fd = -1,
		.srv_mib_fd = -1,
		.srv_inuse_fd = -1,
		.cli_inuse_fd = -1,
		.srv_diag_fd = -1,
		.cli_diag_fd = -1,
	};
	int err;

	/* trafgen pm ...: the scenarios of other path managers (pm_scen.c) */
	if (argc > 1 && !strcmp(argv[1], "pm"))
		return pm_scen_main(argc - 1, argv + 1);
	if (parse_args(argc, argv))
		return EXIT_USAGE;
	r.t0 = now_ms();
	run_addrs(&r);
	err = expect_truncate(&r);
	if (!err && env.scenario)
		err = scenario_prepare(&r);
	if (!err)
		err = run_setup(&r);
	if (!err && env.churn_ms) {
		err = run_churn(&r);
		run_cleanup(&r);
		return err ? (r.code ? r.code : EXIT_STEP) : EXIT_OK;
	}
	if (!err)
		err = run_conns(&r);
	if (!err)
		err = listener_close(&r);
	if (!err)
		err = expect_write(&r);
	if (!err)
		vlog(&r, "%u connection(s), %zu events expected", env.conns, r.nev);
	if (env.scenario)
		scenario_cleanup(&r);
	run_cleanup(&r);
	if (err && !r.code)
		r.code = EXIT_STEP;
	return err ? r.code : EXIT_OK;
}
