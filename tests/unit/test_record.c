// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Record layout and record -> line decoding. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "check.h"
#include "evlat_record.h"
#include "names.h"
#include "record_fmt.h"

static void test_layout(void)
{
	/* The BPF side asserts the same size; offsets pin the ABI. */
	CHECK(sizeof(struct evlat_record) == 96);
	CHECK(offsetof(struct evlat_record, kind) == 0);
	CHECK(offsetof(struct evlat_record, cpu) == 8);
	CHECK(offsetof(struct evlat_record, token) == 16);
	CHECK(offsetof(struct evlat_record, sport) == 24);
	CHECK(offsetof(struct evlat_record, ktime_ns) == 32);
	CHECK(offsetof(struct evlat_record, pid) == 40);
	CHECK(offsetof(struct evlat_record, tid) == 44);
	CHECK(offsetof(struct evlat_record, saddr) == 48);
	CHECK(offsetof(struct evlat_record, daddr) == 64);
	/* the netlink side shares the addresses' place */
	CHECK(offsetof(struct evlat_record, msg.sock) == 48);
	CHECK(offsetof(struct evlat_record, msg.bcast) == 64);
	CHECK(offsetof(struct evlat_record, msg.hook_ns) == 72);
	CHECK(offsetof(struct evlat_record, msg.ino) == 80);
	CHECK(offsetof(struct evlat_record, read.err) == 72);
	CHECK(offsetof(struct evlat_record, read.comm) == 80);
}

static struct evlat_record v4_event(void)
{
	struct evlat_record r = {
		.kind = EVLAT_K_EVENT,
		.event = EVLAT_EV_SUB_ESTABLISHED,
		.family = AF_INET,
		.loc_id = 2,
		.rem_id = 1,
		.sk_state = 1,
		.ssk_state = 1,
		.cpu = 1,
		.netns = 4026532000u,
		.token = 0x1a2b3c4d,
		.gfp = 0xa20,
		.sport = 40000,
		.dport = 5000,
		.flags = EVLAT_F_HAVE_SSK,
		.ktime_ns = 123456789,
	};

	inet_pton(AF_INET, "10.0.2.2", r.saddr);
	inet_pton(AF_INET, "10.0.1.1", r.daddr);
	return r;
}

static void test_format_event(void)
{
	struct evlat_record r = v4_event();
	char buf[512];

	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "ktime=123456789 cpu=1 pid=0 tid=0 netns=4026532000 kind=event "
		       "event=sub_established "
		       "token=0x1a2b3c4d gfp=0xa20 family=4 saddr=10.0.2.2 daddr=10.0.1.1 "
		       "sport=40000 dport=5000 loc_id=2 rem_id=1 backup=0 sk_state=ESTABLISHED "
		       "ssk_state=ESTABLISHED");
}

static void test_format_v4mapped_and_backup(void)
{
	struct evlat_record r = v4_event();
	char buf[512];

	r.family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.0.2.2", r.saddr);
	inet_pton(AF_INET6, "::ffff:10.0.1.1", r.daddr);
	r.flags |= EVLAT_F_REQUEST_BKUP | EVLAT_F_HAVE_CLOSE_DONE | EVLAT_F_CLOSE_EVENT_DONE;
	r.kind = EVLAT_K_CLOSE_SSK;
	r.event = 0;
	r.gfp = 0;
	r.ssk_state = 7;
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "ktime=123456789 cpu=1 pid=0 tid=0 netns=4026532000 kind=close_ssk "
		       "token=0x1a2b3c4d "
		       "family=4 saddr=10.0.2.2 daddr=10.0.1.1 sport=40000 dport=5000 loc_id=2 "
		       "rem_id=1 backup=1 sk_state=ESTABLISHED ssk_state=CLOSE close_event_done=1");
}

static void test_format_v6_announced(void)
{
	struct evlat_record r = { .kind = EVLAT_K_ANNOUNCED,
				  .event = EVLAT_EV_ANNOUNCED,
				  .family = AF_INET6,
				  .rem_id = 3,
				  .sk_state = 1,
				  .token = 0xdeadbeef,
				  .dport = 0,
				  .ktime_ns = 5 };
	char buf[512];

	inet_pton(AF_INET6, "2001:db8::2", r.daddr);
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK_STR(
		buf,
		"ktime=5 cpu=0 pid=0 tid=0 netns=0 kind=announced event=announced token=0xdeadbeef "
		"family=6 daddr=2001:db8::2 rem_id=3 sk_state=ESTABLISHED");
}

