/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Command line: argp fills one struct options that main() owns and hands
 * down, each module getting only the part it needs. No module header
 * includes this one.
 */
#ifndef EVLAT_OPTIONS_H
#define EVLAT_OPTIONS_H

#include <stdbool.h>
#include <linux/types.h>

#include "report.h"
#include "verdict.h"

struct options {
	unsigned int interval_s;  /* -i: print and reset every N seconds, 0 = at exit */
	unsigned int duration_s;  /* -d */
	struct report_cfg report; /* -T, -m/-u/--nsecs, -e, -t, -j, -v */
	const char *netns;	  /* -N: a path, or a name under /run/netns */
	bool all_netns;		  /* -A: records of every namespace; others count as no_listener */
	bool verbose;		  /* -v: also libbpf's messages */
	bool check;		  /* --check */
	bool genl_only;		  /* --genl-only */
	bool force_kprobe;	  /* --kprobes */
	bool records;		  /* --records: raw kernel records, one line each */
	bool observe;		  /* --observe: no subscription of ours, everything from BPF */
	bool no_consumers;	  /* --no-consumers: no netlink-side probes */
	unsigned int ringbuf_kib; /* -r */
	unsigned int timeout_ms;  /* --timeout: correlation expiry */
	unsigned int capacity;	  /* --pending: correlation table size */
	unsigned int rcvbuf;	  /* --rcvbuf: netlink socket receive buffer, bytes */
	const char *prometheus;	  /* --prometheus [ADDR:]PORT: serve /metrics */
	const char *textfile;	  /* --textfile PATH: the same, rewritten every -i and at exit */
	const char *web_config;	  /* --web-config FILE: TLS and basic auth for --prometheus */
	struct verdict_cfg verdict; /* --fail-on-loss, --max-latency, --expect-events */
};

/*
 * Parse argv into @o (defaults first). Exits with EXIT_USAGE and one message
 * on bad input, and with 0 after --help / --version, as argp does.
 */
void options_parse(int argc, char **argv, struct options *o);

#endif
