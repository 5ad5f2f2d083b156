// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mptcp-evlat: match every MPTCP path-manager event the kernel sends (fentry
 * probes, bpf/evlat.bpf.c) with its arrival on the mptcp_pm_events netlink
 * group, and report per-event-type latency and loss.
 *
 * main() reads as the list of steps: parse, open the netlink listener, load
 * and attach the probes, start the exporters, drop privileges, loop, drain,
 * report. One thread, one epoll loop over the ring buffer, the netlink
 * socket, a signalfd and the HTTP server; deadlines (-i, -d, correlation
 * expiry) are checked every turn. Every result goes to report_event().
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "consumers.h"
#include "correlate.h"
#include "defaults.h"
#include "event.h"
#include "exit_codes.h"
#include "genl.h"
#include "httpd.h"
#include "options.h"
#include "pm.h"
#include "privdrop.h"
#include "prom.h"
#include "record_fmt.h"
#include "report.h"
#include "selfcheck.h"
#include "tracer.h"
#include "util.h"
#include "verdict.h"
#include "webconfig.h"

/*
 * How long a matched pair waits for its send record, which another CPU may have reserved and not
 * yet committed: 50 ms was too short once in about ten kernel runs of the guest suite when two TCG
 * guests shared two cores (a vCPU descheduled between reserve and commit)
 */
#define SEND_WAIT_MS 500
#define OWN_WAIT_MS  50 /* how long a received event waits for its queued record */
#define NL_WAIT_MAX  4096
#define NETNS_DIR    "/run/netns/"

struct app {
	const struct options *opt;
	struct tracer tracer;
	struct genl_listener nl;
	struct correlator *corr;
	struct consumers *cons; /* the consumer view, when its probes are attached */
	struct pm *pm;		/* the path manager's commands, when genl_rcv_msg() is traced */
	struct report rep;	/* every result, every output */
	struct classify_ctx cc; /* what the loss classification may rely on */
	struct httpd httpd;	/* --prometheus */
	int textfile_err;	/* last --textfile error, reported once */
	unsigned long long drops_seen[EVLAT_DROP_SLOTS]; /* ring drops already reported */
	int epfd, sigfd;
	unsigned long long records, bad_records;
	__u64 next_print_ns, end_ns, next_evidence_ns;
	struct utsname uts;
	struct webconfig web; /* --web-config */
	bool tracing, done;
	/*
	 * Our socket is read every loop turn (at least every EVLAT_POLL_MS), not
	 * woken per event: with the consumer view, its delivery time is the
	 * kernel's queue time, and our scheduling enters no latency.
	 */
	bool nl_batched;
	/*
	 * Events our socket returned, waiting for the record of their queueing:
	 * the ring is read in reservation order and stops at a record another CPU
	 * has reserved and not committed yet, so that record can come a turn late.
	 */
	struct nl_event *nl_wait;
	unsigned int nl_wait_first, nl_wait_len;
	unsigned long long own_unknown; /* released without it: our receive time stands */
};

/* libbpf's print callback has no context: -v is kept here */
static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!libbpf_verbose)
		return 0; /* our own message says what failed; -v shows libbpf's */
	return vfprintf(stderr, fmt, args);
}

/* ---- results: every one goes to report_event() ----------------------------- */

static void on_result(void *ctx, const struct corr_result *res)
{
	struct app *a = ctx;
	struct evlat_event ev;

	event_from_corr(res, &a->cc, &ev);
	report_event(&a->rep, &ev);
}

static void on_delivery(void *ctx, const struct delivery *d)
{
	struct app *a = ctx;

	/* what a held command waits for, whatever -e and -t show */
	if (a->pm)
		pm_add_delivery(a->pm, d);
	report_delivery(&a->rep, d);
}

static void on_read(void *ctx, const struct consumer_read *rd)
{
	struct app *a = ctx;

	if (a->pm)
		pm_add_read(a->pm, rd);
}

static void on_command(void *ctx, const struct pm_command *c)
{
	struct app *a = ctx;

	report_command(&a->rep, c);
}

