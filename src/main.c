// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mptcp-evlat: match every MPTCP path-manager event the kernel sends (fentry
 * probes, bpf/evlat.bpf.c) with its arrival on the mptcp_pm_events netlink
 * group, and report per-event-type latency and loss.
 *
 * One thread, one epoll loop over the ring buffer, the netlink socket and a
 * signalfd; deadlines (-i, -d, correlation expiry) are checked every turn.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "selfcheck.h"
#include "correlate.h"
#include "dup.h"
#include "event.h"
#include "exit_codes.h"
#include "genl.h"
#include "httpd.h"
#include "options.h"
#include "privdrop.h"
#include "record_fmt.h"
#include "output.h"
#include "prom.h"
#include "stats.h"
#include "tracer.h"
#include "webconfig.h"

#define POLL_MS	     100 /* the BPF side wakes us only past a backlog: poll the rest */
#define SEND_WAIT_MS 50	 /* how long a matched pair waits for its send record */
#define NETNS_DIR    "/run/netns/"

struct app {
	struct tracer tracer;
	struct genl_listener nl;
	struct correlator *corr;
	struct stats stats;
	struct dup_table dups;
	struct classify_ctx cc;
	struct prom prom;   /* cumulative copy for --prometheus / --textfile: never reset */
	struct httpd httpd; /* --prometheus */
	int textfile_err;   /* last --textfile error, reported once */
	unsigned long long drops[EVLAT_DROP_SLOTS];	 /* cumulative, from BPF */
	unsigned long long drops_seen[EVLAT_DROP_SLOTS]; /* already counted in stats */
	int epfd, sigfd;
	unsigned long long records, bad_records;
	__u64 start_ns, next_print_ns, end_ns, next_evidence_ns;
	struct webconfig web; /* --web-config */
	bool tracing, done;
	int err; /* first runtime error (negative errno) */
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!env.verbose)
		return 0; /* our own message says what failed; -v shows libbpf's */
	return vfprintf(stderr, fmt, args);
}

static bool prom_wanted(void)
{
	return env.prometheus || env.textfile;
}

static void emit(struct app *a, struct evlat_event *ev)
{
	if (!options_want(ev->type, ev->token))
		return;
	if ((ev->status == ST_DELIVERED || ev->status == ST_RECEIVED) && dup_check(&a->dups, ev))
		ev->status = ST_DUPLICATE;
	if (stats_add(&a->stats, ev) && !a->err)
		a->err = -ENOMEM;
	if (prom_wanted() && prom_accumulate(&a->prom, ev) && !a->err)
		a->err = -ENOMEM;
	if (env.json)
		json_event(stdout, ev);
	else if (env.verbose)
		text_event(stderr, ev);
}

static void on_result(void *ctx, const struct corr_result *res)
{
	struct app *a = ctx;
	struct evlat_event ev;

	event_from_corr(res, &a->cc, &ev);
	if (!res->have_hook)
		ev.netns = a->nl.netns;
	emit(a, &ev);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct app *a = ctx;
	struct evlat_record r;

	if (record_check(data, len)) {
		a->bad_records++;
		return 0;
	}
	memcpy(&r, data, sizeof(r));
	a->records++;
	if (env.records) {
		char line[512];

		if (record_format(&r, sizeof(r), line, sizeof(line)) > 0)
			puts(line);
		return 0;
	}
	if (r.kind == EVLAT_K_CLOSE_SSK) {
		struct evlat_event ev;

		if (event_from_close(&r, &ev))
			emit(a, &ev);
	}
	corr_add_record(a->corr, &r, now_ns());
	return 0;
}

static void on_nl(void *ctx, const struct nl_event *nl)
{
	struct app *a = ctx;
	struct evlat_event ev;

	if (env.records)
		return;
	if (a->tracing) {
		corr_add_nl(a->corr, nl, a->nl.netns);
		return;
	}
	event_from_nl(nl, a->nl.netns, &ev);
	emit(a, &ev);
}

/* -N NAME means /run/netns/NAME, as with ip -n */
static const char *netns_path(const char *arg, char *buf, size_t size)
{
	if (!arg || strchr(arg, '/'))
		return arg;
	snprintf(buf, size, NETNS_DIR "%s", arg);
	return buf;
}

