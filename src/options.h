/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Command line: the bcc-style `static struct env`, filled by argp. */
#ifndef EVLAT_OPTIONS_H
#define EVLAT_OPTIONS_H

#include <stdbool.h>
#include <linux/types.h>

#define EVLAT_EVENT_TYPES 256 /* event numbers are a u8 on the wire */

enum units {
	UNITS_NSECS,
	UNITS_USECS,
	UNITS_MSECS,
};

struct env {
	unsigned int interval_s; /* -i: print and reset every N seconds, 0 = at exit */
	unsigned int duration_s; /* -d */
	bool timestamp;		 /* -T */
	enum units units;	 /* -m / -u / --nsecs */
	bool event_filter;	 /* -e given */
	bool events[EVLAT_EVENT_TYPES];
	bool token_filter; /* -t given */
	__u32 token;
	const char *netns;	  /* -N: a path, or a name under /run/netns */
	bool all_netns;		  /* -A: records of every namespace; others count as no_listener */
	bool json;		  /* -j */
	bool verbose;		  /* -v */
	bool check;		  /* --check */
	bool genl_only;		  /* --genl-only */
	bool force_kprobe;	  /* --kprobes */
	bool records;		  /* --records: raw kernel records, one line each */
	unsigned int ringbuf_kib; /* -r */
	unsigned int timeout_ms;  /* --timeout: correlation expiry */
	unsigned int capacity;	  /* --pending: correlation table size */
	unsigned int rcvbuf;	  /* --rcvbuf: netlink socket receive buffer, bytes */
	const char *prometheus;	  /* --prometheus [ADDR:]PORT: serve /metrics */
	const char *textfile;	  /* --textfile PATH: the same, rewritten every -i and at exit */
	const char *web_config;	  /* --web-config FILE: TLS and basic auth for --prometheus */
};

extern struct env env;

/* Parse argv into env; exits with EXIT_USAGE and one message on bad input. */
void options_parse(int argc, char **argv);

/* The unit's divisor from ns and its bcc label ("usecs"). */
__u64 units_div(enum units u);
const char *units_label(enum units u);

/* Whether an event of @type and @token passes -e / -t. */
bool options_want(unsigned int type, __u32 token);

#endif
