/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Defaults, defined once: the options, their --help text, the modules that
 * fall back to them and the man page (checked by tests/unit/test_options.c)
 * all say the same.
 */
#ifndef EVLAT_DEFAULTS_H
#define EVLAT_DEFAULTS_H

#define EVLAT_STR_(x) #x
#define EVLAT_STR(x)  EVLAT_STR_(x)

/* --timeout: an event unmatched this long is judged (ten times the 100 ms poll, twice) */
#define EVLAT_DEFAULT_TIMEOUT_MS 2000
/* --pending: 16 k events lost within one timeout before the oldest is evicted (~3.5 MiB) */
#define EVLAT_DEFAULT_PENDING 16384
/* --rcvbuf: the netlink socket's receive buffer */
#define EVLAT_DEFAULT_RCVBUF_MIB 8
#define EVLAT_DEFAULT_RCVBUF	 (EVLAT_DEFAULT_RCVBUF_MIB << 20)
/* -r: the BPF ring buffer */
#define EVLAT_DEFAULT_RINGBUF_KIB 256
/* the loop drains the ring at least this often: the BPF side wakes it only past a backlog */
#define EVLAT_POLL_MS 100

#endif
