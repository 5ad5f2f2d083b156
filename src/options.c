// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "exit_codes.h"
#include "httpd.h"
#include "names.h"
#include "options.h"

enum {
	OPT_CHECK = 1000,
	OPT_GENL_ONLY,
	OPT_KPROBES,
	OPT_NSECS,
	OPT_TIMEOUT,
	OPT_PENDING,
	OPT_RECORDS,
	OPT_RCVBUF,
	OPT_PROMETHEUS,
	OPT_TEXTFILE,
	OPT_FAIL_ON_LOSS,
	OPT_MAX_LATENCY,
	OPT_EXPECT_EVENTS,
	OPT_WEB_CONFIG,
	OPT_OBSERVE,
	OPT_NO_CONSUMERS,
};

static const struct options defaults = {
	.report = { .units = UNITS_USECS },
	.ringbuf_kib = EVLAT_DEFAULT_RINGBUF_KIB,
	.timeout_ms = EVLAT_DEFAULT_TIMEOUT_MS,
	.capacity = EVLAT_DEFAULT_PENDING,
	.rcvbuf = EVLAT_DEFAULT_RCVBUF,
};

const char *argp_program_version = "mptcp-evlat " EVLAT_VERSION;
const char *argp_program_bug_address = NULL;

static const char doc[] =
	"Measure how fast the kernel's MPTCP path-manager events reach userspace, per event type.\n"
	"\n"
	"fentry probes on the kernel's event senders are matched with the events received on the "
	"mptcp_pm_events netlink group; latency histograms are printed at exit (or every -i).\n"
	"\n"
	"EXAMPLES:\n"
	"    mptcp-evlat                 # histograms per event type at Ctrl-C\n"
	"    mptcp-evlat -i 10 -T        # print and reset every 10 s, with timestamps\n"
	"    mptcp-evlat -e created,sub_established -m   # two event types, in msecs\n"
	"    mptcp-evlat -N /run/netns/ns1 -j            # JSON lines for one namespace\n"
	"    mptcp-evlat --check         # can this kernel be traced?\n"
	"    mptcp-evlat --genl-only     # netlink side only: no BPF needed\n"
	"    mptcp-evlat --observe -N pm # add no subscriber beside the path manager\n"
	"    mptcp-evlat -d 60 --fail-on-loss --max-latency all:p99=10ms   # a verdict for CI\n"
	"\n"
	"Exit status: 0 ok, 1 runtime error, 2 usage, 3 privileges, 4 no BTF, 5 no MPTCP, "
	"6 probes refused, 7 a CI threshold violated.";

