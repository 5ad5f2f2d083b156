/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The outputs: terminal histograms + summary table, and JSON lines. */
#ifndef EVLAT_OUTPUT_H
#define EVLAT_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "correlate.h"
#include "event.h"
#include "probes.h"
#include "stats.h"

/* What a summary says besides the per-event statistics. */
struct run_info {
	__u64 duration_ns;
	bool genl_only;
	unsigned long long records;	  /* ring-buffer records read */
	unsigned long long ringbuf_drops; /* records the BPF side could not reserve */
	unsigned long long nl_messages, nl_overruns, nl_errors;
	const struct corr_stats *corr;	/* NULL with --genl-only */
	const struct probe_set *probes; /* NULL with --genl-only */
};

/* JSON: one object per line; every field documented in README.md. */
void json_event(FILE *f, const struct evlat_event *ev);
void json_summary(FILE *f, const struct stats *s, const struct run_info *info);

/* Terminal: bcc print_log2_hist() per event type and stage, then a summary table. */
void text_histograms(FILE *f, const struct stats *s);
void text_summary(FILE *f, const struct stats *s, const struct run_info *info);
/* One human-readable line per event (-v). */
void text_event(FILE *f, const struct evlat_event *ev);
/* -T: "HH:MM:SS" of the wall clock */
void text_timestamp(FILE *f);

/* "10.0.1.1" / "2001:db8::1" of an event's address */
const char *event_addr(const struct evlat_event *ev, const __u8 *addr, char *buf, size_t size);
/* "created", or the number for an unknown type */
const char *event_label(unsigned int type, char *buf, size_t size);

#endif
