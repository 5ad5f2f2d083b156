// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The path manager's commands (src/pm.c) on synthetic record streams: the
 * trigger is the last read of the connection by the same socket (else the
 * same process) before the command, its queueing recorded or not; a command
 * is held while a message of its connection queued to its reader before it
 * is pending, and its trigger is lost (none, never an older one) when that
 * message turns out read with the read unrecorded; a dump is a dump, a failure an error,
 * neither waits for an effect; an effect recorded inside the command's call,
 * before its own record, is found; one after it too; none after the timeout;
 * an effect at the peer is found through the connections' first subflows, or
 * no_peer when the peer is not traced; an event is the effect of one command
 * only, never of one sent after it; a full list finishes the oldest.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "check.h"
#include "consumers.h"
#include "pm.h"

#define MAX_GOT 16
#define TOK	0x1234abcdU
#define PEER	0x99887766U
#define NS	11
#define NS_PEER 12
#define INO	501
#define PID	77
#define MS	1000000ULL

static struct {
	int n;
	struct pm_command c[MAX_GOT];
} got;

static void collect(void *ctx, const struct pm_command *c)
{
	if (got.n < MAX_GOT)
		got.c[got.n++] = *c;
}

static struct pm *mk(unsigned int capacity)
{
	struct pm_opts o = { .timeout_ns = 100 * MS, .capacity = capacity, .cb = collect };

	got.n = 0;
	return pm_new(&o);
}

static void ip4(__u8 *out, const char *s)
{
	inet_pton(AF_INET, s, out);
}

/* A command record: @start at the call, @end at the return */
static struct evlat_record cmd(__u8 c, __u64 start, __u64 end, int err)
{
	struct evlat_record r = { .kind = EVLAT_K_CMD,
				  .event = c,
				  .netns = NS,
				  .token = TOK,
				  .flags = EVLAT_F_CMD_TOKEN,
				  .pid = PID,
				  .ktime_ns = end,
				  .cmd = { .start_ns = start, .ino = INO, .err = err, .seq = 3 } };

	snprintf(r.cmd.comm, sizeof(r.cmd.comm), "mptcpd");
	return r;
}

/* ... naming the subflow 10.0.2.2:sport -> 10.0.2.1:10100 */
static struct evlat_record cmd_subflow(__u8 c, __u64 start, __u64 end, int err, __u16 sport)
{
	struct evlat_record r = cmd(c, start, end, err);

	r.family = AF_INET;
	r.sport = sport;
	r.dport = 10100;
	r.flags |= EVLAT_F_CMD_REMOTE;
	ip4(r.cmd.saddr, "10.0.2.2");
	ip4(r.cmd.daddr, "10.0.2.1");
	return r;
}

/* A kernel event hook record of that subflow (or of the initial 10.0.1.2 -> 10.0.1.1) */
static struct evlat_record ev(__u8 type, __u64 t, __u32 netns, __u32 token, bool join)
{
	struct evlat_record r = { .kind = EVLAT_K_EVENT,
				  .event = type,
				  .netns = netns,
				  .token = token,
				  .family = AF_INET,
				  .ktime_ns = t,
				  .sport = join ? 40000 : 50000,
				  .dport = 10100 };

	ip4(r.saddr, join ? "10.0.2.2" : "10.0.1.2");
	ip4(r.daddr, join ? "10.0.2.1" : "10.0.1.1");
	return r;
}

/* The same subflow seen from the server */
static struct evlat_record peer_ev(__u8 type, __u64 t, bool join)
{
	struct evlat_record r = ev(type, t, NS_PEER, PEER, join);
	__u8 a[16];
	__u16 p = r.sport;

	memcpy(a, r.saddr, 16);
	memcpy(r.saddr, r.daddr, 16);
	memcpy(r.daddr, a, 16);
	r.sport = r.dport;
	r.dport = p;
	return r;
}