static void test_format_listener_and_unknown(void)
{
	struct evlat_record r = { .kind = EVLAT_K_LISTENER,
				  .event = 99,
				  .family = AF_INET,
				  .sk_state = 10,
				  .ssk_state = 10,
				  .sport = 5000,
				  .flags = EVLAT_F_HAVE_SSK };
	char buf[512];

	inet_pton(AF_INET, "10.0.1.1", r.saddr);
	/* an event number we have no name for is shown as a number */
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK_STR(
		buf,
		"ktime=0 cpu=0 pid=0 tid=0 netns=0 kind=listener event=99 family=4 saddr=10.0.1.1 "
		"sport=5000 sk_state=LISTEN ssk_state=LISTEN");
}

/* The netlink-side records: which socket, which broadcast; never a kernel address */
static void test_format_netlink(void)
{
	struct evlat_record r = { .kind = EVLAT_K_QUEUED,
				  .event = EVLAT_EV_CREATED,
				  .cpu = 1,
				  .pid = 7,
				  .tid = 8,
				  .netns = 9,
				  .token = 0x1234,
				  .ktime_ns = 100,
				  .msg = { .sock = 0xffff888812345678ULL,
					   .skb = 0xffff888800000001ULL,
					   .bcast = 42,
					   .ino = 31337,
					   .portid = 4242,
					   .rmem = 768,
					   .rcvbuf = 212992 } };
	char buf[512];

	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK_STR(buf,
		  "ktime=100 cpu=1 pid=7 tid=8 netns=9 kind=queued event=created "
		  "token=0x00001234 bcast=42 sock_ino=31337 portid=4242 rmem=768 rcvbuf=212992");
	r.kind = EVLAT_K_OVERRUN;
	r.flags = EVLAT_F_NO_ENOBUFS;
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, " kind=overrun ") && strstr(buf, " no_enobufs=1"));
	r.kind = EVLAT_K_SEND;
	r.msg.hook_ns = 90;
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, " kind=send event=created token=0x00001234 bcast=42 hook_ktime=90"));
	CHECK(!strstr(buf, "sock_ino") && !strstr(buf, "ffff"));

	memset(&r.read, 0, sizeof(r.read));
	r.kind = EVLAT_K_READ;
	r.read.ino = 31337;
	r.read.portid = 4242;
	memcpy(r.read.comm, "my pm\t\x01\xff", 9); /* a comm is not ours to trust */
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "ktime=100 cpu=1 pid=7 tid=8 netns=9 kind=read event=created "
		       "token=0x00001234 sock_ino=31337 portid=4242 comm=my?pm???");
	r.read.err = -105;
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, " kind=read token=") && strstr(buf, " err=-105"));
	r.kind = EVLAT_K_GONE;
	memset(&r.msg, 0, sizeof(r.msg));
	r.msg.ino = 5;
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "ktime=100 cpu=1 pid=7 tid=8 netns=9 kind=gone sock_ino=5 portid=0 "
		       "rmem=0 rcvbuf=0");
}

static void test_malformed(void)
{
	struct evlat_record r = v4_event();
	char buf[512], tiny[16];

	CHECK(record_format(&r, sizeof(r) - 1, buf, sizeof(buf)) == -EMSGSIZE);
	CHECK(record_format(&r, sizeof(r) + 8, buf, sizeof(buf)) == -EMSGSIZE);
	r.kind = EVLAT_K_MAX;
	CHECK(record_format(&r, sizeof(r), buf, sizeof(buf)) == -EPROTO);
	r.kind = EVLAT_K_NONE;
	CHECK(record_check(&r, sizeof(r)) == -EPROTO);
	r = v4_event();
	CHECK(record_format(&r, sizeof(r), tiny, sizeof(tiny)) == -ENOSPC);
	CHECK(record_format(&r, sizeof(r), buf, 0) == -ENOSPC);
}

static void test_names(void)
{
	CHECK_STR(event_name(1), "created");
	CHECK_STR(event_name(16), "listener_closed");
	CHECK(event_name(4) == NULL); /* unused number */
	CHECK(event_name(1000) == NULL);
	CHECK(event_by_name("sub_priority") == 13);
	CHECK(event_by_name("nope") == -EINVAL);
	CHECK(kind_name(EVLAT_K_MAX) == NULL);
	CHECK(tcp_state_name(255) == NULL);
}

int main(void)
{
	test_layout();
	test_format_event();
	test_format_v4mapped_and_backup();
	test_format_v6_announced();
	test_format_listener_and_unknown();
	test_format_netlink();
	test_malformed();
	test_names();
	return check_report("test_record");
}
