// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mptcp-evlat loader: attach the fentry probes of bpf/evlat.bpf.c and print
 * each ring-buffer record as one key=value line until SIGINT/SIGTERM or the
 * end of -d DURATION.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "evlat.skel.h"
#include "evlat_record.h"
#include "exit_codes.h"
#include "probes.h"
#include "record_fmt.h"

#define POLL_MS 100 /* the BPF side wakes us only past a backlog */

static struct env {
	bool verbose;
	long duration_s;
	unsigned int ringbuf_kib;
} env = { .ringbuf_kib = 256 };

struct state {
	struct evlat_bpf *skel;
	struct probe_set probes;
	struct ring_buffer *rb;
	int epfd, sigfd, timerfd;
	unsigned long long records;
	unsigned long long bad_records;
	bool done;
};

const char *argp_program_version = "mptcp-evlat " EVLAT_VERSION;
static const char doc[] = "Trace the kernel's MPTCP path-manager events (fentry probes).\n\n"
			  "Prints one line per kernel event record until Ctrl-C.\n\n"
			  "EXAMPLES:\n"
			  "    mptcp-evlat            # trace until Ctrl-C\n"
			  "    mptcp-evlat -d 10      # trace for 10 seconds\n";

static const struct argp_option opts[] = {
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 0 },
	{ "ringbuf-kib", 'r', "KIB", 0, "Ring buffer size in KiB, a power of 2 (default 256)", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf debug output", 0 },
	{},
};

static long parse_num(const char *arg, long min, long max, struct argp_state *st, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
		argp_error(st, "invalid %s: %s (expected %ld..%ld)", what, arg, min, max);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *st)
{
	switch (key) {
	case 'd':
		env.duration_s = parse_num(arg, 1, INT_MAX, st, "duration");
		break;
	case 'r':
		env.ringbuf_kib = parse_num(arg, 4, 1 << 20, st, "ring buffer size");
		if (env.ringbuf_kib & (env.ringbuf_kib - 1))
			argp_error(st, "ring buffer size must be a power of 2: %s", arg);
		break;
	case 'v':
		env.verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(st, "unexpected argument: %s", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	if (!env.verbose)
		return 0; /* our own message says what failed; -v shows libbpf's */
	return vfprintf(stderr, fmt, args);
}

static void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("mptcp-evlat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Root, or CAP_BPF + CAP_PERFMON (5.8+), or CAP_SYS_ADMIN. */
static bool have_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = data[0].effective | (__u64)data[1].effective << 32;
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ULL << 39)) && (eff & (1ULL << 38)); /* CAP_BPF, CAP_PERFMON */
}

static int handle_record(void *ctx, void *data, size_t len)
{
	struct state *s = ctx;
	char line[512];
	int n = record_format(data, len, line, sizeof(line));

	if (n < 0) {
		s->bad_records++;
		return 0;
	}
	s->records++;
	puts(line);
	return 0;
}

static int open_and_load(struct state *s)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int err;

	if (!vmlinux) {
		die_msg("no kernel BTF (/sys/kernel/btf/vmlinux): needs CONFIG_DEBUG_INFO_BTF=y");
		return EXIT_NO_BTF;
	}
	s->skel = evlat_bpf__open();
	if (!s->skel) {
		err = -errno;
		btf__free(vmlinux);
		die_msg("cannot open BPF object: %s", strerror(-err));
		return EXIT_RUNTIME;
	}
	bpf_map__set_max_entries(s->skel->maps.events, env.ringbuf_kib * 1024);
	err = probes_select(&s->probes, s->skel, vmlinux);
	btf__free(vmlinux);
	if (err) {
		for (int i = 0; i < s->probes.n; i++)
			if (s->probes.p[i].state == PROBE_MISSING && s->probes.p[i].mandatory)
				die_msg("kernel has no %s(): is MPTCP built in (CONFIG_MPTCP)?",
					s->probes.p[i].target);
		return EXIT_NO_MPTCP;
	}
	err = evlat_bpf__load(s->skel);
	if (err) {
		die_msg("kernel refused the BPF programs: %s%s", strerror(-err),
			err == -EPERM ? " (fentry not permitted by this kernel?)" : "");
		return EXIT_BPF_REFUSED;
	}
	return EXIT_OK;
}

