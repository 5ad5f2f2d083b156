/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* --check: can this kernel be traced? Made for users' CI. */
#ifndef EVLAT_SELFCHECK_H
#define EVLAT_SELFCHECK_H

#include <stdbool.h>

/*
 * Print one line per requirement and probe; 0 only when the seed probes
 * attach, else an EXIT_* code. The probes are loaded as the tracer would:
 * with a ring of @ringbuf_kib, kprobes only with @force_kprobe.
 */
int selfcheck_run(unsigned int ringbuf_kib, bool force_kprobe);

#endif