static int open_netlink(struct app *a)
{
	char buf[256];
	const char *path = netns_path(env.netns, buf, sizeof(buf));
	int err = genl_listener_open(&a->nl, path, env.rcvbuf);

	if (!err && a->nl.mptcp_enabled == 0) {
		/* MPTCP sockets are refused there: nothing would ever be traced */
		fprintf(stderr,
			"mptcp-evlat: MPTCP is disabled in netns %u (net.mptcp.enabled = 0)\n",
			a->nl.netns);
		return EXIT_NO_MPTCP;
	}
	if (!err)
		return 0;
	switch (err) {
	case -ENOENT:
		fprintf(stderr, "mptcp-evlat: no network namespace '%s'\n", path);
		return EXIT_USAGE;
	case -EPERM:
	case -EACCES:
		fprintf(stderr,
			"mptcp-evlat: cannot join mptcp_pm_events: %s (needs "
			"CAP_NET_ADMIN)\n",
			strerror(-err));
		return EXIT_PRIVILEGE;
	case -EAFNOSUPPORT:
	case -EPROTONOSUPPORT:
		fprintf(stderr, "mptcp-evlat: no mptcp_pm netlink family: is MPTCP built in "
				"(CONFIG_MPTCP=y)?\n");
		return EXIT_NO_MPTCP;
	case -ENOPROTOOPT:
		fprintf(stderr, "mptcp-evlat: the mptcp_pm family has no mptcp_pm_events group "
				"(kernel older than 5.12?)\n");
		return EXIT_NO_MPTCP;
	}
	fprintf(stderr, "mptcp-evlat: netlink listener: %s\n", strerror(-err));
	return EXIT_RUNTIME;
}

static int open_tracer(struct app *a)
{
	struct tracer_cfg cfg = {
		/* --records without -N: every namespace */
		.netns = (env.records && !env.netns) || env.all_netns ? 0 : a->nl.netns,
		.mcgrp = a->nl.group_id,
		.ringbuf_kib = env.ringbuf_kib,
		.force_kprobe = env.force_kprobe,
		.cb = on_record,
		.ctx = a,
	};
	struct corr_opts co = {
		.capacity = env.capacity,
		.timeout_ns = env.timeout_ms * 1000000ULL,
		.cb = on_result,
		.ctx = a,
	};
	int ret = tracer_open(&a->tracer, &cfg);
	const struct probe *send;

	if (ret)
		return ret;
	/* a send record can trail its event by a turn (correlate.h); without the probe, none comes */
	send = probes_find(&a->tracer.probes, "send");
	if (send && send->state == PROBE_ATTACHED)
		co.send_wait_ns = SEND_WAIT_MS * 1000000ULL;
	a->corr = corr_new(&co);
	if (!a->corr) {
		fprintf(stderr, "mptcp-evlat: out of memory for %u pending events\n", env.capacity);
		return EXIT_RUNTIME;
	}
	a->tracing = true;
	return 0;
}

/* The run totals as of now: they are read, not counted, so refresh them before rendering. */
static void update_prom(struct app *a)
{
	prom_set_counts(&a->prom, a->nl.overruns, a->tracing ? tracer_drops(&a->tracer, NULL) : 0);
}

static int render_prom(void *ctx, FILE *f)
{
	struct app *a = ctx;

	update_prom(a);
	return prom_render(&a->prom, f);
}

/* --textfile: a failure after the start is reported once and does not stop the tracing */
static int write_textfile(struct app *a)
{
	int err;

	if (!env.textfile)
		return 0;
	update_prom(a);
	err = prom_write_textfile(&a->prom, env.textfile);
	if (err && err != a->textfile_err)
		fprintf(stderr, "mptcp-evlat: --textfile %s: %s\n", env.textfile, strerror(-err));
	a->textfile_err = err;
	return err;
}