static int attach(struct state *s)
{
	int err = probes_attach(&s->probes);

	for (int i = 0; i < s->probes.n; i++) {
		struct probe *p = &s->probes.p[i];

		if (p->state == PROBE_MISSING)
			fprintf(stderr, "mptcp-evlat: notice: %s() not in this kernel, skipped\n",
				p->target);
		else if (p->state == PROBE_FAILED)
			fprintf(stderr, "mptcp-evlat: %s: cannot attach to %s(): %s\n",
				p->mandatory ? "error" : "notice", p->target, strerror(-p->err));
	}
	if (err)
		return EXIT_BPF_REFUSED;
	fprintf(stderr,
		"mptcp-evlat: attached %d probes:", probes_count(&s->probes, PROBE_ATTACHED));
	for (int i = 0; i < s->probes.n; i++)
		if (s->probes.p[i].state == PROBE_ATTACHED)
			fprintf(stderr, " %s", s->probes.p[i].target);
	fputc('\n', stderr);
	return EXIT_OK;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_loop(struct state *s)
{
	sigset_t mask;

	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), handle_record, s, NULL);
	if (!s->rb)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		return -errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	if (env.duration_s) {
		struct itimerspec its = { .it_value.tv_sec = env.duration_s };

		s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (s->timerfd < 0 || timerfd_settime(s->timerfd, 0, &its, NULL))
			return -errno;
		if (epoll_add(s->epfd, s->timerfd))
			return -errno;
	}
	if (epoll_add(s->epfd, s->sigfd) || epoll_add(s->epfd, ring_buffer__epoll_fd(s->rb)))
		return -errno;
	return 0;
}

static int run_loop(struct state *s)
{
	struct epoll_event evs[4];

	while (!s->done) {
		int n = epoll_wait(s->epfd, evs, 4, POLL_MS);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.fd == s->sigfd || evs[i].data.fd == s->timerfd)
				s->done = true;
		if (ring_buffer__consume(s->rb) < 0)
			return -EIO;
		fflush(stdout);
	}
	return 0;
}

static unsigned long long ringbuf_drops(struct state *s)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long total = 0;
	__u64 vals[ncpu > 0 ? ncpu : 1];

	for (__u32 k = 0; ncpu > 0 && k < EVLAT_K_MAX; k++) {
		if (bpf_map__lookup_elem(s->skel->maps.drops, &k, sizeof(k), vals, sizeof(vals), 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			total += vals[c];
	}
	return total;
}

static void report(struct state *s)
{
	fprintf(stderr, "mptcp-evlat: %llu records, %llu ring buffer drops", s->records,
		ringbuf_drops(s));
	if (s->bad_records)
		fprintf(stderr, ", %llu malformed records ignored", s->bad_records);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct state s = { .epfd = -1, .sigfd = -1, .timerfd = -1 };
	int ret, err;

	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return EXIT_USAGE;
	if (!have_privileges()) {
		die_msg("needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)");
		return EXIT_PRIVILEGE;
	}
	libbpf_set_print(libbpf_print);

	ret = open_and_load(&s);
	if (ret)
		goto cleanup;
	ret = attach(&s);
	if (ret)
		goto cleanup;
	err = setup_loop(&s);
	if (!err)
		err = run_loop(&s);
	if (err) {
		die_msg("event loop: %s", strerror(-err));
		ret = EXIT_RUNTIME;
	}
	report(&s);
cleanup:
	ring_buffer__free(s.rb);
	probes_destroy(&s.probes);
	evlat_bpf__destroy(s.skel);
	if (s.epfd >= 0)
		close(s.epfd);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.timerfd >= 0)
		close(s.timerfd);
	return ret;
}
