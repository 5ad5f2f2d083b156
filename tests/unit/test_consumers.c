// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The consumer view (src/consumers.c) on synthetic record streams: a read
 * finds its queued message by (socket, sk_buff) and gets the three stages;
 * an overrun is lost at once; a closed socket's and the last messages are
 * unread; reads of what we never saw queued are orphans; a socket address
 * reused after a close is a new consumer; our own socket's queue times come
 * back in order; a full table makes room with the oldest, unread; every read
 * of an event, orphan or not, goes to the read callback; a message is
 * pending for its reader until its read or a later one is seen.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "consumers.h"

#define MAX_GOT 32

static struct {
	int n;
	struct delivery d[MAX_GOT];
	struct consumer c[MAX_GOT]; /* copies: the consumer as it was when reported */
} got;

static void collect(void *ctx, const struct delivery *d)
{
	if (got.n >= MAX_GOT)
		return;
	got.c[got.n] = *d->c;
	got.d[got.n++] = *d;
}

static struct consumers *mk(unsigned int capacity, __u32 own_ino)
{
	struct consumers_opts o = { .own_ino = own_ino, .capacity = capacity, .cb = collect };

	got.n = 0;
	return consumers_new(&o);
}

static void add(struct consumers *cs, struct evlat_record r)
{
	consumers_add_record(cs, &r);
}

static struct evlat_record send_rec(__u64 bcast, __u64 t, __u64 hook)
{
	return (struct evlat_record){ .kind = EVLAT_K_SEND,
				      .event = EVLAT_EV_CREATED,
				      .token = 0xabc,
				      .netns = 7,
				      .ktime_ns = t,
				      .msg = { .bcast = bcast, .hook_ns = hook } };
}

static struct evlat_record queued(__u64 sock, __u32 ino, __u64 skb, __u64 bcast, __u64 t)
{
	struct evlat_record r = send_rec(bcast, t, 0);

	r.kind = EVLAT_K_QUEUED;
	r.msg.sock = sock;
	r.msg.ino = ino;
	r.msg.portid = ino + 1000;
	r.msg.skb = skb;
	return r;
}

static struct evlat_record readr(__u64 sock, __u32 ino, __u64 skb, __u64 t, const char *comm)
{
	struct evlat_record r = { .kind = EVLAT_K_READ,
				  .event = EVLAT_EV_CREATED,
				  .token = 0xabc,
				  .netns = 7,
				  .pid = 4321,
				  .ktime_ns = t,
				  .read = { .sock = sock, .skb = skb, .ino = ino } };

	snprintf(r.read.comm, sizeof(r.read.comm), "%s", comm);
	return r;
}

static void test_read_and_stages(void)
{
	struct consumers *cs = mk(16, 0);
	struct consumers_stats st;

	add(cs, send_rec(1, 200, 100));
	add(cs, queued(0xa0, 11, 0x5000, 1, 210));
	add(cs, queued(0xb0, 12, 0x6000, 1, 220));
	CHECK(got.n == 0);
	add(cs, readr(0xb0, 12, 0x6000, 1000, "mptcpd"));
	CHECK(got.n == 1 && got.d[0].status == DS_READ && got.c[0].ino == 12);
	CHECK(got.c[0].pid == 4321 && !strcmp(got.c[0].comm, "mptcpd") && !got.c[0].ours);
	CHECK(got.d[0].have_stage[DST_QUEUE] && got.d[0].stage_ns[DST_QUEUE] == 20);
	CHECK(got.d[0].have_stage[DST_READ] && got.d[0].stage_ns[DST_READ] == 780);
	CHECK(got.d[0].have_stage[DST_TOTAL] && got.d[0].stage_ns[DST_TOTAL] == 900);
	CHECK(got.d[0].bcast == 1 && got.d[0].event == EVLAT_EV_CREATED && got.d[0].token == 0xabc);
	CHECK(got.d[0].have_token && got.d[0].netns == 7 && got.d[0].time_ns == 220);
	/* a read of another socket's message, or of nothing we saw queued: an orphan */
	add(cs, readr(0xb0, 12, 0x5000, 1001, "mptcpd"));
	add(cs, readr(0xc0, 13, 0x7000, 1002, "ip"));
	CHECK(got.n == 1);
	consumers_get_stats(cs, &st);
	CHECK(st.orphan_reads == 2 && st.pending == 1 && st.consumers == 3);
	/* at exit what is still queued is unread, with no read stages */
	consumers_flush(cs);
	CHECK(got.n == 2 && got.d[1].status == DS_UNREAD && got.c[1].ino == 11);
	CHECK(got.d[1].have_stage[DST_QUEUE] && !got.d[1].have_stage[DST_READ] &&
	      !got.d[1].have_stage[DST_TOTAL]);
	consumers_free(cs);
}

