// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trafgen pm --scenario NAME: one connection between the two namespaces for
 * a path manager that is not trafgen's own in-kernel one, and the list of
 * events the run caused (--expect, the format of trafgen's main mode).
 *
 *   sspi      the server's path manager is Debian's mptcpd with its sspi
 *             plugin (started by the caller, net.mptcp.pm_type=1 there).
 *             The client's in-kernel PM has one "subflow" endpoint, so it
 *             joins from its second address to the server's first: a second
 *             subflow on the server interface the connection already uses,
 *             which sspi closes with MPTCP_PM_CMD_SUBFLOW_DESTROY.
 *               connect, one echo    CREATED, ESTABLISHED      both sides
 *               the join             SUB_ESTABLISHED           both sides
 *               sspi's DESTROY       SUB_CLOSED (server: in the command,
 *                                    client: on the server's FIN) both sides
 *               close both ends      CLOSED                    both sides
 *   addr_adv  the client's path manager is mptcpd with addr_adv (started by
 *             the caller with --addr-flags=subflow): its endpoints make the
 *             client's in-kernel PM join from its second address.
 *               connect, one echo    CREATED, ESTABLISHED      both sides
 *               the join             SUB_ESTABLISHED           both sides
 *               close both ends      CLOSED                    both sides
 * and LISTENER_CREATED / LISTENER_CLOSED on the server (6.2+).
 *
 * As in trafgen's main mode, no step is assumed: each is observed (MPTCP_INFO,
 * MPTCP_TCPINFO, the namespaces' MIB counters) within --timeout before its
 * events are listed. Exit codes are trafgen's.
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

#include "mptcp_compat.h"
#include "mptcp_obs.h"
#include "pm_genl.h"
#include "pm_scen.h"

static const char *const scen_names[PS_SCEN_MAX] = {
	[PS_SSPI] = "sspi",
	[PS_ADDR_ADV] = "addr_adv",
	[PS_UPM] = "upm",
};

void ps_log(const struct ps_run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->verbose)
		return;
	va_start(ap, fmt);
	tg_vsay("trafgen pm", r->t0, fmt, ap);
	va_end(ap);
}

/* Report a failure once, remember its exit code, return @err. */
int ps_fail(struct ps_run *r, int code, int err, const char *fmt, ...)
{
	va_list ap;

	if (r->code)
		return err;
	r->code = code;
	va_start(ap, fmt);
	tg_vsay("trafgen pm", -1, fmt, ap);
	va_end(ap);
	return err;
}

void ps_expect(struct ps_run *r, const struct ps_side *s, enum tg_event ev, __u32 token)
{
	fprintf(r->exp, "expect netns=%llu event=%s token=0x%08x\n", s->ino, tg_event_name(ev),
		token);
}

/* ---- namespaces, sockets ------------------------------------------------ */

static int side_open(struct ps_run *r, struct ps_side *s)
{
	struct stat st;

	s->nsfd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (s->nsfd < 0 || fstat(s->nsfd, &st) < 0)
		return ps_fail(r, PS_EXIT_SETUP, -errno, "%s netns %s: %s", s->name, s->path,
			       strerror(errno));
	s->ino = st.st_ino;
	return 0;
}

/* Enter the side's netns and open what belongs to it there: genl, MIB, sockets in use. */
static int side_enter(struct ps_run *r, struct ps_side *s)
{
	int err;

	if (setns(s->nsfd, CLONE_NEWNET) < 0)
		return ps_fail(r, PS_EXIT_SETUP, -errno, "setns into %s: %s", s->path,
			       strerror(errno));
	if (s->pm.fd >= 0)
		return 0;
	err = pm_genl_open(&s->pm);
	if (err)
		return ps_fail(r, PS_EXIT_SETUP, err, "%s: mptcp_pm genl: %s", s->name,
			       strerror(-err));
	s->mib_fd = obs_proc_net_open("netstat");
	s->inuse_fd = obs_proc_net_open("protocols");
	if (s->mib_fd < 0 || s->inuse_fd < 0)
		return ps_fail(r, PS_EXIT_SETUP, -EIO, "%s: /proc/self/net: %s", s->name,
			       strerror(errno));
	return 0;
}

