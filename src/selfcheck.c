// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "exit_codes.h"
#include "genl.h"
#include "selfcheck.h"
#include "tracer.h"

static int noop_record(void *ctx, void *data, size_t len)
{
	return 0;
}

static void check_kernel(void)
{
	struct utsname u;

	if (!uname(&u))
		printf("%-34s %s\n", "kernel", u.release);
}

/* Loaded, not just present: a truncated or unreadable file is no BTF either. */
static bool check_btf(void)
{
	struct btf *btf = btf__load_vmlinux_btf();

	printf("%-34s %s\n", "btf", btf ? "yes (/sys/kernel/btf/vmlinux)" : "NO");
	btf__free(btf);
	return btf != NULL;
}

/* net.mptcp.enabled of our namespace: MPTCP sockets are refused when 0. */
static bool check_mptcp(void)
{
	int v = genl_mptcp_enabled();

	if (v < 0)
		printf("%-34s %s\n", "mptcp", "NO (no net.mptcp.enabled: CONFIG_MPTCP?)");
	else
		printf("%-34s %s (net.mptcp.enabled = %d)\n", "mptcp", v ? "enabled" : "DISABLED",
		       v);
	return v >= 0;
}

/* genl_listener_open()'s errors that say what is missing rather than what failed */
static const char *netlink_error(int err)
{
	switch (err) {
	case -EAFNOSUPPORT:
		return "no mptcp_pm netlink family (CONFIG_MPTCP?)";
	case -ENOPROTOOPT:
		return "the mptcp_pm family has no such group (kernel < 5.12?)";
	}
	return strerror(-err);
}

static bool check_netlink(struct genl_listener *nl)
{
	int err = genl_listener_open(nl, NULL, 0);

	if (err) {
		printf("%-34s NO: %s\n", "netlink mptcp_pm_events", netlink_error(err));
		return false;
	}
	printf("%-34s family %u, group %u\n", "netlink mptcp_pm_events", nl->family_id,
	       nl->group_id);
	return true;
}

static void print_probe(const struct probe *p)
{
	char label[64];

	snprintf(label, sizeof(label), "probe %s%s%s%s", p->name,
		 strcmp(p->name, p->target) ? " (" : "",
		 strcmp(p->name, p->target) ? p->target : "",
		 strcmp(p->name, p->target) ? ")" : "");
	printf("%-34s ", label);
	switch (p->state) {
	case PROBE_MISSING:
		printf("missing (not in this kernel)%s\n", p->mandatory ? ", REQUIRED" : "");
		break;
	case PROBE_ATTACHED:
		printf("attachable: %s%s%s\n", probe_mode_name(p->mode),
		       p->variant ? ", variant " : "", p->variant ? p->variant : "");
		break;
	case PROBE_FAILED:
		printf("REFUSED: fentry: %s, kprobe: %s%s\n",
		       p->fentry_err ? strerror(-p->fentry_err) : "-", strerror(-p->err),
		       p->mandatory ? ", REQUIRED" : "");
		break;
	case PROBE_SELECTED:
		printf("not tried (the object did not load)%s\n", p->mandatory ? ", REQUIRED" : "");
		break;
	}
}

static int check_probes(const struct genl_listener *nl, unsigned int ringbuf_kib, bool force_kprobe)
{
	struct tracer t;
	struct tracer_cfg cfg = {
		.mcgrp = nl ? nl->group_id : 0,
		.ringbuf_kib = ringbuf_kib,
		.force_kprobe = force_kprobe,
		.quiet = true,
		.cb = noop_record,
	};
	int ret = tracer_open(&t, &cfg);

	for (int i = 0; i < PROBE_NR; i++)
		print_probe(&t.probes.p[i]);
	if (t.probes.fentry_load_err)
		printf("%-34s %s\n", "fentry",
		       t.probes.fentry_load_err == -EPERM ? "REFUSED by this kernel (EPERM)"
							  : strerror(-t.probes.fentry_load_err));
	tracer_close(&t);
	return ret;
}

int selfcheck_run(unsigned int ringbuf_kib, bool force_kprobe)
{
	const char *verdict = "ok: the seed probes attach";
	struct genl_listener nl = { 0 };
	bool have_nl;
	int ret;

	check_kernel();
	if (!check_btf()) {
		printf("%-34s FAIL: no BTF, no CO-RE probes (--genl-only works)\n", "result");
		return EXIT_NO_BTF;
	}
	check_mptcp();
	have_nl = check_netlink(&nl);
	ret = check_probes(have_nl ? &nl : NULL, ringbuf_kib, force_kprobe);
	genl_listener_close(&nl);
	if (ret)
		verdict = "FAIL: the seed probes cannot attach";
	else if (!have_nl)
		verdict = "FAIL: the seed probes attach, but there are no events to listen to";
	printf("%-34s %s\n", "result", verdict);
	if (!ret && !have_nl)
		ret = EXIT_NO_MPTCP;
	return ret;
}