static int print_record(const struct evlat_record *r)
{
	char line[512];

	if (record_format(r, sizeof(*r), line, sizeof(line)) > 0)
		puts(line);
	return 0;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct app *a = ctx;
	struct evlat_record r;
	struct evlat_event ev;

	if (record_check(data, len)) {
		a->bad_records++;
		return 0;
	}
	memcpy(&r, data, sizeof(r));
	a->records++;
	if (a->opt->records)
		return print_record(&r);
	if (r.kind == EVLAT_K_CLOSE_SSK && event_from_close(&r, &ev))
		report_event(&a->rep, &ev);
	if (a->cons)
		consumers_add_record(a->cons, &r);
	if (a->pm)
		pm_add_record(a->pm, &r);
	corr_add_record(a->corr, &r, now_ns());
	return 0;
}

/* Hand the waiting events to the correlator, in order, each once its queue time is known. */
static void release_nl(struct app *a, bool force)
{
	__u64 now = now_ns();

	while (a->nl_wait_len) {
		struct nl_event *e = &a->nl_wait[a->nl_wait_first];
		__u64 q = consumers_own_queued(a->cons, e->type, e->token, e->recv_ns);

		if (!q && !force && now - e->recv_ns < OWN_WAIT_MS * NSEC_PER_MSEC)
			break;
		if (q) {
			e->recv_ns = q; /* delivered when the kernel queued it to us */
		} else {
			a->own_unknown++;
			consumers_own_owe(a->cons, e->type, e->token, e->recv_ns);
		}
		corr_add_nl(a->corr, e, a->nl.netns);
		a->nl_wait_first = (a->nl_wait_first + 1) % NL_WAIT_MAX;
		a->nl_wait_len--;
	}
}

static void on_nl(void *ctx, const struct nl_event *nl)
{
	struct app *a = ctx;
	struct evlat_event ev;

	if (a->opt->records)
		return;
	if (a->tracing && a->nl_wait) {
		if (a->nl_wait_len == NL_WAIT_MAX)
			release_nl(a, true);
		a->nl_wait[(a->nl_wait_first + a->nl_wait_len++) % NL_WAIT_MAX] = *nl;
		release_nl(a, false);
		return;
	}
	if (a->tracing) {
		corr_add_nl(a->corr, nl, a->nl.netns);
		return;
	}
	event_from_nl(nl, a->nl.netns, &ev);
	report_event(&a->rep, &ev);
}

/*
 * What the loss classification may rely on, refreshed before each expiry;
 * new ring-buffer drops of hook records are reported as lost_ringbuf.
 */
static void refresh_evidence(struct app *a)
{
	unsigned long long drops[EVLAT_DROP_SLOTS], send_drops = 0;

	tracer_drops(&a->tracer, drops);
	/* slot 0 is mptcp_close_ssk: no event of its own */
	for (int i = 1; i < EVLAT_DROP_SEND; i++) {
		report_count(&a->rep, i, ST_LOST_RINGBUF, drops[i] - a->drops_seen[i]);
		a->drops_seen[i] = drops[i];
		send_drops += drops[EVLAT_DROP_SEND + i];
	}
	tracer_misses(&a->tracer);
	a->cc.send_probe = probes_attached(&a->tracer.probes, PROBE_SEND);
	a->cc.overrun_seen = a->nl.overruns || a->nl.drops;
	/* a send record dropped by the ring or skipped by the kernel: "not sent" is unknown */
	a->cc.send_drops_seen = send_drops || a->tracer.probes.p[PROBE_SEND].misses;
	a->cc.listen_netns = a->nl.netns;
}

/* ---- rendering: the report's views plus the run-wide figures ----------------- */