static struct consumer_read read_of(__u8 event, const struct consumer *c, __u64 hook, __u64 read)
{
	return (struct consumer_read){
		.c = c, .event = event, .netns = NS, .token = TOK, .read_ns = read, .hook_ns = hook
	};
}

static void add(struct pm *pm, struct evlat_record r)
{
	pm_add_record(pm, &r);
}

/* The trigger: this socket's last read before the call; else this process's; never later */
static void test_trigger(void)
{
	struct consumer me = { .ino = INO, .pid = PID }, other = { .ino = 900, .pid = PID };
	struct pm *pm = mk(0);
	struct consumer_read d;
	struct delivery u;

	d = read_of(EVLAT_EV_CREATED, &me, 1000, 2000);
	pm_add_read(pm, &d);
	d = read_of(EVLAT_EV_ESTABLISHED, &me, 3000, 5000);
	pm_add_read(pm, &d);
	d = read_of(EVLAT_EV_SUB_ESTABLISHED, &me, 6000, 9000); /* after the call: not it */
	pm_add_read(pm, &d);
	add(pm, cmd(EVLAT_CMD_GET_LIMITS, 8000, 8500, 0));
	CHECK(got.n == 1 && got.c[0].have_trigger);
	CHECK(got.c[0].trigger_event == EVLAT_EV_ESTABLISHED && got.c[0].trigger_read_ns == 5000);
	CHECK(got.c[0].stage_ns[PMS_REACTION] == 3000 && got.c[0].stage_ns[PMS_E2E] == 5000);
	CHECK(got.c[0].effect == PME_NOT_EXPECTED && got.c[0].result == PMR_OK);
	CHECK(!strcmp(pm_cmd_name(got.c[0].cmd), "get_limits") && got.c[0].seq == 3);
	pm_free(pm);

	/* another socket of the same process: the process's reads */
	pm = mk(0);
	d = read_of(EVLAT_EV_ESTABLISHED, &other, 3000, 5000);
	pm_add_read(pm, &d);
	add(pm, cmd(EVLAT_CMD_GET_LIMITS, 8000, 8500, 0));
	CHECK(got.n == 1 && got.c[0].have_trigger && got.c[0].trigger_read_ns == 5000);
	/* another connection's read: not it */
	d = read_of(EVLAT_EV_ESTABLISHED, &me, 3000, 5000);
	d.token = TOK + 1;
	pm_add_read(pm, &d);
	add(pm, cmd(EVLAT_CMD_GET_LIMITS, 9000, 9500, 0));
	CHECK(got.n == 2 && got.c[1].trigger_read_ns == 5000 && got.c[1].trigger_event == 2);
	/* a read whose queueing was not recorded (no hook time): the trigger, without end to end */
	d = read_of(EVLAT_EV_SUB_CLOSED, &me, 0, 9700);
	pm_add_read(pm, &d);
	add(pm, cmd(EVLAT_CMD_GET_LIMITS, 9800, 9900, 0));
	CHECK(got.n == 3 && got.c[2].have_trigger && got.c[2].trigger_event == EVLAT_EV_SUB_CLOSED);
	CHECK(got.c[2].stage_ns[PMS_REACTION] == 100 && !got.c[2].have_stage[PMS_E2E]);
	CHECK(!got.c[2].trigger_lost && got.c[2].trigger_hook_ns == 0);
	pm_free(pm);
	/* deliveries are no reads: a read we have no time of, an unread delivery: none */
	pm = mk(0);
	u = (struct delivery){ .c = &me,
			       .status = DS_READ,
			       .event = EVLAT_EV_ESTABLISHED,
			       .have_token = true,
			       .token = TOK,
			       .netns = NS,
			       .time_ns = 3000 };
	pm_add_delivery(pm, &u);
	u.status = DS_UNREAD;
	pm_add_delivery(pm, &u);
	add(pm, cmd(EVLAT_CMD_GET_LIMITS, 9000, 9500, 0));
	CHECK(got.n == 1 && !got.c[0].have_trigger && !got.c[0].have_stage[PMS_REACTION]);
	CHECK(!got.c[0].trigger_lost);
	/* a command without a token has no trigger */
	{
		struct evlat_record r = cmd(EVLAT_CMD_ADD_ADDR, 9600, 9700, 0);

		r.flags = 0;
		r.token = 0;
		add(pm, r);
		CHECK(got.n == 2 && !got.c[1].have_token && !got.c[1].have_trigger);
		CHECK(got.c[1].effect == PME_NOT_EXPECTED);
	}
	pm_free(pm);
}

