/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Duplicate events: a second CLOSED for a connection, or a second SUB_CLOSED
 * for a subflow (the bug fixed upstream in early 2026, doc/kernel-notes.md). A later
 * CREATED / SUB_ESTABLISHED with the same key starts a new life for it, so
 * token and port reuse are not duplicates.
 */
#ifndef EVLAT_DUP_H
#define EVLAT_DUP_H

#include <stdbool.h>
#include <linux/types.h>

#include "event.h"

#define DUP_SLOTS 8192 /* remembered keys; the oldest is overwritten */

struct dup_table {
	__u64 key[DUP_SLOTS]; /* 0: empty */
};

/* Record @ev; returns true when it repeats a close already seen. */
bool dup_check(struct dup_table *t, const struct evlat_event *ev);

#endif