static void fill_run_info(struct app *a, struct run_info *info, struct corr_stats *cs,
			  struct consumers_stats *ks)
{
	memset(info, 0, sizeof(*info));
	info->now_ns = now_ns();
	info->genl_only = !a->tracing;
	info->nl_messages = a->nl.messages;
	info->nl_overruns = a->nl.overruns;
	info->nl_errors = a->nl.errors;
	info->kernel = a->uts.release;
	if (!a->tracing)
		return;
	info->records = a->records;
	info->ringbuf_drops = tracer_drops(&a->tracer, NULL);
	info->probe_misses = tracer_misses(&a->tracer);
	corr_get_stats(a->corr, cs);
	info->corr = cs;
	info->probes = &a->tracer.probes;
	info->observe = a->opt->observe;
	if (a->cons) {
		consumers_get_stats(a->cons, ks);
		info->consumers = true;
		info->cstats = ks;
		info->own_unknown = a->own_unknown;
	}
	info->pm = a->pm != NULL;
}

static void print_summary(struct app *a, const struct verdict *v)
{
	struct run_info info;
	struct corr_stats cs;
	struct consumers_stats ks;

	fill_run_info(a, &info, &cs, &ks);
	info.verdict = v;
	if (a->opt->records)
		warn("%llu records, %llu ring buffer drops, %llu probe misses", info.records,
		     info.ringbuf_drops, info.probe_misses);
	else
		report_summary(&a->rep, &info);
}

static int render_prom(void *ctx, FILE *f)
{
	struct app *a = ctx;
	struct run_info info;
	struct corr_stats cs;
	struct consumers_stats ks;

	fill_run_info(a, &info, &cs, &ks);
	return report_prometheus(&a->rep, &info, f);
}

/* --textfile: a failure after the start is reported once and does not stop the tracing */
static int write_textfile(struct app *a)
{
	struct run_info info;
	struct corr_stats cs;
	struct consumers_stats ks;
	int err;

	if (!a->opt->textfile)
		return 0;
	fill_run_info(a, &info, &cs, &ks);
	err = prom_write_textfile(a->opt->textfile, &a->rep.total, &info);
	if (err && err != a->textfile_err)
		warn("--textfile %s: %s", a->opt->textfile, strerror(-err));
	a->textfile_err = err;
	return err;
}

/* ---- set-up: each step returns 0 or an EXIT_* code after one message --------- */

/* -N NAME means /run/netns/NAME, as with ip -n */
static const char *netns_path(const char *arg, char *buf, size_t size)
{
	if (!arg || strchr(arg, '/'))
		return arg;
	snprintf(buf, size, NETNS_DIR "%s", arg);
	return buf;
}

static int netlink_exit(int err, const char *path)
{
	switch (err) {
	case -ENOENT:
		warn("no network namespace '%s'", path);
		return EXIT_USAGE;
	case -EPERM:
	case -EACCES:
		warn("cannot join mptcp_pm_events: %s (needs CAP_NET_ADMIN)", strerror(-err));
		return EXIT_PRIVILEGE;
	case -EAFNOSUPPORT:
	case -EPROTONOSUPPORT:
		warn("no mptcp_pm netlink family: is MPTCP built in (CONFIG_MPTCP=y)?");
		return EXIT_NO_MPTCP;
	case -ENOPROTOOPT:
		warn("the mptcp_pm family has no mptcp_pm_events group (kernel older than 5.12?)");
		return EXIT_NO_MPTCP;
	}
	warn("netlink listener: %s", strerror(-err));
	return EXIT_RUNTIME;
}

static int open_netlink(struct app *a)
{
	char buf[256];
	const char *path = netns_path(a->opt->netns, buf, sizeof(buf));
	int err = genl_listener_open2(&a->nl, path, a->opt->rcvbuf, !a->opt->observe);

	if (err)
		return netlink_exit(err, path);
	/* --observe: the ids are all we need of it; a socket of ours must not even exist */
	if (a->opt->observe)
		genl_listener_close_socket(&a->nl);
	if (a->nl.mptcp_enabled == 0) {
		/* MPTCP sockets are refused there: nothing would ever be traced */
		warn("MPTCP is disabled in netns %u (net.mptcp.enabled = 0)", a->nl.netns);
		return EXIT_NO_MPTCP;
	}
	return 0;
}