/* main.c's wiring: the consumers' reads and deliveries go to the pm */
static struct pm *hold_pm;

static void hold_read(void *ctx, const struct consumer_read *rd)
{
	pm_add_read(hold_pm, rd);
}

static void hold_delivery(void *ctx, const struct delivery *d)
{
	pm_add_delivery(hold_pm, d);
}

/*
 * The reader's socket 0xa0 (inode 600) gets event @type of the connection
 * (@skb) at @t (EVLAT_K_QUEUED), or process PID reads it at @t (EVLAT_K_READ)
 */
static struct evlat_record hold_rec(__u8 kind, __u8 type, __u64 skb, __u64 t)
{
	struct evlat_record r = {
		.kind = kind, .event = type, .token = TOK, .netns = NS, .ktime_ns = t
	};

	if (kind == EVLAT_K_READ) {
		r.pid = PID;
		r.read = (struct evlat_read){ .sock = 0xa0, .skb = skb, .ino = 600 };
	} else {
		r.msg = (struct evlat_msg){ .sock = 0xa0, .ino = 600, .skb = skb };
	}
	return r;
}

static struct evlat_record hold_queued(__u8 type, __u64 skb, __u64 t)
{
	return hold_rec(EVLAT_K_QUEUED, type, skb, t);
}

static struct evlat_record hold_read_rec(__u8 type, __u64 skb, __u64 t)
{
	return hold_rec(EVLAT_K_READ, type, skb, t);
}

static void both(struct consumers *cs, struct evlat_record r)
{
	consumers_add_record(cs, &r);
	pm_add_record(hold_pm, &r);
}

/*
 * A command while a message of its connection queued to its reader before it
 * is pending: held; read after the command, the trigger stands; read with
 * the read unrecorded (the next read of the socket shows it), the trigger is
 * lost; the reader closing its socket, or the timeout, releases it too.
 */
