/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus text exposition (format 0.0.4) of the report's total view
 * (report.h): a scrape over HTTP (httpd.c) or a file for node_exporter's
 * textfile collector. A renderer: it counts nothing.
 */
#ifndef EVLAT_PROM_H
#define EVLAT_PROM_H

#include <stdio.h>
#include <sys/types.h>

#include "report.h"

/*
 * Histogram buckets: le = 2^k ns for k in [PROM_LE_MIN_LOG2, PROM_LE_MAX_LOG2],
 * the edges of the terminal's log2 slots, from 256 ns (below what a hook ->
 * send can take) to 17.2 s (beyond the default correlation timeout).
 * A fixed set, so every series keeps the same buckets for its whole life.
 */
#define PROM_LE_MIN_LOG2 8
#define PROM_LE_MAX_LOG2 34
#define PROM_LE_N	 (PROM_LE_MAX_LOG2 - PROM_LE_MIN_LOG2 + 1)

/* The exposition of @v and @info into @f; 0 or -EIO. */
int prom_render(FILE *f, const struct report_view *v, const struct run_info *info);
/*
 * The same into @buf, snprintf() style: at most @size - 1 bytes and a NUL;
 * returns the full length (truncated when >= @size), or -ENOMEM.
 */
ssize_t prom_render_buf(const struct report_view *v, const struct run_info *info, char *buf,
			size_t size);
/*
 * Replace @path atomically with the exposition: PATH.tmp.PID, fsync(),
 * rename(). Returns 0 or a negative errno; no temporary file is left behind.
 */
int prom_write_textfile(const char *path, const struct report_view *v, const struct run_info *info);

/* "1.024" for 1024000000: ns as exact decimal seconds, no exponent, no rounding. */
const char *prom_seconds(unsigned long long ns, char *buf, size_t size);

#endif
