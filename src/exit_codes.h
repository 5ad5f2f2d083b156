/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Process exit codes: one per failure class, documented in README.md. */
#ifndef EVLAT_EXIT_CODES_H
#define EVLAT_EXIT_CODES_H

enum evlat_exit {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,     /* an error while running (ring buffer, epoll, ...) */
	EXIT_USAGE = 2,	      /* bad flags or arguments */
	EXIT_PRIVILEGE = 3,   /* not root / missing CAP_BPF+CAP_PERFMON */
	EXIT_NO_BTF = 4,      /* the kernel exposes no vmlinux BTF */
	EXIT_NO_MPTCP = 5,    /* a mandatory probe target is missing: no MPTCP */
	EXIT_BPF_REFUSED = 6, /* the kernel refused to load or attach the probes */
	EXIT_VERDICT = 7,     /* ran to the end, and a --fail-on-loss, --max-latency or
				 --expect-events threshold was violated */
};

#endif