static void test_hold(void)
{
	struct consumers_opts co = { .capacity = 16, .cb = hold_delivery, .read_cb = hold_read };
	struct consumers *cs = consumers_new(&co);
	struct pm_opts o = { .timeout_ns = 100 * MS, .cb = collect, .cons = cs };

	got.n = 0;
	hold_pm = pm_new(&o);
	both(cs, hold_queued(EVLAT_EV_ESTABLISHED, 1, 1000));
	both(cs, hold_read_rec(EVLAT_EV_ESTABLISHED, 1, 2000));
	/* SUB_CLOSED queued, the command comes before we see it read: held */
	both(cs, hold_queued(EVLAT_EV_SUB_CLOSED, 2, 3000));
	both(cs, cmd(EVLAT_CMD_GET_LIMITS, 4000, 4100, 0));
	CHECK(got.n == 0);
	/* read after the command: the trigger is ESTABLISHED, as found */
	both(cs, hold_read_rec(EVLAT_EV_SUB_CLOSED, 2, 5000));
	CHECK(got.n == 1 && got.c[0].have_trigger && !got.c[0].trigger_lost);
	CHECK(got.c[0].trigger_event == EVLAT_EV_ESTABLISHED && got.c[0].trigger_read_ns == 2000);
	/* SUB_CLOSED queued, its read not recorded, the command, then the next message read */
	both(cs, hold_queued(EVLAT_EV_SUB_CLOSED, 3, 6000));
	both(cs, cmd(EVLAT_CMD_GET_LIMITS, 7000, 7100, 0));
	both(cs, hold_queued(EVLAT_EV_SUB_ESTABLISHED, 4, 8000));
	CHECK(got.n == 1);
	both(cs, hold_read_rec(EVLAT_EV_SUB_ESTABLISHED, 4, 9000));
	CHECK(got.n == 2 && !got.c[1].have_trigger && got.c[1].trigger_lost);
	CHECK(!got.c[1].have_stage[PMS_REACTION] && !got.c[1].have_stage[PMS_E2E]);
	/* a held command that also waits for its effect: both, in either order */
	both(cs, hold_queued(EVLAT_EV_SUB_CLOSED, 5, 10000));
	both(cs, cmd_subflow(EVLAT_CMD_SUBFLOW_CREATE, 11000, 11100, 0, 0));
	both(cs, ev(EVLAT_EV_SUB_ESTABLISHED, 12000, NS, TOK, true));
	CHECK(got.n == 2);
	both(cs, hold_read_rec(EVLAT_EV_SUB_CLOSED, 5, 13000));
	CHECK(got.n == 3 && got.c[2].effect == PME_SEEN && got.c[2].have_trigger);
	CHECK(got.c[2].trigger_event == EVLAT_EV_SUB_ESTABLISHED &&
	      got.c[2].trigger_read_ns == 9000);
	/* held past the timeout: released with the trigger found */
	both(cs, hold_queued(EVLAT_EV_CLOSED, 6, 14000));
	both(cs, cmd(EVLAT_CMD_GET_LIMITS, 15000, 15100, 0));
	pm_expire(hold_pm, 15100 + 99 * MS);
	CHECK(got.n == 3);
	pm_expire(hold_pm, 15100 + 100 * MS);
	CHECK(got.n == 4 && got.c[3].have_trigger && !got.c[3].trigger_lost);
	/* the socket closes: what it held is unread, the command released */
	both(cs, cmd(EVLAT_CMD_GET_LIMITS, 16000, 16100, 0));
	CHECK(got.n == 4);
	{
		struct evlat_record g = { .kind = EVLAT_K_GONE, .msg = { .sock = 0xa0 } };

		both(cs, g);
	}
	CHECK(got.n == 5 && got.c[4].have_trigger && !got.c[4].trigger_lost);
	pm_free(hold_pm);
	consumers_free(cs);
}

/* -EINTR with NLM_F_DUMP: a dump; an error otherwise; neither waits for an effect */
static void test_results(void)
{
	struct pm *pm = mk(0);
	struct evlat_record r = cmd(EVLAT_CMD_GET_ADDR, 100, 200, -4);

	r.flags |= EVLAT_F_CMD_DUMP;
	add(pm, r);
	add(pm, cmd(EVLAT_CMD_GET_ADDR, 300, 400, -4));
	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_CREATE, 500, 600, -101, 0));
	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_DESTROY, 700, 800, -22, 40000));
	CHECK(got.n == 4);
	CHECK(got.c[0].result == PMR_DUMP && got.c[0].effect == PME_NOT_EXPECTED);
	CHECK(got.c[1].result == PMR_ERROR && got.c[1].err == -4);
	CHECK(got.c[2].result == PMR_ERROR && got.c[2].err == -101);
	CHECK(got.c[2].effect == PME_NOT_EXPECTED && got.c[3].effect == PME_NOT_EXPECTED);
	/* the call not seen (no fentry record): its return is its time */
	r = cmd(EVLAT_CMD_GET_LIMITS, 0, 900, 0);
	add(pm, r);
	CHECK(got.n == 5 && got.c[4].time_ns == 900 && got.c[4].end_ns == 900);
	pm_free(pm);
}