static const struct argp_option opts[] = {
	{ "interval", 'i', "SECONDS", 0, "Print and reset the histograms every SECONDS", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 0 },
	{ "timestamp", 'T', NULL, 0, "Print a timestamp with each output", 0 },
	{ "milliseconds", 'm', NULL, 0, "Histograms in milliseconds", 0 },
	{ "microseconds", 'u', NULL, 0, "Histograms in microseconds (default)", 0 },
	{ "nsecs", OPT_NSECS, NULL, 0, "Histograms in nanoseconds", 0 },
	{ "events", 'e', "EVENT,...", 0,
	  "Only these event types (names as in ip mptcp monitor, e.g. created, sub_closed, or "
	  "numbers)",
	  0 },
	{ "token", 't', "TOKEN", 0, "Only events of this MPTCP token (hex 0x... or decimal)", 0 },
	{ "netns", 'N', "NETNS", 0,
	  "Network namespace: a path (/run/netns/X, /proc/PID/ns/net) or a name in /run/netns "
	  "(default: ours)",
	  0 },
	{ "all-netns", 'A', NULL, 0,
	  "Trace every namespace; events of the others count as no_listener", 0 },
	{ "json", 'j', NULL, 0, "JSON lines: one object per event, a summary at exit", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf messages and per-event diagnostics", 0 },
	{ "check", OPT_CHECK, NULL, 0, "Check whether this kernel can be traced, then exit", 0 },
	{ "genl-only", OPT_GENL_ONLY, NULL, 0, "Netlink side only (no BPF): events, rates, losses",
	  0 },
	{ "kprobes", OPT_KPROBES, NULL, 0, "Use kprobes instead of fentry (no consumer view)", 0 },
	{ "observe", OPT_OBSERVE, NULL, 0,
	  "Observe only: no netlink subscription of ours (no netlink cost added where a path "
	  "manager listens); events and every consumer's deliveries from BPF",
	  0 },
	{ "no-consumers", OPT_NO_CONSUMERS, NULL, 0,
	  "No consumer view: leave out the probes on netlink delivery and reads", 0 },
	{ "records", OPT_RECORDS, NULL, 0,
	  "Print every raw kernel record (all namespaces unless -N), nothing else", 0 },
	{ "ringbuf-kib", 'r', "KIB", 0,
	  "BPF ring buffer size in KiB, a power of 2 (default " EVLAT_STR(
		  EVLAT_DEFAULT_RINGBUF_KIB) ")",
	  0 },
	{ "timeout", OPT_TIMEOUT, "MS", 0,
	  "Correlation timeout: an event unmatched for MS is reported lost (default " EVLAT_STR(
		  EVLAT_DEFAULT_TIMEOUT_MS) ")",
	  0 },
	{ "pending", OPT_PENDING, "N", 0,
	  "Correlation table size (default " EVLAT_STR(EVLAT_DEFAULT_PENDING) ")", 0 },
	{ "prometheus", OPT_PROMETHEUS, "[ADDR:]PORT", 0,
	  "Serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR 127.0.0.1 unless given: "
	  "0.0.0.0:9100, [::1]:9100)",
	  0 },
	{ "textfile", OPT_TEXTFILE, "PATH", 0,
	  "Write Prometheus metrics to PATH (atomic rename) at start, every -i and at exit, for "
	  "node_exporter's textfile collector",
	  0 },
	{ "web-config", OPT_WEB_CONFIG, "FILE", 0,
	  "TLS and basic authentication for --prometheus: a Prometheus exporter-toolkit web "
	  "config (tls_server_config, basic_auth_users), read once at start",
	  0 },
	{ "rcvbuf", OPT_RCVBUF, "BYTES", 0,
	  "Netlink socket receive buffer (default " EVLAT_STR(
		  EVLAT_DEFAULT_RCVBUF_MIB) " MiB; small values provoke overruns)",
	  0 },
	{ NULL, 0, NULL, 0,
	  "A verdict for CI, judged at exit on the whole run (exit 7 when violated):", 1 },
	{ "fail-on-loss", OPT_FAIL_ON_LOSS, "STATUS,...", OPTION_ARG_OPTIONAL,
	  "Fail if any event ends in these statuses (default: every lost_* and not_delivered)", 1 },
	{ "max-latency", OPT_MAX_LATENCY, "EVENT:STAT=DURATION", 0,
	  "Fail if STAT (p50, p90, p99, max) of EVENT's latency (a name, number or all) exceeds "
	  "DURATION (250us, 5ms, 1.5s); repeatable",
	  1 },
	{ "expect-events", OPT_EXPECT_EVENTS, "N|EVENT=N[+]", 0,
	  "Fail unless at least N events in all, or exactly N (N+: at least N) of EVENT, were "
	  "seen; repeatable",
	  1 },
	{},
};

static unsigned long parse_ulong(const char *arg, unsigned long min, unsigned long max,
				 struct argp_state *st, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || *arg == '-' || v < min || v > max)
		argp_error(st, "invalid %s: '%s' (expected %lu..%lu)", what, arg, min, max);
	return v;
}

static void parse_events(char *arg, struct argp_state *st, struct report_filter *f)
{
	char *save = NULL;

	f->event_set = true;
	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int ev = event_by_name(tok);

		if (ev < 0)
			ev = (int)parse_ulong(tok, 1, EVLAT_EVENT_TYPES - 1, st, "event");
		f->events[ev] = true;
	}
}

/* --prometheus: refused here, with one message, rather than at bind time */
static const char *parse_listen(const char *arg, struct argp_state *st)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (httpd_parse_addr(arg, &ss, &len))
		argp_error(st,
			   "invalid --prometheus address: '%s' (expected [ADDR:]PORT: a numeric "
			   "IPv4 or [IPv6] address, port 1..65535)",
			   arg);
	return arg;
}

