// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prom_demo: the Prometheus export without BPF, for tests/host/prometheus.sh
 * (the host kernel refuses fentry). Synthetic events are served on
 * [ADDR:]PORT from an epoll loop shaped like main.c's, and written to a
 * textfile at start and at exit.
 *
 *   prom_demo [-g] [-t TEXTFILE] [-s SECONDS] [ADDR:]PORT
 *
 * -g gives the --genl-only shape (received events, no probes). Prints
 * "prom_demo: serving ADDR" on stderr once it listens. Exit 0, 1 (runtime),
 * 2 (bad arguments), as mptcp-evlat.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "exit_codes.h"
#include "httpd.h"
#include "probes.h"
#include "prom.h"
#include "report.h"

#define POLL_MS 100

/* What mptcp-evlat renders: the report's total view and the run-wide figures */
struct demo {
	struct report rep;
	struct run_info info;
	struct probe_set ps;
};

static void add(struct demo *p, unsigned int type, enum evlat_status st, __u64 total, __u64 kernel)
{
	struct evlat_event ev = { .type = type, .status = st };

	if (total) {
		ev.have_stage[STAGE_TOTAL] = ev.have_stage[STAGE_DELIVERY] = true;
		ev.stage_ns[STAGE_TOTAL] = total;
		ev.stage_ns[STAGE_DELIVERY] = total - kernel;
	}
	if (kernel) {
		ev.have_stage[STAGE_KERNEL] = true;
		ev.stage_ns[STAGE_KERNEL] = kernel;
	}
	report_event(&p->rep, &ev);
}

/* What a trafgen run of 3 connections gives, roughly (README's example output). */
static void synth_trace(struct demo *p)
{
	static const unsigned int types[] = { 1, 2, 3, 6, 7, 10, 11, 13 };
	static const char *const names[PROBE_NR] = {
		"mptcp_event",
		"mptcp_event_addr_announced",
		"mptcp_close_ssk",
		"mptcp_event_addr_removed",
		"mptcp_event_pm_listener",
		"send",
	};

	for (int i = 0; i < PROBE_NR; i++)
		p->ps.p[i] = (struct probe){ .name = names[i], .state = PROBE_ATTACHED };
	p->ps.p[PROBE_SEND].mode = PROBE_KPROBE;
	p->ps.p[PROBE_LISTENER].state = PROBE_MISSING;
	p->info.probes = &p->ps;
	for (unsigned int i = 0; i < 3 * sizeof(types) / sizeof(types[0]); i++)
		add(p, types[i % 8], ST_DELIVERED, 400000 + i * 97531, 50000 + i * 1013);
	add(p, 11, ST_NOT_DELIVERED, 0, 0);
	add(p, 10, ST_LOST_OVERRUN, 0, 0);
	report_count(&p->rep, 10, ST_LOST_RINGBUF, 2);
	p->info.nl_overruns = 1;
	p->info.ringbuf_drops = 2;
}

static void synth_genl(struct demo *p)
{
	p->info.genl_only = true;
	for (unsigned int t = 1; t <= 3; t++)
		add(p, t, ST_RECEIVED, 0, 0);
}

static int render(void *ctx, FILE *f)
{
	struct demo *p = ctx;

	return prom_render(f, &p->rep.total, &p->info);
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int loop_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* main.c's loop, reduced: epoll over the HTTP fd and a signalfd until @end */
static int serve(struct httpd *h, __u64 end)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC), sigfd, err = 0;
	struct epoll_event evs[4];
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (epfd < 0 || sigfd < 0 || loop_add(epfd, sigfd) || loop_add(epfd, httpd_fd(h)))
		err = -errno;
	while (!err && now_ms() < end) {
		int n = epoll_wait(epfd, evs, 4, httpd_timeout_ms(h, POLL_MS));

		if (n < 0 && errno != EINTR)
			err = -errno;
		for (int i = 0; i < n; i++)
			if (evs[i].data.fd == sigfd)
				end = 0;
		if (!err)
			err = httpd_poll(h);
	}
	if (sigfd >= 0)
		close(sigfd);
	if (epfd >= 0)
		close(epfd);
	return err;
}

static int write_textfile(const struct demo *p, const char *path)
{
	int err = path ? prom_write_textfile(path, &p->rep.total, &p->info) : 0;

	if (err)
		fprintf(stderr, "prom_demo: textfile %s: %s\n", path, strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	const char *textfile = NULL;
	unsigned int seconds = 10;
	struct sockaddr_storage ss;
	struct httpd h = { 0 };
	static const struct report_cfg quiet;
	struct demo p = { 0 };
	struct utsname uts;
	socklen_t len;
	int opt, err;
	bool genl = false;

	while ((opt = getopt(argc, argv, "gt:s:")) != -1) {
		if (opt == 'g')
			genl = true;
		else if (opt == 't')
			textfile = optarg;
		else if (opt == 's')
			seconds = (unsigned int)strtoul(optarg, NULL, 10);
		else
			return EXIT_USAGE;
	}
	if (optind != argc - 1 || httpd_parse_addr(argv[optind], &ss, &len)) {
		fprintf(stderr, "prom_demo: expected [ADDR:]PORT (numeric IPv4 or [IPv6] "
				"address, port 1..65535)\n");
		return EXIT_USAGE;
	}
	report_init(&p.rep, &quiet, NULL, 0);
	p.info.kernel = uname(&uts) ? "" : uts.release;
	if (genl)
		synth_genl(&p);
	else
		synth_trace(&p);
	err = httpd_start(&h, argv[optind], NULL, render, &p);
	if (err) {
		fprintf(stderr, "prom_demo: cannot serve on %s: %s\n", argv[optind],
			strerror(-err));
		report_free(&p.rep);
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "prom_demo: serving %s\n", argv[optind]);
	err = write_textfile(&p, textfile);
	if (!err)
		err = serve(&h, now_ms() + seconds * 1000ULL);
	if (!err)
		err = write_textfile(&p, textfile);
	httpd_stop(&h);
	report_free(&p.rep);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