/* The consumer view, when its probes are attached; --observe has nothing without it. */
static int open_consumers(struct app *a)
{
	struct consumers_opts co = {
		.own_ino = a->opt->observe ? 0 : a->nl.ino,
		.capacity = a->opt->capacity,
		.cb = on_delivery,
		.read_cb = on_read,
		.ctx = a,
	};

	if (!probes_consumers(&a->tracer.probes)) {
		if (!a->opt->observe)
			return 0;
		warn("--observe needs the consumer probes, which this kernel refused (fentry/fexit "
		     "on __netlink_sendskb(), skb_recv_datagram(), ...)");
		return EXIT_BPF_REFUSED;
	}
	a->cons = consumers_new(&co);
	a->nl_wait = a->opt->observe ? NULL : calloc(NL_WAIT_MAX, sizeof(*a->nl_wait));
	if (!a->cons || (!a->opt->observe && !a->nl_wait)) {
		warn("out of memory for %u pending deliveries", co.capacity);
		return EXIT_RUNTIME;
	}
	a->nl_batched = !a->opt->records;
	return 0;
}

/* The path manager's commands: with the consumer view (their triggers are its reads) */
static int open_pm(struct app *a)
{
	struct pm_opts po = {
		.timeout_ns = a->opt->timeout_ms * NSEC_PER_MSEC,
		.cb = on_command,
		.ctx = a,
	};

	if (!a->cons || !probes_pm(&a->tracer.probes))
		return 0;
	po.cons = a->cons;
	a->pm = pm_new(&po);
	if (!a->pm) {
		warn("out of memory for the path-manager commands");
		return EXIT_RUNTIME;
	}
	return 0;
}

static int open_tracer(struct app *a)
{
	const struct options *o = a->opt;
	struct tracer_cfg cfg = {
		/* --records without -N: every namespace */
		.netns = (o->records && !o->netns) || o->all_netns ? 0 : a->nl.netns,
		.mcgrp = a->nl.group_id,
		.family = a->nl.family_id,
		.ringbuf_kib = o->ringbuf_kib,
		.force_kprobe = o->force_kprobe,
		.consumers = !o->no_consumers,
		/* our own subscription makes the kernel's answer always yes (doc/kernel-notes.md) */
		.listeners = o->observe || o->records,
		.commands = !o->no_commands,
		.cb = on_record,
		.ctx = a,
	};
	struct corr_opts co = {
		.capacity = o->capacity,
		.timeout_ns = o->timeout_ms * NSEC_PER_MSEC,
		.no_nl = o->observe,
		.cb = on_result,
		.ctx = a,
	};
	int ret = tracer_open(&a->tracer, &cfg);

	if (ret)
		return ret;
	ret = open_consumers(a);
	if (!ret)
		ret = open_pm(a);
	if (ret)
		return ret;
	/* a send record can trail its event by a turn (correlate.h); without the probe, none comes */
	if (probes_attached(&a->tracer.probes, PROBE_SEND))
		co.send_wait_ns = SEND_WAIT_MS * NSEC_PER_MSEC;
	a->corr = corr_new(&co);
	if (!a->corr) {
		warn("out of memory for %u pending events", o->capacity);
		return EXIT_RUNTIME;
	}
	a->tracing = true;
	refresh_evidence(a);
	return 0;
}

/* Before the privilege drop: a port below 1024 needs CAP_NET_BIND_SERVICE. */
static int open_export(struct app *a)
{
	int err;

	if (a->opt->textfile && write_textfile(a))
		return EXIT_USAGE; /* no such directory, not writable: the path is wrong */
	if (!a->opt->prometheus)
		return 0;
	err = httpd_start(&a->httpd, a->opt->prometheus, a->opt->web_config ? &a->web : NULL,
			  render_prom, a);
	if (!err)
		return 0;
	warn("--prometheus %s: %s", a->opt->prometheus, strerror(-err));
	if (err == -EACCES)
		return EXIT_PRIVILEGE;
	return err == -EADDRNOTAVAIL ? EXIT_USAGE : EXIT_RUNTIME;
}

/*
 * Everything that needs a capability is done: the probes are attached, the
 * group joined (and any listening socket bound). The loop needs none.
 */