/* --fail-on-loss, --max-latency, --expect-events. 0, or ARGP_ERR_UNKNOWN. */
static error_t parse_verdict_arg(int key, char *arg, struct argp_state *st, struct verdict_cfg *v)
{
	char err[160] = "";
	int ret;

	switch (key) {
	case OPT_FAIL_ON_LOSS:
		ret = verdict_add_loss(v, arg, err, sizeof(err));
		break;
	case OPT_MAX_LATENCY:
		ret = verdict_add_latency(v, arg, err, sizeof(err));
		break;
	case OPT_EXPECT_EVENTS:
		ret = verdict_add_expect(v, arg, err, sizeof(err));
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	if (ret == -E2BIG)
		argp_error(st, "more than %d verdict thresholds", VERDICT_RULES);
	else if (ret)
		argp_error(st, "invalid %s %s",
			   key == OPT_FAIL_ON_LOSS  ? "--fail-on-loss:"
			   : key == OPT_MAX_LATENCY ? "--max-latency:"
						    : "--expect-events:",
			   err);
	return 0;
}

/* What is shown and how: the report's configuration. 0, or ARGP_ERR_UNKNOWN. */
static error_t parse_report_arg(int key, char *arg, struct argp_state *st, struct report_cfg *r)
{
	switch (key) {
	case 'T':
		r->timestamp = true;
		break;
	case 'm':
		r->units = UNITS_MSECS;
		break;
	case 'u':
		r->units = UNITS_USECS;
		break;
	case OPT_NSECS:
		r->units = UNITS_NSECS;
		break;
	case 'e':
		parse_events(arg, st, &r->filter);
		break;
	case 't':
		r->filter.token_set = true;
		r->filter.token = parse_ulong(arg, 0, UINT32_MAX, st, "token");
		break;
	case 'j':
		r->json = true;
		break;
	case 'v':
		r->verbose = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Options that exclude each other, checked once all are read */
static void check_combinations(const struct options *o, struct argp_state *st)
{
	bool json = o->report.json;

	if (o->check && (json || o->interval_s || o->genl_only))
		argp_error(st, "--check runs alone (no -j, -i, --genl-only)");
	if (o->records && (json || o->genl_only || o->check || o->interval_s))
		argp_error(st, "--records prints raw records only (no -j, -i, --check, "
			       "--genl-only)");
	if ((o->prometheus || o->textfile) && (o->check || o->records))
		argp_error(st, "--prometheus and --textfile export events: not with --check "
			       "or --records");
	if (o->verdict.n && (o->check || o->records))
		argp_error(st, "--fail-on-loss, --max-latency and --expect-events judge events: "
			       "not with --check or --records");
	if (o->web_config && !o->prometheus)
		argp_error(st, "--web-config configures --prometheus: give both");
	if (o->observe && (o->genl_only || o->force_kprobe || o->no_consumers || o->records))
		argp_error(st, "--observe sees everything through fentry probes: not with "
			       "--genl-only, --kprobes, --no-consumers or --records");
	if (o->genl_only && o->force_kprobe)
		argp_error(st, "--genl-only loads no probes: --kprobes makes no sense with it");
	if (o->interval_s && o->duration_s && o->interval_s > o->duration_s)
		argp_error(st, "interval (%u s) longer than duration (%u s)", o->interval_s,
			   o->duration_s);
}

static error_t parse_arg(int key, char *arg, struct argp_state *st)
{
	struct options *o = st->input;

	if (parse_report_arg(key, arg, st, &o->report) == 0) {
		o->verbose |= key == 'v';
		return 0;
	}
	if (parse_verdict_arg(key, arg, st, &o->verdict) == 0)
		return 0;
	switch (key) {
	case 'i':
		o->interval_s = parse_ulong(arg, 1, INT_MAX, st, "interval");
		break;
	case 'd':
		o->duration_s = parse_ulong(arg, 1, INT_MAX, st, "duration");
		break;
	case 'N':
		if (!*arg)
			argp_error(st, "empty network namespace");
		o->netns = arg;
		break;
	case 'A':
		o->all_netns = true;
		break;
	case OPT_CHECK:
		o->check = true;
		break;
	case OPT_GENL_ONLY:
		o->genl_only = true;
		break;
	case OPT_KPROBES:
		o->force_kprobe = true;
		break;
	case OPT_RECORDS:
		o->records = true;
		break;
	case OPT_OBSERVE:
		o->observe = true;
		break;
	case OPT_NO_CONSUMERS:
		o->no_consumers = true;
		break;
	case 'r':
		o->ringbuf_kib = parse_ulong(arg, 4, 1 << 20, st, "ring buffer size");
		if (o->ringbuf_kib & (o->ringbuf_kib - 1))
			argp_error(st, "ring buffer size must be a power of 2: '%s'", arg);
		break;
	case OPT_TIMEOUT:
		o->timeout_ms = parse_ulong(arg, 1, 3600 * 1000, st, "timeout");
		break;
	case OPT_RCVBUF:
		o->rcvbuf = parse_ulong(arg, 1024, 1 << 30, st, "receive buffer size");
		break;
	case OPT_PROMETHEUS:
		o->prometheus = parse_listen(arg, st);
		break;
	case OPT_TEXTFILE:
		if (!*arg)
			argp_error(st, "empty --textfile path");
		o->textfile = arg;
		break;
	case OPT_WEB_CONFIG:
		if (!*arg)
			argp_error(st, "empty --web-config path");
		o->web_config = arg;
		break;
	case OPT_PENDING:
		o->capacity = parse_ulong(arg, 16, 1 << 24, st, "pending table size");
		break;
	case ARGP_KEY_ARG:
		argp_error(st, "unexpected argument: '%s'", arg);
		break;
	case ARGP_KEY_END:
		check_combinations(o, st);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void options_parse(int argc, char **argv, struct options *o)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };

	*o = defaults;
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, o))
		exit(EXIT_USAGE);
}
