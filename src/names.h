/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names of MPTCP event types and record kinds, as ip mptcp monitor prints them. */
#ifndef EVLAT_NAMES_H
#define EVLAT_NAMES_H

#include <stddef.h>

/* "created", ... or NULL for a number we have no name for */
const char *event_name(unsigned int type);
/* "created", or the number for a type we have no name for (in @buf) */
const char *event_label(unsigned int type, char *buf, size_t size);
/* event number for a name, or -EINVAL */
int event_by_name(const char *name);
/* "event", "announced", ... or NULL */
const char *kind_name(unsigned int kind);
/* "saddr", "sport", ... for one CORR_F_* bit, or NULL */
const char *ident_field_name(unsigned int bit);
/* "read", "lost_overrun", "unread": enum delivery_status (consumers.h) */
const char *delivery_status_name(unsigned int st);
/* "queue", "read", "total": enum delivery_stage, for labels; and the JSON keys */
const char *delivery_stage_name(unsigned int st);
const char *delivery_stage_key(unsigned int st);
/* "ESTABLISHED", ... for a TCP_* state number, or NULL */
const char *tcp_state_name(unsigned int state);

#endif