static int drop_privileges(void)
{
	int err = privdrop_all();

	if (!err)
		return 0;
	warn("cannot drop capabilities: %s", strerror(-err));
	return EXIT_RUNTIME;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_loop(struct app *a)
{
	__u64 now;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->epfd < 0)
		return -errno;
	if (epoll_add(a->epfd, a->sigfd))
		return -errno;
	/* without the consumer view, our receive time is the delivery time: wake per event */
	if (!a->nl_batched && !a->opt->observe && epoll_add(a->epfd, genl_listener_fd(&a->nl)))
		return -errno;
	if (a->tracing && epoll_add(a->epfd, tracer_ringbuf_fd(&a->tracer)))
		return -errno;
	if (httpd_fd(&a->httpd) >= 0 && epoll_add(a->epfd, httpd_fd(&a->httpd)))
		return -errno;
	now = now_ns();
	report_reset_interval(&a->rep, now);
	if (a->opt->interval_s)
		a->next_print_ns = now + a->opt->interval_s * NSEC_PER_SEC;
	if (a->opt->duration_s)
		a->end_ns = now + a->opt->duration_s * NSEC_PER_SEC;
	return 0;
}

/* ---- the loop ------------------------------------------------------------------ */

/* Ring records, then expiry: the correlator's loader contract (correlate.h). */
static int consume_kernel(struct app *a)
{
	int err = tracer_consume(&a->tracer);

	if (err < 0)
		return err;
	if (a->nl_wait)
		release_nl(a, false);
	/* the drop counters are read at most every poll: a map walk is not free */
	if (now_ns() >= a->next_evidence_ns) {
		refresh_evidence(a);
		a->next_evidence_ns = now_ns() + EVLAT_POLL_MS * NSEC_PER_MSEC;
	}
	corr_expire(a->corr, now_ns());
	if (a->pm)
		pm_expire(a->pm, now_ns());
	report_tick(&a->rep, now_ns());
	return 0;
}

static void on_deadlines(struct app *a)
{
	__u64 now = now_ns();

	if (a->end_ns && now >= a->end_ns)
		a->done = true;
	if (!a->next_print_ns || now < a->next_print_ns || a->done)
		return;
	print_summary(a, NULL);
	write_textfile(a);
	report_reset_interval(&a->rep, now);
	a->next_print_ns += a->opt->interval_s * NSEC_PER_SEC;
}

/* One turn: drain both sources, expire, print on interval. */
static int loop_turn(struct app *a, const struct epoll_event *evs, int n)
{
	int err;

	for (int i = 0; i < n; i++)
		if (evs[i].data.fd == a->sigfd)
			a->done = true;
	/* the records of what our socket holds come before it is read (consumers_own_queued()) */
	if (a->nl_batched) {
		err = tracer_consume(&a->tracer);
		if (err < 0)
			return err;
	}
	if (!a->opt->observe) {
		err = genl_listener_read(&a->nl, on_nl, a);
		if (err < 0)
			return err;
	}
	if (a->tracing) {
		err = consume_kernel(a);
		if (err < 0)
			return err;
	}
	on_deadlines(a);
	/*
	 * Every turn: the HTTP thread is started by the first call (after the
	 * privilege drop, capabilities are per thread), and suspended scrapes
	 * are rendered here, from the loop's own metrics.
	 */
	err = httpd_poll(&a->httpd);
	return err ? err : a->rep.err;
}

static int run_loop(struct app *a)
{
	struct epoll_event evs[4];
	int err = 0;

	while (!a->done && !err) {
		int n = epoll_wait(a->epfd, evs, 4, httpd_timeout_ms(&a->httpd, EVLAT_POLL_MS));

		if (n < 0 && errno != EINTR)
			return -errno;
		err = loop_turn(a, evs, n < 0 ? 0 : n);
		if (a->rep.cfg.json)
			fflush(stdout);
	}
	return err;
}

