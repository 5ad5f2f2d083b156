/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers every part of the loader shares (bcc's trace_helpers.c in spirit). */
#ifndef EVLAT_UTIL_H
#define EVLAT_UTIL_H

#include <linux/types.h>

#define EVLAT_PROG "mptcp-evlat"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(), so of every record */
__u64 now_ns(void);

/* One line on stderr, "mptcp-evlat: " first and a newline after. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