/* SUBFLOW_DESTROY closes its subflow inside the call: the event comes first */
static void test_effect_inside(void)
{
	struct pm *pm = mk(0);

	add(pm, ev(EVLAT_EV_SUB_CLOSED, 900, NS, TOK, true));	   /* before the call: not it */
	add(pm, ev(EVLAT_EV_SUB_CLOSED, 1500, NS, TOK, false));	   /* another subflow */
	add(pm, ev(EVLAT_EV_SUB_CLOSED, 1500, NS, TOK + 1, true)); /* another connection */
	add(pm, ev(EVLAT_EV_SUB_CLOSED, 1600, NS, TOK, true));
	CHECK(got.n == 0);
	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_DESTROY, 1000, 2000, 0, 40000));
	CHECK(got.n == 1 && got.c[0].effect == PME_SEEN);
	CHECK(got.c[0].effect_event == EVLAT_EV_SUB_CLOSED && got.c[0].effect_ns == 1600);
	CHECK(got.c[0].effect_inside && !got.c[0].effect_peer);
	CHECK(got.c[0].stage_ns[PMS_EFFECT] == 600);
	/* the same event cannot be the effect of a second command */
	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_DESTROY, 1000, 2100, 0, 40000));
	CHECK(got.n == 1);
	pm_flush(pm);
	CHECK(got.n == 2 && got.c[1].effect == PME_NONE);
	pm_free(pm);
}

/* SUBFLOW_CREATE: its subflow's SUB_ESTABLISHED (or SUB_CLOSED) later; none after the timeout */
static void test_effect_after_and_timeout(void)
{
	struct pm *pm = mk(0);

	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_CREATE, 1000, 1200, 0, 0));
	CHECK(got.n == 0);
	add(pm, ev(EVLAT_EV_SUB_ESTABLISHED, 3000, NS, TOK, false)); /* not its subflow */
	pm_expire(pm, 1200 + 100 * MS - 1);
	CHECK(got.n == 0);
	add(pm, ev(EVLAT_EV_SUB_ESTABLISHED, 5000, NS, TOK, true));
	CHECK(got.n == 1 && got.c[0].effect == PME_SEEN && !got.c[0].effect_inside);
	CHECK(got.c[0].effect_event == EVLAT_EV_SUB_ESTABLISHED);
	CHECK(got.c[0].stage_ns[PMS_EFFECT] == 4000);
	/* refused by the peer: SUB_CLOSED is its effect */
	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_CREATE, 6000, 6200, 0, 0));
	add(pm, ev(EVLAT_EV_SUB_CLOSED, 9000, NS, TOK, true));
	CHECK(got.n == 2 && got.c[1].effect_event == EVLAT_EV_SUB_CLOSED);
	/* nothing: none, once the timeout has passed since its return */
	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_CREATE, 10000, 10200, 0, 0));
	pm_expire(pm, 10200 + 100 * MS - 1);
	CHECK(got.n == 2);
	pm_expire(pm, 10200 + 100 * MS);
	CHECK(got.n == 3 && got.c[2].effect == PME_NONE && !got.c[2].have_stage[PMS_EFFECT]);
	pm_free(pm);
}

