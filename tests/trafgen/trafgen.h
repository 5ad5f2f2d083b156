/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the parts of trafgen share: the options, the run (both namespaces, the
 * listener, the list of expected events), one connection, and the observed
 * steps the default scenario (trafgen.c), the failure scenarios (scenario.c)
 * and the churn (churn.c) are made of.
 */
#ifndef TRAFGEN_H
#define TRAFGEN_H

#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "mptcp_compat.h"
#include "mptcp_obs.h"
#include "pm_genl.h"
#include "tg_base.h"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_SETUP = 2,
	EXIT_TIMEOUT = 3,
	EXIT_STEP = 4,
};

#define TG_SIGNAL_ID	      1 /* any id but 0, which names the initial address */
#define TG_LIMIT	      2 /* add_addr_accepted and subflows, both sides */
#define TG_DEFAULT_PORT	      10100
#define TG_DEFAULT_TIMEOUT_MS 10000	 /* per step: TCG guests are slow */
#define TG_MIB_PRIO_RX	      "MPPrioRx" /* MP_PRIO received, since 5.12 */

struct env {
	const char *server_ns;
	const char *client_ns;
	const char *expect;
	struct in_addr srv[2];	 /* [0] initial subflow, [1] announced */
	struct in_addr cli[2];	 /* [0] initial subflow, [1] expected join source */
	struct in6_addr srv6[2]; /* the same for the IPv6 scenarios */
	struct in6_addr cli6[2];
	unsigned short port;
	unsigned int conns;
	int timeout_ms;
	int verbose;
	const char *scenario;	     /* --scenario: a failure mode (scenario.c) */
	long long churn_ms;	     /* --churn: benchmark mode for this long */
	int churn_subflows;	     /* --subflows: a signal endpoint, one join per connection */
	unsigned int rate;	     /* --rate: at most this many connections per second */
	int churn_sink;		     /* --sink: a listener in the client netns that never reads */
	unsigned int churn_failures; /* --churn-failures: percent of connections that fail */
};

extern struct env env;

struct side {
	const char *name;
	int nsfd;
	unsigned long long ino; /* netns inode: events carry this netns */
	struct pm_genl pm;
};

struct expect {
	unsigned long long ino;
	__u32 token;
	__u8 event;
};

/* An address and port, IPv4 or IPv6 */
struct tg_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct run {
	struct side srv;
	struct side cli;
	int lfd;	  /* server listener */
	int mib_fd;	  /* the client netns' /proc/net/netstat */
	int srv_mib_fd;	  /* the server netns' */
	int srv_inuse_fd; /* each netns' /proc/net/protocols */
	int cli_inuse_fd;
	int srv_diag_fd; /* each netns' sock_diag socket (-1: /proc/net/protocols instead) */
	int cli_diag_fd;
	unsigned int srv_base; /* msks between connections (msks_read()) */
	unsigned int cli_base;
	struct tg_addr listen; /* the listener's address (default: 0.0.0.0, the port) */
	struct tg_addr src;    /* the client's bind() address (default: cli[0], any port) */
	struct tg_addr dst;    /* where it connects (default: srv[0], the port) */
	int listener_events;
	int count_only; /* --churn: expect_add() only counts (counted) */
	unsigned long long counted;
	int code; /* exit code of the first failure */
	struct expect *ev;
	size_t nev, cap;
	long long t0;
};

struct conn {
	unsigned int idx;
	int cfd; /* client msk, client netns */
	int sfd; /* accepted msk, server netns */
	__u32 ctok;
	__u32 stok;
	__u64 prio_base; /* client MPPrioRx before SET_FLAGS */
	/* what a scenario's condition waits for, [0] client, [1] server */
	unsigned int want_joins[2]; /* mptcpi_subflows: joins the PM counts */
	unsigned int want_count[2]; /* subflows in the msk's list */
	__u64 base[2];		    /* a MIB counter before the step */
};

/* 1: condition met, 0: not yet (@state says how far), <0: error. */
typedef int (*cond_fn)(struct run *r, struct conn *c, char *state, size_t len);

void vlog(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fail(struct run *r, int code, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int expect_add(struct run *r, const struct side *s, enum tg_event ev, __u32 token);
int side_enter(struct run *r, const struct side *s, const char *path);
int mptcp_socket(struct run *r, const char *who, int family);
int proc_open(struct run *r, const struct side *s, const char *name, int *fd);
int msks_read(struct run *r, int server, unsigned int *msks);
int mib_read(struct run *r, int fd, const char *who, const char *name, __u64 *val);

/* addresses */
void tg_addr_set(struct tg_addr *a, int family, const void *addr, unsigned short port);
const char *tg_addr_str(const struct tg_addr *a, char *buf, size_t size);
void ntop(const struct in_addr *a, char buf[INET_ADDRSTRLEN]);

/* waiting */
int poll_until(struct run *r, struct conn *c, cond_fn cond, char *state, size_t len);
int wait_until(struct run *r, struct conn *c, cond_fn cond, const char *what);

/* the steps of a connection, each observed before its events are listed */
int server_listen(struct run *r);
int client_connect(struct run *r, struct conn *c);
int conn_open(struct run *r, struct conn *c);
int conn_echo(struct run *r, struct conn *c);
int msk_token(struct run *r, struct conn *c, int fd, const char *who, __u32 *token);
int conn_established(struct run *r, struct conn *c);
int both_subflows(struct conn *c, struct obs_subflows *cs, struct obs_subflows *ss);
int join_done(struct run *r, struct conn *c, char *state, size_t len);
struct pm_endpoint signal_endpoint(__u32 extra_flags);
int conn_join(struct run *r, struct conn *c);
int remove_done(struct run *r, struct conn *c, char *state, size_t len);
int conn_remove(struct run *r, struct conn *c);
int conn_close(struct run *r, struct conn *c);
int conn_quiesce(struct run *r, struct conn *c);
int listener_close(struct run *r);

/* real tools in a namespace (tool.c) */
const char *tool_path(const char *name);
int tool_run(int nsfd, char *const argv[], char *out, size_t size);

/* --scenario (scenario.c) */
int scenario_known(const char *name);
void scenario_usage(FILE *f);
/* before run_setup(): the scenario's addresses (listener, connection) */
int scenario_prepare(struct run *r);
int scenario_run(struct run *r);
void scenario_cleanup(struct run *r);

/* failure steps (scenario.c) the churn's failing cycles take too */
int kill_join(struct run *r, struct conn *c, int server, int family, const void *join_local);
int wait_joins(struct run *r, struct conn *c, unsigned int joins, const char *what);
int conn_alive(struct run *r, struct conn *c, const char *after);
int expect_sub_closed(struct run *r, struct conn *c, unsigned int n);
int close_msk(struct run *r, struct conn *c, int *fd, const struct side *s);
int hangup_done(struct run *r, struct conn *c, char *state, size_t len);

/* --churn (churn.c) */
int run_churn(struct run *r);

#endif /* TRAFGEN_H */
