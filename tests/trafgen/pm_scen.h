/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * trafgen pm: connections driven for a path manager other than trafgen's own
 * in-kernel one (pm_scen.c): Debian's mptcpd (its sspi and addr_adv plugins),
 * or trafgen itself as a userspace path manager.
 */
#ifndef TRAFGEN_PM_SCEN_H
#define TRAFGEN_PM_SCEN_H

#include "mptcp_compat.h"
#include "mptcp_obs.h"
#include <stdio.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "pm_genl.h"
#include "tg_base.h"

/* argv[0] is "pm"; returns trafgen's exit code */
int pm_scen_main(int argc, char **argv);

/* ---- shared by the scenarios (pm_scen.c, pm_upm.c) ---------------------- */

enum {
	PS_EXIT_OK = 0,
	PS_EXIT_USAGE = 1,
	PS_EXIT_SETUP = 2,
	PS_EXIT_TIMEOUT = 3,
	PS_EXIT_STEP = 4,
};

#define PS_PORT	      10100
#define PS_TIMEOUT_MS 10000
#define PS_JOIN_ID    2 /* the client's subflow endpoint (sspi) */

enum ps_scenario {
	PS_SSPI,
	PS_ADDR_ADV,
	PS_UPM,
	PS_SCEN_MAX,
};

struct ps_side {
	const char *name;
	const char *path;
	int nsfd;
	unsigned long long ino; /* the netns inode the events carry */
	struct pm_genl pm;
	int mib_fd;   /* /proc/net/netstat of the namespace */
	int inuse_fd; /* /proc/net/protocols of the namespace */
	unsigned int idle;
};

struct ps_run {
	enum ps_scenario scen;
	const char *expect;
	const char *commands; /* upm: the commands sent, their results and effects */
	double flood_s;	      /* --genl-flood: requests for this long, no scenario */
	unsigned short port;
	int timeout_ms;
	int verbose;
	struct in_addr srv[2], cli[2];
	struct ps_side s, c;
	int lfd, cfd, sfd;
	__u32 stok, ctok;
	int listener_events;
	FILE *exp; /* the expectations, written out once the run succeeded */
	char *exp_buf;
	size_t exp_len;
	__u64 mib_base; /* a MIB counter before the step that moves it */
	int evfd;	/* upm: our subscription to the client's events */
	int last_read;	/* upm: the last event of the connection we read (0: none) */
	FILE *cmds;	/* upm: the commands' lines */
	char *cmds_buf;
	size_t cmds_len;
	int code;
	long long t0;
};

/* 1: reached, 0: not yet (@state says how far), <0: error */
typedef int (*ps_cond)(struct ps_run *r, char *state, size_t len);

void ps_log(const struct ps_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a failure once, remember its exit code, return @err. */
int ps_fail(struct ps_run *r, int code, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void ps_expect(struct ps_run *r, const struct ps_side *s, enum tg_event ev, __u32 token);
int ps_wait_cond(struct ps_run *r, ps_cond cond, const char *what);
int ps_side_limits(struct ps_run *r, struct ps_side *s, __u32 accepted, __u32 subflows);
int ps_conn_established(struct ps_run *r);
int ps_subflows(struct ps_run *r, struct obs_subflows *cs, struct obs_subflows *ss);
int ps_conn_close(struct ps_run *r);
/* a ps_cond: two subflows at both ends, all established */
int ps_two_subflows(struct ps_run *r, char *state, size_t len);

/* trafgen as the client's userspace path manager (pm_upm.c) */
int ps_scen_upm(struct ps_run *r);

#endif /* TRAFGEN_PM_SCEN_H */
