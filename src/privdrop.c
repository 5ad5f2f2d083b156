// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Dropping every capability once the privileged set-up is done.
 *
 * What the capabilities are for, all of it before privdrop_all():
 *   CAP_BPF + CAP_PERFMON  load and attach the probes (fentry; kprobes through
 *                          the perf kprobe PMU), create the maps
 *   CAP_NET_ADMIN          join mptcp_pm_events (checked on join since 6.7,
 *                          GENL_MCAST_CAP_NET_ADMIN), SO_RCVBUFFORCE
 *   CAP_SYS_ADMIN          only for -N: setns() into another namespace
 *
 * What the event loop does afterwards, none of which checks a capability:
 *   - the ring buffer: pages mmap'd by ring_buffer__new(), epoll on its fd;
 *   - bpf(BPF_MAP_LOOKUP_ELEM) on the drops map's fd: only the fd's mode is
 *     checked since 5.19 (c8644cd0efe7 "bpf: refine
 *     kernel.unprivileged_bpf_disabled behaviour"); before it, every bpf()
 *     command needed CAP_BPF while that sysctl was set;
 *   - recv() and SO_MEMINFO on the joined netlink socket: genl checks the
 *     group's flags when joining, never on delivery;
 *   - accept() and send() on a socket bound and listening before the drop;
 *   - files written as uid 0 but without CAP_DAC_OVERRIDE: the file and its
 *     directory must grant uid 0 write access by their mode and owner;
 *   - close() of the links, maps and sockets at exit.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "privdrop.h"

/* Ambient capabilities exist since 4.3; old C libraries lack the names. */
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT		 47
#define PR_CAP_AMBIENT_IS_SET	 1
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CAP_WORDS 2  /* _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set */
#define CAP_BITS  64 /* what /proc/PID/status and struct privdrop_caps hold */

/*
 * The highest capability this kernel knows: PR_CAPBSET_READ fails with
 * EINVAL past it. Unlike /proc/sys/kernel/cap_last_cap this needs no /proc,
 * which a sandbox may hide.
 */
static int last_cap(void)
{
	int cap = 0;

	while (cap < CAP_BITS && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0)
		cap++;
	return cap - 1;
}

/*
 * PR_CAPBSET_DROP needs CAP_SETPCAP. Without it (CapabilityBoundingSet= of a
 * systemd unit usually leaves it out) the set stays as the unit restricted
 * it, and no_new_privs keeps execve() from granting any of it back.
 */
static int drop_bounding(int last)
{
	for (int cap = 0; cap <= last; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			return -errno;
		if (!r)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return errno == EPERM ? 0 : -errno;
	}
	return 0;
}

/* EINVAL before 4.3: there is no ambient set to clear. */
static int clear_ambient(void)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	return 0;
}

/* Lowering permitted, effective and inheritable to nothing needs no privilege. */
static int capset_empty(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[CAP_WORDS] = {};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static int verify_dropped(int last)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[CAP_WORDS] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	for (int i = 0; i < CAP_WORDS; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return -ENOTRECOVERABLE;
	for (int cap = 0; cap <= last; cap++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
			return -ENOTRECOVERABLE;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -ENOTRECOVERABLE;
	return 0;
}

int privdrop_all(void)
{
	int last = last_cap();
	int err;

	/* first: it needs no privilege and holds even if a later step fails */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	/* the bounding set while CAP_SETPCAP may still be effective */
	err = drop_bounding(last);
	if (!err)
		err = clear_ambient();
	if (!err)
		err = capset_empty();
	if (!err)
		err = verify_dropped(last);
	return err;
}

/* ---- reading the sets of a process, for tests and diagnostics -------------- */

static const struct {
	const char *key;
	size_t off;
} status_keys[] = {
	{ "CapInh:", offsetof(struct privdrop_caps, inh) },
	{ "CapPrm:", offsetof(struct privdrop_caps, prm) },
	{ "CapEff:", offsetof(struct privdrop_caps, eff) },
	{ "CapBnd:", offsetof(struct privdrop_caps, bnd) },
	{ "CapAmb:", offsetof(struct privdrop_caps, amb) }, /* 4.3+ */
};

#define KEYS_REQUIRED 0xfu /* Inh, Prm, Eff, Bnd; CapAmb may be absent */

static int parse_hex(const char *s, __u64 *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 16);
	if (errno || end == s || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

/* One "Key:\tvalue" line; @seen collects the keys found. */
static int parse_line(const char *line, struct privdrop_caps *c, unsigned int *seen)
{
	__u64 v;

	for (size_t i = 0; i < sizeof(status_keys) / sizeof(status_keys[0]); i++) {
		size_t len = strlen(status_keys[i].key);

		if (strncmp(line, status_keys[i].key, len))
			continue;
		if (parse_hex(line + len, &v))
			return -EINVAL;
		*(__u64 *)((char *)c + status_keys[i].off) = v;
		*seen |= 1u << i;
		return 0;
	}
	if (!strncmp(line, "NoNewPrivs:", 11)) {
		if (parse_hex(line + 11, &v) || v > 1)
			return -EINVAL;
		c->no_new_privs = (int)v;
	}
	return 0;
}

static void caps_init(struct privdrop_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->no_new_privs = -1;
}

int privdrop_parse_status(const char *status, struct privdrop_caps *c)
{
	unsigned int seen = 0;

	caps_init(c);
	for (const char *line = status; line && *line;) {
		const char *nl = strchr(line, '\n');

		if (parse_line(line, c, &seen))
			return -EINVAL;
		line = nl ? nl + 1 : NULL;
	}
	return (seen & KEYS_REQUIRED) == KEYS_REQUIRED ? 0 : -EINVAL;
}

int privdrop_read_caps(pid_t pid, struct privdrop_caps *c)
{
	unsigned int seen = 0;
	char path[64], *line = NULL;
	size_t cap = 0;
	int err = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	caps_init(c);
	while (!err && getline(&line, &cap, f) > 0)
		err = parse_line(line, c, &seen);
	free(line);
	fclose(f);
	if (!err && (seen & KEYS_REQUIRED) != KEYS_REQUIRED)
		err = -EINVAL;
	return err;
}

int privdrop_print_caps(FILE *f, pid_t pid)
{
	struct privdrop_caps c;
	int err = privdrop_read_caps(pid, &c);

	if (err)
		return err;
	fprintf(f,
		"pid %d: CapInh=%016llx CapPrm=%016llx CapEff=%016llx CapBnd=%016llx "
		"CapAmb=%016llx NoNewPrivs=%d\n",
		pid ? (int)pid : (int)getpid(), (unsigned long long)c.inh,
		(unsigned long long)c.prm, (unsigned long long)c.eff, (unsigned long long)c.bnd,
		(unsigned long long)c.amb, c.no_new_privs);
	return 0;
}
