/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus text exposition (format 0.0.4): a scrape over HTTP (httpd.c) or
 * a file for node_exporter's textfile collector.
 *
 * Prometheus wants counters that never go down, while struct stats is reset
 * every -i for the terminal: struct prom keeps its own cumulative copy, fed
 * the same events as stats_add(), and rendering reads nothing else.
 */
#ifndef EVLAT_PROM_H
#define EVLAT_PROM_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include "event.h"
#include "options.h"
#include "probes.h"

/*
 * Histogram buckets: le = 2^k ns for k in [PROM_LE_MIN_LOG2, PROM_LE_MAX_LOG2],
 * the edges of the terminal's log2 slots, from 256 ns (below what a hook ->
 * send can take) to 17.2 s (beyond the default 2 s correlation timeout).
 * A fixed set, so every series keeps the same buckets for its whole life.
 */
#define PROM_LE_MIN_LOG2 8
#define PROM_LE_MAX_LOG2 34
#define PROM_LE_N	 (PROM_LE_MAX_LOG2 - PROM_LE_MIN_LOG2 + 1)

struct prom_hist {
	unsigned long long count, sum_ns;
	/* not cumulative: [0] is v <= 2^MIN, [j] is 2^(MIN+j-1) < v <= 2^(MIN+j), [N] above */
	unsigned long long le[PROM_LE_N + 1];
};

struct prom_event {
	unsigned long long status[ST_MAX];
	struct prom_hist stage[STAGE_MAX];
};

struct prom_probe {
	const char *name; /* static strings of probes.c */
	const char *mode; /* "fentry", "kprobe", or "none" when not attached */
	bool attached;
};

struct prom {
	struct prom_event *ev[EVLAT_EVENT_TYPES]; /* allocated on first use: ~1 KiB each */
	unsigned long long nl_overruns, ringbuf_drops;
	struct prom_probe probes[PROBES_MAX];
	int n_probes; /* 0 with --genl-only: no probe metric */
	char kernel[sizeof(((struct utsname *)0)->release)];
};

/* Zero @p and read the kernel release (uname -r) for build_info. */
void prom_init(struct prom *p);
void prom_free(struct prom *p);

/* Count @ev, as stats_add() does; returns 0 or -ENOMEM. */
int prom_accumulate(struct prom *p, const struct evlat_event *ev);
/* Add @n events without latency, as stats_add_count() does; 0 or -ENOMEM. */
int prom_add_count(struct prom *p, unsigned int type, enum evlat_status status,
		   unsigned long long n);
/* Run totals (never reset): netlink ENOBUFS overruns and BPF ring-buffer drops. */
void prom_set_counts(struct prom *p, unsigned long long nl_overruns,
		     unsigned long long ringbuf_drops);
/* Which probes are attached, and how; @ps NULL (--genl-only): none. */
void prom_set_probes(struct prom *p, const struct probe_set *ps);

/* The exposition into @f; 0 or -EIO. */
int prom_render(const struct prom *p, FILE *f);
/*
 * The exposition into @buf, snprintf() style: at most @size - 1 bytes and a
 * NUL; returns the full length (truncated when >= @size), or -ENOMEM.
 */
ssize_t prom_render_buf(const struct prom *p, char *buf, size_t size);
/*
 * Replace @path atomically with the exposition: PATH.tmp.PID, fsync(),
 * rename(). Returns 0 or a negative errno; no temporary file is left behind.
 */
int prom_write_textfile(const struct prom *p, const char *path);

/* "1.024" for 1024000000: ns as exact decimal seconds, no exponent, no rounding. */
const char *prom_seconds(unsigned long long ns, char *buf, size_t size);

#endif