static void test_overrun_enobufs_gone(void)
{
	struct consumers *cs = mk(16, 0);
	struct evlat_record r = queued(0xa0, 11, 0, 3, 300);

	add(cs, send_rec(3, 290, 0));
	r.kind = EVLAT_K_OVERRUN;
	r.flags = EVLAT_F_NO_ENOBUFS;
	add(cs, r);
	CHECK(got.n == 1 && got.d[0].status == DS_LOST_OVERRUN && got.c[0].no_enobufs);
	CHECK(got.d[0].have_stage[DST_QUEUE] && got.d[0].stage_ns[DST_QUEUE] == 10);
	/* the reader learns of it */
	r = readr(0xa0, 11, 0, 400, "ip");
	r.read.err = -ENOBUFS;
	add(cs, r);
	/* two messages queued, the socket closes: both unread, the consumer gone */
	add(cs, queued(0xa0, 11, 0x1, 4, 500));
	add(cs, queued(0xa0, 11, 0x2, 5, 501));
	r = (struct evlat_record){ .kind = EVLAT_K_GONE, .msg = { .sock = 0xa0, .ino = 11 } };
	add(cs, r);
	CHECK(got.n == 3 && got.d[1].status == DS_UNREAD && got.d[2].status == DS_UNREAD);
	CHECK(got.c[2].gone && got.c[2].enobufs == 1);
	/* the same address, a new socket: a new consumer */
	add(cs, queued(0xa0, 99, 0x3, 6, 600));
	add(cs, readr(0xa0, 99, 0x3, 700, "new"));
	CHECK(got.n == 4 && got.d[3].status == DS_READ && got.c[3].ino == 99 && !got.c[3].gone);
	CHECK(got.d[3].c != got.d[2].c);
	consumers_free(cs);
}

static void test_own_fifo(void)
{
	struct consumers *cs = mk(16, 50);
	struct evlat_record r = queued(0xd0, 50, 0x1, 8, 800);

	add(cs, r);
	r = queued(0xd0, 50, 0x2, 9, 810);
	r.event = EVLAT_EV_ESTABLISHED;
	add(cs, r);
	add(cs, queued(0xe0, 51, 0x3, 9, 811));					/* not ours */
	CHECK(consumers_own_queued(cs, EVLAT_EV_ESTABLISHED, 0xabc, 900) == 0); /* not the oldest */
	CHECK(consumers_own_queued(cs, EVLAT_EV_CREATED, 0xabc, 805) == 800);
	CHECK(consumers_own_queued(cs, EVLAT_EV_ESTABLISHED, 0xabc, 809) == 0); /* queued later */
	CHECK(consumers_own_queued(cs, EVLAT_EV_ESTABLISHED, 0xabc, 900) == 810);
	CHECK(consumers_own_queued(cs, EVLAT_EV_ESTABLISHED, 0xabc, 900) == 0); /* none left */
	/* our reads report our deliveries too */
	add(cs, readr(0xd0, 50, 0x1, 900, "mptcp-evlat"));
	CHECK(got.n == 1 && got.c[0].ours && got.d[0].status == DS_READ);
	consumers_free(cs);
}

/*
 * Three events of one kind and connection to our socket; the first one's
 * queued record comes only after we took the event without it (the ring
 * behind a slow CPU): it is dropped, and each later event gets its own time,
 * not the one before's (seen on arm64 7.2.13 under TCG: three SUB_ESTABLISHED
 * of one token, each paired with the previous one's queue time, came before
 * their hooks and were reported unmatched).
 */
static void test_own_late(void)
{
	struct consumers *cs = mk(16, 50);
	struct consumers_stats st;
	struct evlat_record r = queued(0xd0, 50, 0x1, 8, 800);

	r.event = EVLAT_EV_SUB_ESTABLISHED;
	/* the first event received at 850 without its record: owed */
	CHECK(consumers_own_queued(cs, EVLAT_EV_SUB_ESTABLISHED, 0xabc, 850) == 0);
	consumers_own_owe(cs, EVLAT_EV_SUB_ESTABLISHED, 0xabc, 850);
	add(cs, r); /* ... its record, late: dropped */
	r.msg.skb = 0x2;
	r.ktime_ns = 860;
	add(cs, r);
	r.msg.skb = 0x3;
	r.ktime_ns = 870;
	add(cs, r);
	CHECK(consumers_own_queued(cs, EVLAT_EV_SUB_ESTABLISHED, 0xabc, 900) == 860);
	CHECK(consumers_own_queued(cs, EVLAT_EV_SUB_ESTABLISHED, 0xabc, 910) == 870);
	consumers_get_stats(cs, &st);
	CHECK(st.own_late == 1);
	/* an owed record that never comes: a record queued after that receive retires it */
	consumers_own_owe(cs, EVLAT_EV_SUB_ESTABLISHED, 0xabc, 950);
	r.msg.skb = 0x4;
	r.ktime_ns = 960;
	add(cs, r);
	CHECK(consumers_own_queued(cs, EVLAT_EV_SUB_ESTABLISHED, 0xabc, 990) == 960);
	consumers_get_stats(cs, &st);
	CHECK(st.own_late == 1);
	consumers_free(cs);
}