/* At exit: the last records and events, then everything still pending. */
static void drain(struct app *a)
{
	if (a->tracing)
		tracer_consume(&a->tracer);
	if (!a->opt->observe)
		genl_listener_read(&a->nl, on_nl, a);
	if (!a->tracing)
		return;
	tracer_consume(&a->tracer);
	if (a->nl_wait)
		release_nl(a, true);
	refresh_evidence(a);
	corr_flush(a->corr);
	if (a->cons)
		consumers_flush(a->cons);
	if (a->pm)
		pm_flush(a->pm);
}

static void cleanup(struct app *a)
{
	if (a->tracing || a->tracer.skel)
		tracer_close(&a->tracer);
	corr_free(a->corr);
	consumers_free(a->cons);
	free(a->nl_wait);
	pm_free(a->pm);
	httpd_stop(&a->httpd);
	webconfig_free(&a->web);
	genl_listener_close(&a->nl);
	report_free(&a->rep);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
}

/* At exit: the last summary, with the verdict when thresholds were given; the textfile. */
static int finish(struct app *a)
{
	const struct verdict_cfg *vc = &a->opt->verdict;
	struct verdict v;

	if (vc->n)
		verdict_eval(vc, &a->rep.total, a->nl.overruns, !a->tracing, &v);
	report_flush(&a->rep);
	print_summary(a, vc->n ? &v : NULL);
	write_textfile(a);
	if (a->bad_records)
		warn("%llu malformed records ignored", a->bad_records);
	if (!vc->n)
		return EXIT_OK;
	verdict_print(stderr, &v);
	return v.pass ? EXIT_OK : EXIT_VERDICT;
}

static void announce(const struct app *a)
{
	const struct options *o = a->opt;

	if (o->records && !o->netns)
		warn("printing the raw records of every netns; Ctrl-C to stop");
	else if (o->records)
		warn("printing the raw records of netns %u; Ctrl-C to stop", a->nl.netns);
	else if (o->observe)
		warn("observing MPTCP events in netns %u%s, no subscription of ours; Ctrl-C to "
		     "stop",
		     a->nl.netns, o->all_netns ? " and every other netns" : "");
	else if (a->tracing)
		warn("tracing MPTCP events in netns %u%s; Ctrl-C to stop", a->nl.netns,
		     o->all_netns ? " (and every other netns: no_listener)" : "");
	else
		warn("listening to mptcp_pm_events in netns %u; Ctrl-C to stop", a->nl.netns);
}

/* First, and before the privilege drop: the files may be readable by root only. */
static int load_web_config(struct app *a)
{
	char msg[512];

	if (!a->opt->web_config || !webconfig_load(a->opt->web_config, &a->web, msg, sizeof(msg)))
		return 0;
	warn("--web-config %s", msg);
	return EXIT_USAGE;
}

static int run(struct app *a)
{
	int ret = load_web_config(a);

	if (!ret)
		ret = open_netlink(a);
	if (!ret && !a->opt->genl_only)
		ret = open_tracer(a);
	if (!ret)
		ret = open_export(a);
	if (!ret)
		ret = drop_privileges();
	if (ret)
		return ret;
	ret = setup_loop(a);
	if (!ret) {
		announce(a);
		ret = run_loop(a);
	}
	drain(a);
	if (ret) {
		warn("event loop: %s", strerror(-ret));
		return EXIT_RUNTIME;
	}
	return finish(a);
}

int main(int argc, char **argv)
{
	struct options opt;
	struct app a = { .opt = &opt, .epfd = -1, .sigfd = -1 };
	int ret;

	options_parse(argc, argv, &opt);
	libbpf_verbose = opt.verbose;
	libbpf_set_print(libbpf_print);
	if (!opt.genl_only && !have_bpf_privileges()) {
		warn("needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN); --genl-only needs "
		     "CAP_NET_ADMIN only");
		return EXIT_PRIVILEGE;
	}
	if (opt.check)
		return selfcheck_run(opt.ringbuf_kib, opt.force_kprobe);
	uname(&a.uts);
	report_init(&a.rep, &opt.report, stdout, now_ns());
	ret = run(&a);
	cleanup(&a);
	return ret;
}