/* MPTCP sockets in use before the connection (the listener among them) */
static int side_idle(struct ps_run *r, struct ps_side *s)
{
	int err = obs_inuse_read(s->inuse_fd, &s->idle);

	if (err)
		return ps_fail(r, PS_EXIT_SETUP, err, "%s: /proc/net/protocols: %s", s->name,
			       strerror(-err));
	return 0;
}

/* The in-kernel PM of @s: no endpoint, these limits */
int ps_side_limits(struct ps_run *r, struct ps_side *s, __u32 accepted, __u32 subflows)
{
	int err = pm_genl_flush_addrs(&s->pm);

	if (!err)
		err = pm_genl_set_limits(&s->pm, accepted, subflows);
	if (err)
		return ps_fail(r, PS_EXIT_SETUP, err, "%s: FLUSH_ADDRS/SET_LIMITS: %s", s->name,
			       pm_why(&s->pm, err));
	return 0;
}

static int mptcp_socket(struct ps_run *r, const char *who)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_MPTCP);

	if (fd < 0)
		return ps_fail(r, PS_EXIT_SETUP, -errno, "%s: MPTCP socket: %s", who,
			       strerror(errno));
	return fd;
}

/* On every address: joins come to the announced address and the first one alike. */
static int server_listen(struct ps_run *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(r->port) };
	int one = 1;

	r->lfd = mptcp_socket(r, "server");
	if (r->lfd < 0)
		return r->lfd;
	if (setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(r->lfd, 4) < 0)
		return ps_fail(r, PS_EXIT_SETUP, -errno, "server: listen on port %u: %s", r->port,
			       strerror(errno));
	if (r->listener_events)
		ps_expect(r, &r->s, TG_EV_LISTENER_CREATED, 0);
	return 0;
}

