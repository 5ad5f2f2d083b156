/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Privilege drop: once the probes are attached and the netlink group is
 * joined, the tracer needs no capability at all (see privdrop.c for why each
 * remaining operation is unprivileged). Raw capset(2)/prctl(2), no libcap.
 */
#ifndef EVLAT_PRIVDROP_H
#define EVLAT_PRIVDROP_H

#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

/* A process's capability sets and no_new_privs, as /proc/PID/status shows them. */
struct privdrop_caps {
	__u64 inh, prm, eff, bnd, amb; /* bit N = capability N */
	int no_new_privs;	       /* 0 or 1; -1 when the kernel does not say */
};

/*
 * Drop every capability of the calling process for good: the bounding set
 * where permitted (it takes CAP_SETPCAP, which a systemd unit usually leaves
 * out: the bounding set is then already restricted and no_new_privs keeps
 * execve() from using it), the ambient set, then effective, permitted and
 * inheritable; set no_new_privs. Reads the sets back.
 *
 * Returns 0, or:
 *   -ENOTRECOVERABLE  a set is not empty after the drop, or no_new_privs is off
 *   other negative errno from a failing prctl(2) or capset(2)
 * The process may be partly dropped on failure: treat any error as fatal.
 *
 * Single-threaded callers only: capabilities are per thread.
 */
int privdrop_all(void);

/* Parse the Cap* and NoNewPrivs lines of a /proc/PID/status text. 0 or -EINVAL. */
int privdrop_parse_status(const char *status, struct privdrop_caps *c);

/* Read /proc/@pid/status (0: ourselves). 0 or negative errno. */
int privdrop_read_caps(pid_t pid, struct privdrop_caps *c);

/*
 * One line for logs and tests:
 *   pid 123: CapInh=0000000000000000 CapPrm=... CapEff=... CapBnd=... CapAmb=... NoNewPrivs=1
 * Returns 0 or the negative errno of reading @pid's status (then prints nothing).
 */
int privdrop_print_caps(FILE *f, pid_t pid);

#endif