/* ANNOUNCE, REMOVE, SET_FLAGS: the peer's event, the peer found by the first subflow */
static void test_peer(void)
{
	struct pm *pm = mk(0);
	struct evlat_record r;

	add(pm, ev(EVLAT_EV_CREATED, 100, NS, TOK, false));
	add(pm, peer_ev(EVLAT_EV_CREATED, 110, false));
	r = cmd(EVLAT_CMD_ANNOUNCE, 1000, 1100, 0);
	r.family = AF_INET;
	r.loc_id = 5;
	ip4(r.cmd.saddr, "10.0.2.2");
	add(pm, r);
	r = (struct evlat_record){ .kind = EVLAT_K_ANNOUNCED,
				   .event = EVLAT_EV_ANNOUNCED,
				   .netns = NS_PEER,
				   .token = PEER,
				   .rem_id = 4,
				   .ktime_ns = 1500 };
	add(pm, r); /* another id */
	r.rem_id = 5;
	r.ktime_ns = 1600;
	add(pm, r);
	CHECK(got.n == 1 && got.c[0].effect == PME_SEEN && got.c[0].effect_peer);
	CHECK(got.c[0].effect_netns == NS_PEER && got.c[0].effect_token == PEER);
	/* REMOVE id 5 -> REMOVED rem_id 5 at the peer */
	r = cmd(EVLAT_CMD_REMOVE, 2000, 2100, 0);
	r.loc_id = 5;
	add(pm, r);
	r = (struct evlat_record){ .kind = EVLAT_K_REMOVED,
				   .event = EVLAT_EV_REMOVED,
				   .netns = NS_PEER,
				   .token = PEER,
				   .rem_id = 5,
				   .ktime_ns = 2500 };
	add(pm, r);
	CHECK(got.n == 2 && got.c[1].effect_event == EVLAT_EV_REMOVED);
	/* SET_FLAGS backup on the join -> the peer's SUB_PRIORITY of it, backup set */
	r = cmd_subflow(EVLAT_CMD_SET_FLAGS, 3000, 3100, 0, 0);
	r.cmd.addr_flags = 4;
	add(pm, r);
	r = peer_ev(EVLAT_EV_SUB_PRIORITY, 3500, true);
	add(pm, r); /* backup 0: not what was asked */
	r.backup = 1;
	r.ktime_ns = 3600;
	add(pm, r);
	CHECK(got.n == 3 && got.c[2].effect_event == EVLAT_EV_SUB_PRIORITY &&
	      got.c[2].effect_ns == 3600);
	pm_free(pm);

	/* the peer is not traced: no_peer, not none */
	pm = mk(0);
	add(pm, ev(EVLAT_EV_CREATED, 100, NS, TOK, false));
	r = cmd(EVLAT_CMD_REMOVE, 2000, 2100, 0);
	r.loc_id = 5;
	add(pm, r);
	pm_flush(pm);
	CHECK(got.n == 1 && got.c[0].effect == PME_NO_PEER);
	pm_free(pm);
}

/* A full list of waiting commands finishes the oldest, without an effect */
static void test_capacity(void)
{
	struct pm *pm = mk(2);

	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_CREATE, 100, 200, 0, 0));
	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_CREATE, 300, 400, 0, 0));
	CHECK(got.n == 0);
	add(pm, cmd_subflow(EVLAT_CMD_SUBFLOW_CREATE, 500, 600, 0, 0));
	CHECK(got.n == 1 && got.c[0].time_ns == 100 && got.c[0].effect == PME_NONE);
	/* the next matching event goes to the oldest waiting one */
	add(pm, ev(EVLAT_EV_SUB_ESTABLISHED, 700, NS, TOK, true));
	CHECK(got.n == 2 && got.c[1].time_ns == 300 && got.c[1].effect == PME_SEEN);
	pm_flush(pm);
	CHECK(got.n == 3 && got.c[2].time_ns == 500 && got.c[2].effect == PME_NONE);
	pm_free(pm);
}

static void test_names(void)
{
	CHECK(!strcmp(pm_cmd_name(EVLAT_CMD_SUBFLOW_DESTROY), "subflow_destroy"));
	CHECK(!strcmp(pm_cmd_name(EVLAT_CMD_ADD_ADDR), "add_addr"));
	CHECK(!pm_cmd_name(0) && !pm_cmd_name(12) && !pm_cmd_name(255));
	CHECK(!strcmp(pm_result_name(PMR_DUMP), "dump") && !strcmp(pm_result_name(9), "?"));
	CHECK(!strcmp(pm_effect_name(PME_NO_PEER), "no_peer"));
	CHECK(!strcmp(pm_stage_name(PMS_E2E), "end_to_end"));
}

int main(void)
{
	test_hold();
	test_trigger();
	test_results();
	test_effect_inside();
	test_effect_after_and_timeout();
	test_peer();
	test_capacity();
	test_names();
	return check_report("pm");
}