/* connect() from the client's first address, accept() on the server, in either order */
static int conn_open(struct ps_run *r)
{
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr = r->cli[0] };
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(r->port),
				   .sin_addr = r->srv[0] };
	long long deadline = now_ms() + r->timeout_ms;
	int err = 0, soerr = 0;
	socklen_t len = sizeof(soerr);

	r->cfd = mptcp_socket(r, "client");
	if (r->cfd < 0)
		return r->cfd;
	if (bind(r->cfd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    (connect(r->cfd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS))
		return ps_fail(r, PS_EXIT_STEP, -errno, "connect: %s", strerror(errno));
	while (!err && r->sfd < 0) {
		err = wait_fd(r->lfd, POLLIN, deadline);
		if (!err)
			r->sfd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (!err && r->sfd < 0 && errno != EAGAIN && errno != EINTR)
			err = -errno;
	}
	if (!err)
		err = wait_fd(r->cfd, POLLOUT, deadline);
	if (!err && getsockopt(r->cfd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		err = -errno;
	if (!err)
		err = -soerr;
	if (err)
		return ps_fail(r, err == -ETIMEDOUT ? PS_EXIT_TIMEOUT : PS_EXIT_STEP, err,
			       "connect/accept: %s", strerror(-err));
	return 0;
}

/* One round trip: data both ways makes both ends fully established (ESTABLISHED). */
static int conn_echo(struct ps_run *r)
{
	char ping[] = "mptcp-evlat trafgen pm ping", buf[sizeof(ping)];
	long long deadline = now_ms() + r->timeout_ms;
	int err = send_all(r->cfd, ping, sizeof(ping), deadline);

	if (!err)
		err = recv_all(r->sfd, buf, sizeof(buf), deadline);
	if (!err)
		err = send_all(r->sfd, buf, sizeof(buf), deadline);
	if (!err)
		err = recv_all(r->cfd, buf, sizeof(buf), deadline);
	if (!err && memcmp(buf, ping, sizeof(ping)))
		err = -EBADMSG;
	if (err)
		return ps_fail(r, err == -ETIMEDOUT ? PS_EXIT_TIMEOUT : PS_EXIT_STEP, err,
			       "echo: %s", strerror(-err));
	return 0;
}

static int msk_token(struct ps_run *r, int fd, const char *who, __u32 *token)
{
	struct mptcp_info mi;
	int err = obs_mptcp_info(fd, &mi);

	if (err)
		return ps_fail(r, PS_EXIT_STEP, err, "%s MPTCP_INFO: %s", who, strerror(-err));
	if ((mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK) || !mi.mptcpi_token)
		return ps_fail(r, PS_EXIT_STEP, -EPROTO, "%s fell back to TCP", who);
	*token = mi.mptcpi_token;
	return 0;
}

int ps_conn_established(struct ps_run *r)
{
	int err = conn_open(r);

	if (!err)
		err = conn_echo(r);
	if (!err)
		err = msk_token(r, r->cfd, "client", &r->ctok);
	if (!err)
		err = msk_token(r, r->sfd, "server", &r->stok);
	if (err)
		return err;
	ps_log(r, "established: client token 0x%08x, server token 0x%08x", r->ctok, r->stok);
	ps_expect(r, &r->c, TG_EV_CREATED, r->ctok);
	ps_expect(r, &r->s, TG_EV_CREATED, r->stok);
	ps_expect(r, &r->c, TG_EV_ESTABLISHED, r->ctok);
	ps_expect(r, &r->s, TG_EV_ESTABLISHED, r->stok);
	return 0;
}

/* ---- waiting ---------------------------------------------------------------- */

/* The PM works in softirqs and workqueues, with nothing to poll() on: look again, backing off. */
int ps_wait_cond(struct ps_run *r, ps_cond cond, const char *what)
{
	long long deadline = now_ms() + r->timeout_ms;
	char state[200] = "";
	int delay = 1, ret;

	while (!(ret = cond(r, state, sizeof(state)))) {
		if (now_ms() >= deadline)
			return ps_fail(r, PS_EXIT_TIMEOUT, -ETIMEDOUT,
				       "%s: not observed within %d ms (%s)", what, r->timeout_ms,
				       state);
		poll(NULL, 0, delay);
		delay = delay < 8 ? delay * 2 : delay;
	}
	if (ret < 0)
		return ps_fail(r, PS_EXIT_STEP, ret, "%s: %s", what, strerror(-ret));
	ps_log(r, "%s (%s)", what, state);
	return 0;
}

int ps_subflows(struct ps_run *r, struct obs_subflows *cs, struct obs_subflows *ss)
{
	int err = obs_subflows(r->cfd, cs);

	return err ? err : obs_subflows(r->sfd, ss);
}

/* sspi closed the join (RmSubflow counts the SUBFLOW_DESTROY), and both ends let it go */
static int join_destroyed(struct ps_run *r, char *state, size_t len)
{
	struct obs_subflows cs, ss;
	__u64 rm = 0;
	int err = obs_mib_read(r->s.mib_fd, "RmSubflow", &rm);

	if (!err)
		err = ps_subflows(r, &cs, &ss);
	if (err)
		return err;
	snprintf(state, len, "server RmSubflow %llu (was %llu), subflows: client %u, server %u",
		 (unsigned long long)rm, (unsigned long long)r->mib_base, cs.count, ss.count);
	return rm > r->mib_base && cs.count == 1 && ss.count == 1;
}

int ps_two_subflows(struct ps_run *r, char *state, size_t len)
{
	struct obs_subflows cs, ss;
	int err = ps_subflows(r, &cs, &ss);

	if (err)
		return err;
	snprintf(state, len, "subflows established: client %u/%u, server %u/%u", cs.established,
		 cs.count, ss.established, ss.count);
	return cs.count == 2 && cs.established == 2 && ss.count == 2 && ss.established == 2;
}

static int quiet(struct ps_run *r, char *state, size_t len)
{
	unsigned int s, c;
	int err = obs_inuse_read(r->s.inuse_fd, &s);

	if (!err)
		err = obs_inuse_read(r->c.inuse_fd, &c);
	if (err)
		return err;
	snprintf(state, len, "MPTCP sockets in use: server %u (idle %u), client %u (idle %u)", s,
		 r->s.idle, c, r->c.idle);
	return s <= r->s.idle && c <= r->c.idle;
}

/* close() sends CLOSED; the msks then live until the DATA_FIN exchange is over */
int ps_conn_close(struct ps_run *r)
{
	int cerr = close(r->cfd) ? -errno : 0, serr = close(r->sfd) ? -errno : 0;

	r->cfd = r->sfd = -1;
	if (cerr || serr)
		return ps_fail(r, PS_EXIT_STEP, cerr ? cerr : serr, "close: %s",
			       strerror(-(cerr ? cerr : serr)));
	ps_expect(r, &r->c, TG_EV_CLOSED, r->ctok);
	ps_expect(r, &r->s, TG_EV_CLOSED, r->stok);
	return ps_wait_cond(r, quiet, "both msks destroyed");
}

static int listener_close(struct ps_run *r)
{
	int err = close(r->lfd) ? -errno : 0;

	r->lfd = -1;
	if (err)
		return ps_fail(r, PS_EXIT_STEP, err, "close listener: %s", strerror(-err));
	if (r->listener_events)
		ps_expect(r, &r->s, TG_EV_LISTENER_CLOSED, 0);
	return 0;
}

/* ---- scenarios ---------------------------------------------------------------- */

/* sspi in the server: the client's endpoint joins to the server's first address */
static int scen_sspi(struct ps_run *r)
{
	struct pm_endpoint ep = { .addr = r->cli[1],
				  .id = PS_JOIN_ID,
				  .flags = MPTCP_PM_ADDR_FLAG_SUBFLOW };
	int err = ps_side_limits(r, &r->c, 0, 1);

	if (!err && (err = pm_genl_add_addr(&r->c.pm, &ep)))
		ps_fail(r, PS_EXIT_SETUP, err, "client: ADD_ADDR %s subflow: %s",
			inet_ntoa(ep.addr), pm_why(&r->c.pm, err));
	if (!err)
		err = obs_mib_read(r->s.mib_fd, "RmSubflow", &r->mib_base);
	if (!err)
		err = ps_conn_established(r);
	if (!err)
		err = ps_wait_cond(r, join_destroyed,
				   "join closed by the server's SUBFLOW_DESTROY");
	if (err)
		return err;
	ps_expect(r, &r->c, TG_EV_SUB_ESTABLISHED, r->ctok);
	ps_expect(r, &r->s, TG_EV_SUB_ESTABLISHED, r->stok);
	ps_expect(r, &r->s, TG_EV_SUB_CLOSED, r->stok);
	ps_expect(r, &r->c, TG_EV_SUB_CLOSED, r->ctok);
	return ps_conn_close(r);
}

/* addr_adv in the client: its endpoints make the join; the server accepts it */
static int scen_addr_adv(struct ps_run *r)
{
	int err = ps_conn_established(r);

	if (!err)
		err = ps_wait_cond(r, ps_two_subflows,
				   "join from the client's endpoint established");
	if (err)
		return err;
	ps_expect(r, &r->c, TG_EV_SUB_ESTABLISHED, r->ctok);
	ps_expect(r, &r->s, TG_EV_SUB_ESTABLISHED, r->stok);
	return ps_conn_close(r);
}

/* The server's namespace first (its listener), then the client's, where trafgen stays. */
static int ps_setup(struct ps_run *r)
{
	const char *how;
	int err;

	r->listener_events = obs_listener_events(&how);
	err = side_open(r, &r->s);
	if (!err)
		err = side_open(r, &r->c);
	if (!err)
		err = side_enter(r, &r->s);
	/*
	 * sspi's server is a userspace PM: its in-kernel limits do not apply.
	 * upm: joins come from the client, and an ADD_ADDR it sends is not acted
	 * on (add_addr_accepted 0): the server would join back to a client
	 * address with no listener.
	 */
	if (!err && r->scen != PS_SSPI)
		err = ps_side_limits(r, &r->s, 0, r->scen == PS_UPM ? 4 : 2);
	if (!err)
		err = server_listen(r);
	if (!err)
		err = side_enter(r, &r->c);
	if (!err)
		err = side_idle(r, &r->s);
	return err ? err : side_idle(r, &r->c);
}

static int ps_run_scenario(struct ps_run *r)
{
	int err = ps_setup(r);

	if (!err && r->scen == PS_SSPI)
		err = scen_sspi(r);
	else if (!err && r->scen == PS_ADDR_ADV)
		err = scen_addr_adv(r);
	else if (!err)
		err = ps_scen_upm(r);
	if (!err)
		err = listener_close(r);
	return err;
}

/* ---- command line ------------------------------------------------------------ */

/*
 * --genl-flood SECONDS: generic netlink requests back to back in the client's
 * namespace, none of them mptcp_pm's (the controller's GETFAMILY), for the
 * cost of a probe on genl_rcv_msg(), which runs for every one of them
 * (tests/vm/guest/bench.sh). One line: "genl requests=N seconds=S rate=R/s".
 */
static int ps_genl_flood(struct ps_run *r, double secs)
{
	long long t0, t1, end;
	unsigned long long n = 0;
	int err = side_open(r, &r->c);

	if (!err)
		err = side_enter(r, &r->c);
	if (err)
		return err;
	t0 = now_ms();
	end = t0 + (long long)(secs * 1000);
	do {
		err = pm_genl_lookup(&r->c.pm);
		n += !err;
	} while (!err && (n % 64 || now_ms() < end));
	t1 = now_ms();
	if (err)
		return ps_fail(r, PS_EXIT_STEP, err, "GETFAMILY: %s", strerror(-err));
	printf("genl requests=%llu seconds=%.3f rate=%.1f/s\n", n, (t1 - t0) / 1000.0,
	       n * 1000.0 / (t1 > t0 ? t1 - t0 : 1));
	return 0;
}

static void ps_usage(FILE *f)
{
	fprintf(f,
		"Usage: trafgen pm --server-netns PATH --client-netns PATH --scenario NAME\n"
		"                  [--expect FILE] [--commands FILE] [--port N] [--timeout MS] "
		"[-v]\n"
		"       trafgen pm --client-netns PATH --genl-flood SECONDS\n"
		"One connection for a path manager other than trafgen's in-kernel one:\n"
		"  sspi      mptcpd's sspi is the server's userspace PM (the caller starts it)\n"
		"  addr_adv  mptcpd's addr_adv sets the client's endpoints (the caller starts it)\n"
		"  upm       trafgen is the client's userspace PM (the caller sets pm_type=1 and\n"
		"            adds 10.0.2.3/24 to the client's second link)\n"
		"--expect: one line per event the run caused (trafgen's format).\n"
		"--genl-flood: generic netlink requests of another family (GETFAMILY) back to "
		"back,\n"
		"  then one line: genl requests=N seconds=S rate=R/s\n"
		"--commands (upm): one line per command trafgen sent as the path manager:\n"
		"  command netns=N cmd=NAME token=0xT result=0|-ERRNO effect=EVENT|none\n"
		"          peer=0|1 trigger=EVENT|none\n"
		"Addresses: server 10.0.1.1,10.0.2.1  client 10.0.1.2,10.0.2.2  port %u\n"
		"Exit: 0 ok, 1 usage, 2 setup error, 3 step not observed in time, 4 step failed\n",
		PS_PORT);
}

static int ps_scenario_by_name(const char *name)
{
	for (int i = 0; i < PS_SCEN_MAX; i++)
		if (!strcmp(name, scen_names[i]))
			return i;
	return -EINVAL;
}

/* A whole number in [@min, @max]: 0, or 1 when @arg is not one */
static int ps_num(const char *arg, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(arg, &end, 10);
	return errno || end == arg || *end || *out < min || *out > max;
}

/* One option into @r (@scen: the scenario's index): 0, or 1 when it is wrong */
static int ps_opt(struct ps_run *r, int opt, const char *arg, int *scen)
{
	char *end;
	long v = 0;
	int bad = 0;

	switch (opt) {
	case 'S':
		r->s.path = arg;
		break;
	case 'C':
		r->c.path = arg;
		break;
	case 'x':
		*scen = ps_scenario_by_name(arg);
		return *scen < 0;
	case 'e':
		r->expect = arg;
		break;
	case 'm':
		r->commands = arg;
		break;
	case 'p':
		bad = ps_num(arg, 1, 65535, &v);
		r->port = v;
		break;
	case 't':
		bad = ps_num(arg, 1, 600000, &v);
		r->timeout_ms = v;
		break;
	case 'g':
		r->flood_s = strtod(arg, &end);
		return *end || !(r->flood_s >= 0.1 && r->flood_s <= 3600);
	case 'v':
		r->verbose = 1;
		break;
	case 'h':
		ps_usage(stdout);
		exit(PS_EXIT_OK);
	default:
		return 1;
	}
	return bad;
}

static int ps_parse(struct ps_run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server-netns", required_argument, NULL, 'S' },
		{ "client-netns", required_argument, NULL, 'C' },
		{ "scenario", required_argument, NULL, 'x' },
		{ "expect", required_argument, NULL, 'e' },
		{ "commands", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "genl-flood", required_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, bad = 0, scen = -1;

	while (!bad && (opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1)
		bad = ps_opt(r, opt, optarg, &scen);
	/* --genl-flood needs the client's namespace only, and no scenario */
	if (!bad && r->flood_s)
		bad = optind != argc || !r->c.path || scen >= 0;
	else
		bad = bad || optind != argc || !r->s.path || !r->c.path || scen < 0;
	if (bad) {
		ps_usage(stderr);
		return -EINVAL;
	}
	r->scen = scen;
	return 0;
}

/* A list of a successful run (@buf); a failed run leaves an empty file. */
static int ps_write(struct ps_run *r, const char *path, const char *buf, size_t len)
{
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f)
		return ps_fail(r, PS_EXIT_SETUP, -errno, "%s: %s", path, strerror(errno));
	if (buf)
		fwrite(buf, 1, len, f);
	if (fclose(f))
		return ps_fail(r, PS_EXIT_SETUP, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static void ps_cleanup(struct ps_run *r)
{
	struct ps_side *sides[] = { &r->s, &r->c };

	/* leave no endpoint of ours behind (addr_adv's are mptcpd's) */
	if (r->scen == PS_SSPI && r->c.pm.fd >= 0)
		pm_genl_flush_addrs(&r->c.pm);
	for (int i = 0; i < 2; i++) {
		pm_genl_close(&sides[i]->pm);
		if (sides[i]->mib_fd >= 0)
			close(sides[i]->mib_fd);
		if (sides[i]->inuse_fd >= 0)
			close(sides[i]->inuse_fd);
		if (sides[i]->nsfd >= 0)
			close(sides[i]->nsfd);
	}
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->evfd >= 0)
		close(r->evfd);
	if (r->cfd >= 0)
		close(r->cfd);
	if (r->sfd >= 0)
		close(r->sfd);
}

int pm_scen_main(int argc, char **argv)
{
	struct ps_run r = {
		.port = PS_PORT,
		.timeout_ms = PS_TIMEOUT_MS,
		.s = { .name = "server", .nsfd = -1, .pm.fd = -1, .mib_fd = -1, .inuse_fd = -1 },
		.c = { .name = "client", .nsfd = -1, .pm.fd = -1, .mib_fd = -1, .inuse_fd = -1 },
		.lfd = -1,
		.cfd = -1,
		.sfd = -1,
		.evfd = -1,
	};
	int err;

	if (ps_parse(&r, argc, argv))
		return PS_EXIT_USAGE;
	inet_pton(AF_INET, "10.0.1.1", &r.srv[0]);
	inet_pton(AF_INET, "10.0.2.1", &r.srv[1]);
	inet_pton(AF_INET, "10.0.1.2", &r.cli[0]);
	inet_pton(AF_INET, "10.0.2.2", &r.cli[1]);
	r.t0 = now_ms();
	r.exp = open_memstream(&r.exp_buf, &r.exp_len);
	r.cmds = open_memstream(&r.cmds_buf, &r.cmds_len);
	if (!r.exp || !r.cmds)
		return PS_EXIT_SETUP;
	err = ps_write(&r, r.expect, NULL, 0);
	if (!err)
		err = ps_write(&r, r.commands, NULL, 0);
	if (!err)
		err = r.flood_s ? ps_genl_flood(&r, r.flood_s) : ps_run_scenario(&r);
	fclose(r.exp);
	fclose(r.cmds);
	if (!err)
		err = ps_write(&r, r.expect, r.exp_buf, r.exp_len);
	if (!err)
		err = ps_write(&r, r.commands, r.cmds_buf, r.cmds_len);
	ps_cleanup(&r);
	free(r.exp_buf);
	free(r.cmds_buf);
	if (err && !r.code)
		r.code = PS_EXIT_STEP;
	return err ? r.code : PS_EXIT_OK;
}
