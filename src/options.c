// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	OPT_WEB_CONFIG,
};

struct env env = {
	.units = UNITS_USECS,
	.ringbuf_kib = 256,
	.timeout_ms = 2000,
	.capacity = 16384,
	.rcvbuf = 8 << 20,
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
	"    mptcp-evlat --genl-only     # netlink side only: no BPF needed";

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
	{ "kprobes", OPT_KPROBES, NULL, 0, "Use kprobes instead of fentry", 0 },
	{ "records", OPT_RECORDS, NULL, 0,
	  "Print every raw kernel record (all namespaces unless -N), nothing else", 0 },
	{ "ringbuf-kib", 'r', "KIB", 0, "BPF ring buffer size in KiB, a power of 2 (default 256)",
	  0 },
	{ "timeout", OPT_TIMEOUT, "MS", 0,
	  "Correlation timeout: an event unmatched for MS is reported lost (default 2000)", 0 },
	{ "pending", OPT_PENDING, "N", 0, "Correlation table size (default 16384)", 0 },
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
	  "Netlink socket receive buffer (default 8 MiB; small values provoke overruns)", 0 },
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

static void parse_events(char *arg, struct argp_state *st)
{
	char *save = NULL;

	env.event_filter = true;
	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int ev = event_by_name(tok);

		if (ev < 0)
			ev = (int)parse_ulong(tok, 1, EVLAT_EVENT_TYPES - 1, st, "event");
		env.events[ev] = true;
	}
}

/* --prometheus: refused here, with one message, rather than at bind time */
static void parse_listen(const char *arg, struct argp_state *st)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (httpd_parse_addr(arg, &ss, &len))
		argp_error(st,
			   "invalid --prometheus address: '%s' (expected [ADDR:]PORT: a numeric "
			   "IPv4 or [IPv6] address, port 1..65535)",
			   arg);
	env.prometheus = arg;
}

static error_t parse_arg(int key, char *arg, struct argp_state *st)
{
	switch (key) {
	case 'i':
		env.interval_s = parse_ulong(arg, 1, INT_MAX, st, "interval");
		break;
	case 'd':
		env.duration_s = parse_ulong(arg, 1, INT_MAX, st, "duration");
		break;
	case 'T':
		env.timestamp = true;
		break;
	case 'm':
		env.units = UNITS_MSECS;
		break;
	case 'u':
		env.units = UNITS_USECS;
		break;
	case OPT_NSECS:
		env.units = UNITS_NSECS;
		break;
	case 'e':
		parse_events(arg, st);
		break;
	case 't':
		env.token_filter = true;
		env.token = parse_ulong(arg, 0, UINT32_MAX, st, "token");
		break;
	case 'N':
		if (!*arg)
			argp_error(st, "empty network namespace");
		env.netns = arg;
		break;
	case 'j':
		env.json = true;
		break;
	case 'A':
		env.all_netns = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case OPT_CHECK:
		env.check = true;
		break;
	case OPT_GENL_ONLY:
		env.genl_only = true;
		break;
	case OPT_KPROBES:
		env.force_kprobe = true;
		break;
	case OPT_RECORDS:
		env.records = true;
		break;
	case 'r':
		env.ringbuf_kib = parse_ulong(arg, 4, 1 << 20, st, "ring buffer size");
		if (env.ringbuf_kib & (env.ringbuf_kib - 1))
			argp_error(st, "ring buffer size must be a power of 2: '%s'", arg);
		break;
	case OPT_TIMEOUT:
		env.timeout_ms = parse_ulong(arg, 1, 3600 * 1000, st, "timeout");
		break;
	case OPT_RCVBUF:
		env.rcvbuf = parse_ulong(arg, 1024, 1 << 30, st, "receive buffer size");
		break;
	case OPT_PROMETHEUS:
		parse_listen(arg, st);
		break;
	case OPT_TEXTFILE:
		if (!*arg)
			argp_error(st, "empty --textfile path");
		env.textfile = arg;
		break;
	case OPT_WEB_CONFIG:
		if (!*arg)
			argp_error(st, "empty --web-config path");
		env.web_config = arg;
		break;
	case OPT_PENDING:
		env.capacity = parse_ulong(arg, 16, 1 << 24, st, "pending table size");
		break;
	case ARGP_KEY_ARG:
		argp_error(st, "unexpected argument: '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (env.check && (env.json || env.interval_s || env.genl_only))
			argp_error(st, "--check runs alone (no -j, -i, --genl-only)");
		if (env.records && (env.json || env.genl_only || env.check || env.interval_s))
			argp_error(st, "--records prints raw records only (no -j, -i, --check, "
				       "--genl-only)");
		if ((env.prometheus || env.textfile) && (env.check || env.records))
			argp_error(st,
				   "--prometheus and --textfile export events: not with --check "
				   "or --records");
		if (env.web_config && !env.prometheus)
			argp_error(st, "--web-config configures --prometheus: give both");
		if (env.genl_only && env.force_kprobe)
			argp_error(st,
				   "--genl-only loads no probes: --kprobes makes no sense with it");
		if (env.interval_s && env.duration_s && env.interval_s > env.duration_s)
			argp_error(st, "interval (%u s) longer than duration (%u s)",
				   env.interval_s, env.duration_s);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void options_parse(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };

	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		exit(EXIT_USAGE);
}

__u64 units_div(enum units u)
{
	return u == UNITS_MSECS ? 1000000 : u == UNITS_USECS ? 1000 : 1;
}

const char *units_label(enum units u)
{
	return u == UNITS_MSECS ? "msecs" : u == UNITS_USECS ? "usecs" : "nsecs";
}

bool options_want(unsigned int type, __u32 token)
{
	if (env.event_filter && (type >= EVLAT_EVENT_TYPES || !env.events[type]))
		return false;
	if (env.token_filter && token != env.token)
		return false;
	return true;
}
