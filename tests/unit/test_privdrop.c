// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Privilege drop (src/privdrop.c): /proc/PID/status parsing on recorded text;
 * privdrop_all() in forked children, read back through /proc and across an
 * execve() of this binary (a uid 0 process regains every capability on
 * execve unless no_new_privs and the bounding set stop it). Runs without
 * root; as root it also checks that a capability really stops working, that
 * a BPF map opened before the drop is still read after it (the drops map),
 * and the systemd case: a bounding set without CAP_SETPCAP, which
 * privdrop_all() cannot empty and no_new_privs must make harmless.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "privdrop.h"

#define AFTER_EXEC "--after-exec"

#ifndef CAP_BPF
#define CAP_BPF 39 /* 5.8+, absent from older headers */
#endif

/* Lines of /proc/self/status of a root shell on Linux 6.18, trimmed. */
static const char status_root[] = "Name:\tbash\n"
				  "Uid:\t0\t0\t0\t0\n"
				  "SigCgt:\t000000004b813efb\n"
				  "CapInh:\t0000000000000000\n"
				  "CapPrm:\t000001ffffffffff\n"
				  "CapEff:\t000001ffffffffff\n"
				  "CapBnd:\t000001ffffffffff\n"
				  "CapAmb:\t0000000000000000\n"
				  "NoNewPrivs:\t0\n"
				  "Seccomp:\t0\n";

static void test_parse(void)
{
	struct privdrop_caps c;

	CHECK(privdrop_parse_status(status_root, &c) == 0);
	CHECK(c.inh == 0 && c.amb == 0);
	CHECK(c.prm == 0x1ffffffffffULL && c.eff == 0x1ffffffffffULL);
	CHECK(c.bnd == 0x1ffffffffffULL);
	CHECK(c.no_new_privs == 0);

	/* kernels before 4.3 print no CapAmb; no NoNewPrivs before 4.10 */
	CHECK(privdrop_parse_status("CapInh:\t0\nCapPrm:\t3\nCapEff:\t1\nCapBnd:\tff\n", &c) == 0);
	CHECK(c.prm == 3 && c.eff == 1 && c.bnd == 0xff && c.amb == 0);
	CHECK(c.no_new_privs == -1);

	CHECK(privdrop_parse_status("CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\n", &c) == -EINVAL);
	CHECK(privdrop_parse_status("CapInh:\t0\nCapPrm:\tzz\nCapEff:\t0\nCapBnd:\t0\n", &c) ==
	      -EINVAL);
	CHECK(privdrop_parse_status("CapInh:\t0\nCapPrm:\t0\nCapEff:\t0 x\nCapBnd:\t0\n", &c) ==
	      -EINVAL);
	CHECK(privdrop_parse_status("", &c) == -EINVAL);
}

static void test_read_self(void)
{
	struct privdrop_caps c;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	CHECK(privdrop_read_caps(0, &c) == 0);
	CHECK(c.no_new_privs == 0 || c.no_new_privs == 1);
	CHECK(privdrop_read_caps(getpid(), &c) == 0);
	CHECK(privdrop_read_caps(-2, &c) == -ENOENT);
	CHECK(f && privdrop_print_caps(f, 0) == 0);
	if (f)
		fclose(f);
	CHECK(buf && !strncmp(buf, "pid ", 4) && strstr(buf, " CapEff=") &&
	      strstr(buf, " NoNewPrivs="));
	free(buf);
}

static __u64 effective_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return data[0].effective | (__u64)data[1].effective << 32;
}

static bool have_cap(int cap)
{
	return effective_caps() & (1ULL << cap);
}

/* Every set but the bounding set empty, no_new_privs on. */
static bool all_dropped(const struct privdrop_caps *c)
{
	return !c->inh && !c->prm && !c->eff && !c->amb && c->no_new_privs == 1;
}