/* Before the privilege drop: a port below 1024 needs CAP_NET_BIND_SERVICE. */
static int open_export(struct app *a)
{
	int err;

	prom_set_probes(&a->prom, a->tracing ? &a->tracer.probes : NULL);
	if (env.textfile && write_textfile(a))
		return EXIT_USAGE; /* no such directory, not writable: the path is wrong */
	if (!env.prometheus)
		return 0;
	err = httpd_start(&a->httpd, env.prometheus, env.web_config ? &a->web : NULL, render_prom,
			  a);
	if (!err)
		return 0;
	fprintf(stderr, "mptcp-evlat: --prometheus %s: %s\n", env.prometheus, strerror(-err));
	if (err == -EACCES)
		return EXIT_PRIVILEGE;
	return err == -EADDRNOTAVAIL ? EXIT_USAGE : EXIT_RUNTIME;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_loop(struct app *a)
{
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
	if (epoll_add(a->epfd, a->sigfd) || epoll_add(a->epfd, genl_listener_fd(&a->nl)))
		return -errno;
	if (a->tracing && epoll_add(a->epfd, tracer_ringbuf_fd(&a->tracer)))
		return -errno;
	if (httpd_fd(&a->httpd) >= 0 && epoll_add(a->epfd, httpd_fd(&a->httpd)))
		return -errno;
	a->start_ns = now_ns();
	a->stats.start_ns = a->start_ns;
	if (env.interval_s)
		a->next_print_ns = a->start_ns + env.interval_s * 1000000000ULL;
	if (env.duration_s)
		a->end_ns = a->start_ns + env.duration_s * 1000000000ULL;
	return 0;
}

static void fill_info(struct app *a, struct run_info *info, struct corr_stats *cs, __u64 now)
{
	memset(info, 0, sizeof(*info));
	info->duration_ns = now - a->stats.start_ns;
	info->genl_only = !a->tracing;
	info->nl_messages = a->nl.messages;
	info->nl_overruns = a->nl.overruns;
	info->nl_errors = a->nl.errors;
	if (!a->tracing)
		return;
	info->records = a->records;
	info->ringbuf_drops = tracer_drops(&a->tracer, NULL);
	corr_get_stats(a->corr, cs);
	info->corr = cs;
	info->probes = &a->tracer.probes;
}

static void print_stats(struct app *a, __u64 now)
{
	struct run_info info;
	struct corr_stats cs;

	fill_info(a, &info, &cs, now);
	if (env.records) {
		fprintf(stderr, "mptcp-evlat: %llu records, %llu ring buffer drops\n", info.records,
			info.ringbuf_drops);
		return;
	}
	if (env.json) {
		json_summary(stdout, &a->stats, &info);
	} else {
		if (env.timestamp)
			text_timestamp(stdout);
		text_histograms(stdout, &a->stats);
		text_summary(stdout, &a->stats, &info);
	}
	fflush(stdout);
}

/*
 * What the loss classification may rely on, refreshed before each expiry;
 * new ring-buffer drops of hook records are counted as lost_ringbuf.
 */
static void refresh_evidence(struct app *a)
{
	const struct probe *send = probes_find(&a->tracer.probes, "send");
	unsigned long long send_drops = 0;

	tracer_drops(&a->tracer, a->drops);
	for (int i = 0; i < EVLAT_DROP_SEND; i++) {
		unsigned long long n = a->drops[i] - a->drops_seen[i];

		/* slot 0 is mptcp_close_ssk: no event of its own */
		if (i && n && options_want(i, 0) && !env.token_filter) {
			stats_add_count(&a->stats, i, ST_LOST_RINGBUF, n);
			if (prom_wanted())
				prom_add_count(&a->prom, i, ST_LOST_RINGBUF, n);
		}
		a->drops_seen[i] = a->drops[i];
		send_drops += a->drops[EVLAT_DROP_SEND + i];
	}
	a->cc.send_probe = send && send->state == PROBE_ATTACHED;
	a->cc.overrun_seen = a->nl.overruns || a->nl.drops;
	a->cc.send_drops_seen = send_drops > 0;
	a->cc.listen_netns = a->nl.netns;
}

/* One turn: drain both sources, expire, print on interval. */
static int loop_turn(struct app *a, const struct epoll_event *evs, int n)
{
	__u64 now;
	int err;

	for (int i = 0; i < n; i++)
		if (evs[i].data.fd == a->sigfd)
			a->done = true;
	err = genl_listener_read(&a->nl, on_nl, a);
	if (err < 0)
		return err;
	if (a->tracing) {
		err = tracer_consume(&a->tracer);
		if (err < 0)
			return err;
		/* the drop counters are read at most every POLL_MS: a map walk is not free */
		if (now_ns() >= a->next_evidence_ns) {
			refresh_evidence(a);
			a->next_evidence_ns = now_ns() + POLL_MS * 1000000ULL;
		}
		corr_expire(a->corr, now_ns());
	}
	now = now_ns();
	if (a->end_ns && now >= a->end_ns)
		a->done = true;
	if (a->next_print_ns && now >= a->next_print_ns && !a->done) {
		print_stats(a, now);
		write_textfile(a);
		stats_reset(&a->stats, now);
		a->next_print_ns += env.interval_s * 1000000000ULL;
	}
	/* every turn: MHD's epoll is edge-triggered and its connections time out */
	err = httpd_poll(&a->httpd);
	return err ? err : a->err;
}

static int run_loop(struct app *a)
{
	struct epoll_event evs[4];
	int err = 0;

	while (!a->done && !err) {
		int n = epoll_wait(a->epfd, evs, 4, httpd_timeout_ms(&a->httpd, POLL_MS));

		if (n < 0 && errno != EINTR)
			return -errno;
		err = loop_turn(a, evs, n < 0 ? 0 : n);
		if (env.json)
			fflush(stdout);
	}
	return err;
}

/* At exit: the last records and events, then everything still pending. */
static void drain(struct app *a)
{
	genl_listener_read(&a->nl, on_nl, a);
	if (!a->tracing)
		return;
	tracer_consume(&a->tracer);
	refresh_evidence(a);
	corr_flush(a->corr);
}

static void cleanup(struct app *a)
{
	if (a->tracing || a->tracer.skel)
		tracer_close(&a->tracer);
	corr_free(a->corr);
	httpd_stop(&a->httpd);
	webconfig_free(&a->web);
	prom_free(&a->prom);
	genl_listener_close(&a->nl);
	stats_free(&a->stats);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
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
	fprintf(stderr, "mptcp-evlat: cannot drop capabilities: %s\n", strerror(-err));
	return EXIT_RUNTIME;
}

/* First, and before the privilege drop: the files may be readable by root only. */
static int load_web_config(struct app *a)
{
	char msg[512];

	if (!env.web_config || !webconfig_load(env.web_config, &a->web, msg, sizeof(msg)))
		return 0;
	fprintf(stderr, "mptcp-evlat: --web-config %s\n", msg);
	return EXIT_USAGE;
}

static int run(struct app *a)
{
	int ret = load_web_config(a);

	if (!ret)
		ret = open_netlink(a);

	if (!ret && !env.genl_only)
		ret = open_tracer(a);
	if (!ret)
		ret = open_export(a);
	if (!ret)
		ret = drop_privileges();
	if (ret)
		return ret;
	ret = setup_loop(a);
	if (!ret) {
		fprintf(stderr, "mptcp-evlat: %s netns %u; Ctrl-C to stop\n",
			a->tracing ? "tracing MPTCP events in" : "listening to mptcp_pm_events in",
			a->nl.netns);
		ret = run_loop(a);
	}
	drain(a);
	if (ret) {
		fprintf(stderr, "mptcp-evlat: event loop: %s\n", strerror(-ret));
		return EXIT_RUNTIME;
	}
	print_stats(a, now_ns());
	write_textfile(a);
	if (a->bad_records)
		fprintf(stderr, "mptcp-evlat: %llu malformed records ignored\n", a->bad_records);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct app a = { .epfd = -1, .sigfd = -1 };
	int ret;

	options_parse(argc, argv);
	prom_init(&a.prom);
	libbpf_set_print(libbpf_print);
	if (!env.genl_only && !have_bpf_privileges()) {
		fprintf(stderr, "mptcp-evlat: needs root (CAP_BPF and CAP_PERFMON, or "
				"CAP_SYS_ADMIN); --genl-only needs CAP_NET_ADMIN only\n");
		return EXIT_PRIVILEGE;
	}
	if (env.check)
		return selfcheck_run();
	ret = run(&a);
	cleanup(&a);
	return ret;
}
