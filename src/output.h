/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Renderers of the report (report.h): terminal histograms and summary table,
 * JSON lines. They read a view and a run_info; they count nothing.
 */
#ifndef EVLAT_OUTPUT_H
#define EVLAT_OUTPUT_H

#include <stdio.h>

#include "consumers.h"
#include "event.h"
#include "report.h"

/* JSON: one object per line; every field documented in README.md. */
void json_event(FILE *f, const struct evlat_event *ev);
void json_summary(FILE *f, const struct report_view *v, const struct run_info *info);
void json_delivery(FILE *f, const struct delivery *d);

/* Terminal: bcc print_log2_hist() per event type and stage, then a summary table. */
void text_histograms(FILE *f, const struct report_view *v, enum units u);
void text_summary(FILE *f, const struct report_view *v, const struct run_info *info, enum units u);
/* One human-readable line per event (-v), per consumer delivery. */
void text_event(FILE *f, const struct evlat_event *ev);
void text_delivery(FILE *f, const struct delivery *d);
/* -T: "HH:MM:SS" of the wall clock */
void text_timestamp(FILE *f);

#endif