/* Run @fn in a child; its CHECK counts are added to ours. */
static void in_child(void (*fn)(void))
{
	int fds[2], status, counts[2] = { 0, 1 };
	pid_t pid;

	if (pipe(fds)) {
		CHECK(!"pipe");
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		check_passed = check_failed = 0;
		fn();
		counts[0] = check_passed;
		counts[1] = check_failed;
		_exit(write(fds[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], counts, sizeof(counts)) != sizeof(counts)) {
		fprintf(stderr, "privdrop: a child died before reporting\n");
		counts[0] = 0;
		counts[1] = 1;
	}
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	check_passed += counts[0];
	check_failed += counts[1];
}

/* execve() this binary with AFTER_EXEC; true when it found nothing to use. */
static bool exec_keeps_nothing(void)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "test_privdrop", AFTER_EXEC, (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static void child_drop(void)
{
	bool setpcap = have_cap(CAP_SETPCAP);
	struct privdrop_caps before, after;

	CHECK(privdrop_read_caps(0, &before) == 0);
	CHECK(privdrop_all() == 0);
	CHECK(privdrop_read_caps(0, &after) == 0);
	CHECK(all_dropped(&after));
	/* emptied where permitted; left alone otherwise */
	CHECK(after.bnd == (setpcap ? 0 : before.bnd));
	CHECK(effective_caps() == 0);
	CHECK(exec_keeps_nothing());
	/* a second call finds nothing left to drop, and says so by succeeding */
	CHECK(privdrop_all() == 0);
}

/* As root: a capability that worked before the drop is refused after it. */
static void child_cap_refused(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int bytes = 1 << 20;

	CHECK(fd >= 0);
	/* SO_RCVBUFFORCE: CAP_NET_ADMIN, what genl.c uses past rmem_max */
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0);
	CHECK(privdrop_all() == 0);
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == -1 &&
	      errno == EPERM);
	close(fd);
}

/*
 * As root: a per-CPU array like the drops map, created before the drop, is
 * still read after it (tracer_drops()). Creating one is refused after it
 * when kernel.unprivileged_bpf_disabled is set.
 */
static void child_bpf_map(void)
{
	int ncpu = libbpf_num_possible_cpus(), fd;
	__u32 key = 1;

	if (ncpu <= 0) {
		CHECK(ncpu > 0);
		return;
	}
	__u64 vals[ncpu];

	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "evlat_t", sizeof(key), sizeof(__u64), 4,
			    NULL);
	if (fd < 0) {
		printf("privdrop: skip: no BPF map here (%s)\n", strerror(errno));
		fflush(stdout);
		return;
	}
	for (int c = 0; c < ncpu; c++)
		vals[c] = 40 + c;
	CHECK(bpf_map_update_elem(fd, &key, vals, 0) == 0);
	CHECK(privdrop_all() == 0);
	memset(vals, 0, sizeof(vals));
	CHECK(bpf_map_lookup_elem(fd, &key, vals) == 0);
	CHECK(vals[0] == 40 && vals[ncpu - 1] == (__u64)(40 + ncpu - 1));
	close(fd);
}

/* As root: drop CAP_SETPCAP first, as CapabilityBoundingSet= without it does. */
static void child_systemd_bounding_set(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	struct privdrop_caps after;

	CHECK(prctl(PR_CAPBSET_DROP, CAP_SETPCAP, 0, 0, 0) == 0);
	CHECK(syscall(SYS_capget, &hdr, data) == 0);
	data[0].effective &= ~(1u << CAP_SETPCAP);
	data[0].permitted &= ~(1u << CAP_SETPCAP);
	CHECK(syscall(SYS_capset, &hdr, data) == 0);
	CHECK(!have_cap(CAP_SETPCAP) && have_cap(CAP_NET_ADMIN));

	CHECK(privdrop_all() == 0);
	CHECK(privdrop_read_caps(0, &after) == 0);
	CHECK(all_dropped(&after));
	CHECK(after.bnd & (1ULL << CAP_NET_ADMIN)); /* could not be emptied */
	CHECK(!(after.bnd & (1ULL << CAP_SETPCAP)));
	/* uid 0, a full bounding set but for one: no_new_privs alone must hold */
	CHECK(exec_keeps_nothing());
}

/* The re-executed binary: exit 0 when it has nothing. */
static int after_exec(void)
{
	struct privdrop_caps c;

	if (privdrop_read_caps(0, &c))
		return 2;
	if (!all_dropped(&c)) {
		fprintf(stderr, "after execve: ");
		privdrop_print_caps(stderr, 0);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], AFTER_EXEC))
		return after_exec();
	test_parse();
	test_read_self();
	in_child(child_drop);
	if (have_cap(CAP_SETPCAP) && have_cap(CAP_NET_ADMIN) && have_cap(CAP_BPF)) {
		in_child(child_cap_refused);
		in_child(child_bpf_map);
		in_child(child_systemd_bounding_set);
	} else {
		printf("privdrop: skip: not root, the capability checks did not run\n");
	}
	return check_report("privdrop");
}