/* A read of the third message of a socket: the first two were read, unseen */
static void test_fifo(void)
{
	struct consumers *cs = mk(16, 0);
	struct consumers_stats st;

	add(cs, queued(0xa0, 11, 0x1, 1, 100));
	add(cs, queued(0xb0, 12, 0x9, 1, 100)); /* another socket: not touched */
	add(cs, queued(0xa0, 11, 0x2, 2, 110));
	add(cs, queued(0xa0, 11, 0x3, 3, 120));
	add(cs, readr(0xa0, 11, 0x3, 500, "ip"));
	CHECK(got.n == 3);
	CHECK(got.d[0].status == DS_READ && got.d[0].time_ns == 100 &&
	      !got.d[0].have_stage[DST_READ] && got.c[0].ino == 11);
	CHECK(got.d[1].status == DS_READ && got.d[1].time_ns == 110 &&
	      !got.d[1].have_stage[DST_READ]);
	CHECK(got.d[2].status == DS_READ && got.d[2].have_stage[DST_READ] &&
	      got.d[2].stage_ns[DST_READ] == 380);
	consumers_get_stats(cs, &st);
	CHECK(st.unseen_reads == 2 && st.pending == 1);
	consumers_free(cs);
}

static void test_full_table(void)
{
	struct consumers *cs = mk(2, 0);
	struct consumers_stats st;

	add(cs, queued(0xa0, 11, 0x1, 1, 100));
	add(cs, queued(0xa0, 11, 0x2, 2, 101));
	add(cs, queued(0xa0, 11, 0x3, 3, 102)); /* pushes out the first */
	CHECK(got.n == 1 && got.d[0].status == DS_UNREAD && got.d[0].time_ns == 100);
	add(cs, readr(0xa0, 11, 0x2, 200, "x"));
	add(cs, readr(0xa0, 11, 0x3, 201, "x"));
	CHECK(got.n == 3 && got.d[1].time_ns == 101 && got.d[2].time_ns == 102);
	consumers_get_stats(cs, &st);
	CHECK(st.evicted == 1 && st.pending == 0 && st.pending_max == 2);
	/* a listener event has no token */
	add(cs, (struct evlat_record){ .kind = EVLAT_K_QUEUED,
				       .event = EVLAT_EV_LISTENER_CREATED,
				       .msg = { .sock = 0xa0, .ino = 11, .skb = 0x9 } });
	consumers_flush(cs);
	CHECK(got.n == 4 && !got.d[3].have_token);
	consumers_free(cs);
}

static struct {
	int n;
	struct consumer_read r[4];
} reads;

static void collect_read(void *ctx, const struct consumer_read *rd)
{
	if (reads.n < 4)
		reads.r[reads.n++] = *rd;
}

static void test_read_cb_and_pending(void)
{
	struct consumers_opts o = { .capacity = 16, .cb = collect, .read_cb = collect_read };
	struct consumers *cs = consumers_new(&o);
	struct evlat_record lst;

	got.n = 0;
	add(cs, send_rec(1, 200, 100));
	add(cs, queued(0xa0, 11, 0x5000, 1, 210));
	add(cs, queued(0xa0, 11, 0x6000, 1, 220));
	/* nobody read from 0xa0 yet: pending by inode, not by a process */
	CHECK(consumers_unread_before(cs, 0, 11, 7, 0xabc, 215));
	CHECK(!consumers_unread_before(cs, 4321, 0, 7, 0xabc, 215));
	CHECK(!consumers_unread_before(cs, 0, 11, 7, 0xabc, 210));
	CHECK(!consumers_unread_before(cs, 0, 11, 8, 0xabc, 215) &&
	      !consumers_unread_before(cs, 0, 11, 7, 0xabd, 215));
	/* the second read: the first message read before it, unseen; both pass the read cb once */
	add(cs, readr(0xa0, 11, 0x6000, 500, "mptcpd"));
	CHECK(reads.n == 1 && reads.r[0].read_ns == 500 && reads.r[0].hook_ns == 100);
	CHECK(reads.r[0].token == 0xabc && reads.r[0].netns == 7 && reads.r[0].c->pid == 4321);
	CHECK(got.n == 2 && !got.d[0].have_stage[DST_READ] && got.d[1].have_stage[DST_READ]);
	CHECK(!consumers_unread_before(cs, 4321, 11, 7, 0xabc, 1000));
	/* an orphan read (its queueing not recorded) is a read all the same, without a hook time */
	add(cs, readr(0xa0, 11, 0x7000, 600, "mptcpd"));
	CHECK(reads.n == 2 && reads.r[1].read_ns == 600 && reads.r[1].hook_ns == 0 && got.n == 2);
	/* a listener event names no connection: no read callback */
	lst = readr(0xa0, 11, 0x8000, 700, "mptcpd");
	lst.event = EVLAT_EV_LISTENER_CREATED;
	add(cs, lst);
	CHECK(reads.n == 2);
	consumers_free(cs);
}

int main(void)
{
	test_read_cb_and_pending();
	test_read_and_stages();
	test_overrun_enobufs_gone();
	test_own_fifo();
	test_own_late();
	test_fifo();
	test_full_table();
	return check_report("consumers");
}
