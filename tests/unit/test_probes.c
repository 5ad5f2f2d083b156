// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probes_select() against synthetic kernel BTF: which target, prototype
 * variant and programs each probe gets, and when the start must fail.
 * The BTF is written with libbpf's BTF writer, then serialized and parsed
 * back, so what probes_select() sees went through the same parser as a
 * kernel's /sys/kernel/btf/vmlinux. No root, no BPF.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <bpf/btf.h>

#include "check.h"
#include "probes.h"

/* Functions a synthetic kernel may have. */
enum {
	K_EVENT = 1 << 0, /* mptcp_event() */
	K_ANNOUNCED_SSK =
		1 << 1, /* mptcp_event_addr_announced(const struct sock *ssk, ...): 5.19+ */
	K_ANNOUNCED_MSK = 1 << 2,	/* (const struct mptcp_sock *msk, ...): 5.12 - 5.18 */
	K_ANNOUNCED_MSK_TDEF = 1 << 3,	/* msk first, through typedef/const/volatile */
	K_ANNOUNCED_FAKE_TDEF = 1 << 4, /* a typedef named mptcp_sock for struct sock */
	K_ANNOUNCED_INT = 1 << 5,	/* first parameter not a pointer to a struct */
	K_ANNOUNCED_NOARGS = 1 << 6,	/* no parameters at all */
	K_CLOSE_SSK = 1 << 7,		/* mptcp_close_ssk() */
	K_CLOSE_SSK_TYPE = 1 << 8,	/* a type, not a function, named mptcp_close_ssk */
	K_REMOVED = 1 << 9,		/* mptcp_event_addr_removed() */
	K_LISTENER = 1 << 10,		/* mptcp_event_pm_listener(): 6.2+ */
	K_MCAST_SEND = 1 << 11,		/* mptcp_nl_mcast_send() */
	K_BROADCAST = 1 << 12,		/* netlink_broadcast(): every kernel */
	K_CONSUMERS = 1 << 13,		/* __netlink_sendskb() ... netlink_release() */
	K_RECV_4ARGS = 1 << 14,		/* skb_recv_datagram(sk, flags, noblock, err): < 5.19 */
	K_OWNER_R = 1 << 15, /* __netlink_sendskb() inlined, netlink_skb_set_owner_r() not */
};

#define KERNEL_6_1  (K_EVENT | K_ANNOUNCED_SSK | K_CLOSE_SSK | K_REMOVED | K_BROADCAST)
#define KERNEL_6_12 (KERNEL_6_1 | K_LISTENER | K_MCAST_SEND)
#define KERNEL_5_15 (K_EVENT | K_ANNOUNCED_MSK | K_CLOSE_SSK | K_REMOVED | K_BROADCAST)

struct kb {
	struct btf *btf;
	int err; /* first error of a btf__add_*() call */
};

static int add(struct kb *b, int ret)
{
	if (ret < 0 && !b->err)
		b->err = ret;
	return ret;
}

static int ptr(struct kb *b, int id)
{
	return add(b, btf__add_ptr(b->btf, id));
}

static int cnst(struct kb *b, int id)
{
	return add(b, btf__add_const(b->btf, id));
}

/* A struct with one u32 member, like the kernel's but smaller. */
static int strct(struct kb *b, const char *name, const char *member, int u32)
{
	int id = add(b, btf__add_struct(b->btf, name, 4));

	add(b, btf__add_field(b->btf, member, u32, 0, 0));
	return id;
}

struct param {
	const char *name;
	int type;
};

/* A global function: FUNC_PROTO, its parameters (up to a NULL name), FUNC. */
static void func(struct kb *b, const char *name, int ret, const struct param *params)
{
	int proto = add(b, btf__add_func_proto(b->btf, ret));

	for (; params->name; params++)
		add(b, btf__add_func_param(b->btf, params->name, params->type));
	add(b, btf__add_func(b->btf, name, BTF_FUNC_GLOBAL, proto));
}

/* Build a kernel with the functions in @funcs; NULL if libbpf refused any of it. */
static struct btf *kernel_btf(unsigned int funcs)
{
	struct kb b = { .btf = btf__new_empty() };
	struct btf *parsed = NULL;
	const void *raw;
	__u32 size;

	if (!b.btf)
		return NULL;

	int s32 = add(&b, btf__add_int(b.btf, "int", 4, BTF_INT_SIGNED));
	int u8 = add(&b, btf__add_int(b.btf, "unsigned char", 1, 0));
	int u32 = add(&b, btf__add_int(b.btf, "unsigned int", 4, 0));
	int gfp = add(&b, btf__add_typedef(b.btf, "gfp_t", u32));
	int evtype = add(&b, btf__add_enum(b.btf, "mptcp_event_type", 4));

	add(&b, btf__add_enum_value(b.btf, "MPTCP_EVENT_UNSPEC", 0));
	add(&b, btf__add_enum_value(b.btf, "MPTCP_EVENT_CREATED", 1));
	add(&b, btf__add_enum_value(b.btf, "MPTCP_EVENT_ANNOUNCED", 6));
	add(&b, btf__add_enum_value(b.btf, "MPTCP_EVENT_LISTENER_CREATED", 15));

	int sock = strct(&b, "sock", "sk_rcvbuf", u32);
	int msk = strct(&b, "mptcp_sock", "token", u32);
	int addr = strct(&b, "mptcp_addr_info", "id", u32);
	int subflow = strct(&b, "mptcp_subflow_context", "remote_id", u32);
	int skb = strct(&b, "sk_buff", "len", u32);
	int net = strct(&b, "net", "ifindex", u32);

	int sock_p = ptr(&b, sock);
	int csock_p = ptr(&b, cnst(&b, sock));
	int cmsk_p = ptr(&b, cnst(&b, msk));
	int caddr_p = ptr(&b, cnst(&b, addr));

	if (funcs & K_EVENT)
		func(&b, "mptcp_event", 0,
		     (struct param[]){ { "type", evtype },
				       { "msk", cmsk_p },
				       { "ssk", csock_p },
				       { "gfp", gfp },
				       { 0 } });
	if (funcs & K_ANNOUNCED_SSK)
		func(&b, "mptcp_event_addr_announced", 0,
		     (struct param[]){ { "ssk", csock_p }, { "info", caddr_p }, { 0 } });
	if (funcs & K_ANNOUNCED_MSK)
		func(&b, "mptcp_event_addr_announced", 0,
		     (struct param[]){ { "msk", cmsk_p }, { "info", caddr_p }, { 0 } });
	if (funcs & K_ANNOUNCED_MSK_TDEF) {
		/* const msk_t *, msk_t being typedef const volatile struct mptcp_sock */
		int cv = cnst(&b, add(&b, btf__add_volatile(b.btf, msk)));
		int tdef = add(&b, btf__add_typedef(b.btf, "msk_t", cv));

		func(&b, "mptcp_event_addr_announced", 0,
		     (struct param[]){
			     { "msk", ptr(&b, cnst(&b, tdef)) }, { "info", caddr_p }, { 0 } });
	}
	if (funcs & K_ANNOUNCED_FAKE_TDEF) {
		/* the typedef's name must not count, only the struct's */
		int tdef = add(&b, btf__add_typedef(b.btf, "mptcp_sock", sock));

		func(&b, "mptcp_event_addr_announced", 0,
		     (struct param[]){
			     { "ssk", ptr(&b, cnst(&b, tdef)) }, { "info", caddr_p }, { 0 } });
	}
	if (funcs & K_ANNOUNCED_INT)
		func(&b, "mptcp_event_addr_announced", 0,
		     (struct param[]){ { "id", s32 }, { "msk", cmsk_p }, { 0 } });
	if (funcs & K_ANNOUNCED_NOARGS)
		func(&b, "mptcp_event_addr_announced", 0, (struct param[]){ { 0 } });
	if (funcs & K_CLOSE_SSK)
		func(&b, "mptcp_close_ssk", 0,
		     (struct param[]){ { "sk", sock_p },
				       { "ssk", sock_p },
				       { "subflow", ptr(&b, subflow) },
				       { 0 } });
	if (funcs & K_CLOSE_SSK_TYPE)
		strct(&b, "mptcp_close_ssk", "x", u32);
	if (funcs & K_REMOVED)
		func(&b, "mptcp_event_addr_removed", 0,
		     (struct param[]){ { "msk", cmsk_p }, { "id", u8 }, { 0 } });
	if (funcs & K_LISTENER)
		func(&b, "mptcp_event_pm_listener", 0,
		     (struct param[]){ { "ssk", csock_p }, { "event", evtype }, { 0 } });
	if (funcs & K_MCAST_SEND)
		func(&b, "mptcp_nl_mcast_send", 0,
		     (struct param[]){ { "net", ptr(&b, net) },
				       { "nlskb", ptr(&b, skb) },
				       { "gfp", gfp },
				       { 0 } });
	if (funcs & K_BROADCAST)
		func(&b, "netlink_broadcast", s32,
		     (struct param[]){ { "ssk", sock_p },
				       { "skb", ptr(&b, skb) },
				       { "portid", u32 },
				       { "group", u32 },
				       { "allocation", gfp },
				       { 0 } });

	if (funcs & (K_CONSUMERS | K_RECV_4ARGS)) {
		int sk_buff_p = ptr(&b, skb), intp = ptr(&b, s32);
		int socket = strct(&b, "socket", "state", u32);

		if (funcs & K_OWNER_R) /* Debian's arm64 7.2 */
			func(&b, "netlink_skb_set_owner_r", 0,
			     (struct param[]){ { "skb", sk_buff_p }, { "sk", sock_p }, { 0 } });
		else
			func(&b, "__netlink_sendskb", s32,
			     (struct param[]){ { "sk", sock_p }, { "skb", sk_buff_p }, { 0 } });
		func(&b, "netlink_overrun", 0, (struct param[]){ { "sk", sock_p }, { 0 } });
		func(&b, "netlink_has_listeners", s32,
		     (struct param[]){ { "sk", sock_p }, { "group", u32 }, { 0 } });
		func(&b, "netlink_release", s32,
		     (struct param[]){ { "sock", ptr(&b, socket) }, { 0 } });
		func(&b, "genl_rcv_msg", s32,
		     (struct param[]){ { "skb", sk_buff_p },
				       { "nlh", ptr(&b, strct(&b, "nlmsghdr", "nlmsg_len", u32)) },
				       { "extack", ptr(&b, u32) },
				       { 0 } });
		if (funcs & K_RECV_4ARGS)
			func(&b, "skb_recv_datagram", sk_buff_p,
			     (struct param[]){ { "sk", sock_p },
					       { "flags", u32 },
					       { "noblock", s32 },
					       { "err", intp },
					       { 0 } });
		else
			func(&b, "skb_recv_datagram", sk_buff_p,
			     (struct param[]){
				     { "sk", sock_p }, { "flags", u32 }, { "err", intp }, { 0 } });
	}

	if (!b.err) {
		raw = btf__raw_data(b.btf, &size);
		if (raw)
			parsed = btf__new(raw, size);
	}
	btf__free(b.btf);
	return parsed;
}

/* What one probe must look like after probes_select(). */
struct want {
	const char *name, *target, *variant; /* variant NULL: none */
	bool mandatory;
	const char *fe, *kp;
	enum probe_state state;
};

static void expect_probe(int line, const struct probe_set *ps, int idx, const struct want *w)
{
	const struct probe *p = idx < PROBE_NR ? &ps->p[idx] : NULL;
	int failed = check_failed;

	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->name, w->name); /* the id and the order of the attach messages */
		CHECK_STR(p->target, w->target);
		if (w->variant)
			CHECK(p->variant && !strcmp(p->variant, w->variant));
		else
			CHECK(p->variant == NULL);
		CHECK(p->mandatory == w->mandatory);
		CHECK_STR(p->fe_prog, w->fe);
		CHECK_STR(p->kp_prog, w->kp);
		CHECK(p->state == w->state);
		/* selecting attaches nothing */
		CHECK(!p->link && !p->err && !p->fentry_err && p->mode == PROBE_FENTRY);
	}
	if (check_failed != failed)
		fprintf(stderr, "  ^ probe %s (expected at line %d): state %s, variant %s\n",
			w->name, line, p ? probe_state_name(p->state) : "-",
			p && p->variant ? p->variant : "(none)");
}

static void expect_all(int line, const struct probe_set *ps, const struct want *w, int n)
{
	CHECK(n == PROBE_FIRST_CONSUMER);
	for (int i = 0; i < n; i++)
		expect_probe(line, ps, i, &w[i]);
}

#define EXPECT_PROBE(ps, idx, ...) expect_probe(__LINE__, ps, idx, &(struct want){ __VA_ARGS__ })
#define EXPECT_ALL(ps, w)	   expect_all(__LINE__, ps, w, (int)(sizeof(w) / sizeof((w)[0])))

/* probes_count() over the event probes only (the consumer ones are left out unless asked) */
static int count_core(const struct probe_set *ps, enum probe_state state)
{
	int n = 0;

	for (int i = 0; i < PROBE_FIRST_CONSUMER; i++)
		n += ps->p[i].state == state;
	return n;
}

/* probes_select() on a kernel built from @funcs; false if the BTF could not be built. */
static bool select_listeners = true; /* probes_select()'s @listeners */
static bool select_on2(unsigned int funcs, struct probe_set *ps, int *ret, bool consumers);

static bool select_on(unsigned int funcs, struct probe_set *ps, int *ret)
{
	return select_on2(funcs, ps, ret, false);
}

static bool select_on2(unsigned int funcs, struct probe_set *ps, int *ret, bool consumers)
{
	struct btf *btf = kernel_btf(funcs);

	CHECK(btf != NULL);
	if (!btf)
		return false;
	/* probes_select() must not depend on what the set held before */
	memset(ps, 0x5a, sizeof(*ps));
	*ret = probes_select(ps, btf, consumers, select_listeners);
	btf__free(btf);
	CHECK(!ps->kprobe_only && !ps->fentry_load_err);
	return true;
}

static const struct want common_6_1[] = {
	{ "mptcp_event", "mptcp_event", NULL, true, "fe_event", "kp_event", PROBE_SELECTED },
	{ "mptcp_event_addr_announced", "mptcp_event_addr_announced", "ssk", true, "fe_announced",
	  "kp_announced", PROBE_SELECTED },
	{ "mptcp_close_ssk", "mptcp_close_ssk", NULL, true, "fe_close_ssk", "kp_close_ssk",
	  PROBE_SELECTED },
	{ "mptcp_event_addr_removed", "mptcp_event_addr_removed", NULL, false, "fe_removed",
	  "kp_removed", PROBE_SELECTED },
	{ "mptcp_event_pm_listener", "mptcp_event_pm_listener", NULL, false, "fe_listener",
	  "kp_listener", PROBE_MISSING },
	{ "send", "netlink_broadcast", NULL, false, "fe_broadcast", "kp_broadcast",
	  PROBE_SELECTED },
};

/* 1. Debian bookworm: no listener events, mptcp_nl_mcast_send() inlined. */
static void test_kernel_6_1(void)
{
	struct probe_set ps;
	int ret;

	if (!select_on(KERNEL_6_1, &ps, &ret))
		return;
	CHECK(ret == 0);
	EXPECT_ALL(&ps, common_6_1);
	CHECK(probes_count(&ps, PROBE_SELECTED) == 5);
	CHECK(count_core(&ps, PROBE_MISSING) == 1);
}

/* 2. Debian trixie: listener events and mptcp_nl_mcast_send() (netlink_broadcast too). */
static void test_kernel_6_12(void)
{
	static const struct want w[] = {
		{ "mptcp_event", "mptcp_event", NULL, true, "fe_event", "kp_event",
		  PROBE_SELECTED },
		{ "mptcp_event_addr_announced", "mptcp_event_addr_announced", "ssk", true,
		  "fe_announced", "kp_announced", PROBE_SELECTED },
		{ "mptcp_close_ssk", "mptcp_close_ssk", NULL, true, "fe_close_ssk", "kp_close_ssk",
		  PROBE_SELECTED },
		{ "mptcp_event_addr_removed", "mptcp_event_addr_removed", NULL, false, "fe_removed",
		  "kp_removed", PROBE_SELECTED },
		{ "mptcp_event_pm_listener", "mptcp_event_pm_listener", NULL, false, "fe_listener",
		  "kp_listener", PROBE_SELECTED },
		{ "send", "mptcp_nl_mcast_send", NULL, false, "fe_mcast_send", "kp_mcast_send",
		  PROBE_SELECTED },
	};
	struct probe_set ps;
	int ret;

	if (!select_on(KERNEL_6_12, &ps, &ret))
		return;
	CHECK(ret == 0);
	EXPECT_ALL(&ps, w);
	CHECK(probes_count(&ps, PROBE_SELECTED) == 6);
	CHECK(count_core(&ps, PROBE_MISSING) == 0);
}

#define ANNOUNCED_MSK                                                                              \
	"mptcp_event_addr_announced", "mptcp_event_addr_announced", "msk", true,                   \
		"fe_announced_msk", "kp_announced_msk", PROBE_SELECTED
#define ANNOUNCED_SSK                                                                              \
	"mptcp_event_addr_announced", "mptcp_event_addr_announced", "ssk", true, "fe_announced",   \
		"kp_announced", PROBE_SELECTED

/* 3. The prototype of mptcp_event_addr_announced() read from BTF. */
static void test_announced_variants(void)
{
	unsigned int base = KERNEL_5_15 & ~K_ANNOUNCED_MSK;
	struct probe_set ps;
	int ret;

	/* 5.12 - 5.18: const struct mptcp_sock *msk first */
	if (select_on(KERNEL_5_15, &ps, &ret)) {
		CHECK(ret == 0);
		EXPECT_PROBE(&ps, 1, ANNOUNCED_MSK);
		/* the others do not depend on it */
		EXPECT_PROBE(&ps, 0, "mptcp_event", "mptcp_event", NULL, true, "fe_event",
			     "kp_event", PROBE_SELECTED);
		EXPECT_PROBE(&ps, 5, "send", "netlink_broadcast", NULL, false, "fe_broadcast",
			     "kp_broadcast", PROBE_SELECTED);
	}
	/* const msk_t *, typedef const volatile struct mptcp_sock msk_t */
	if (select_on(base | K_ANNOUNCED_MSK_TDEF, &ps, &ret)) {
		CHECK(ret == 0);
		EXPECT_PROBE(&ps, 1, ANNOUNCED_MSK);
	}
	/* a typedef named mptcp_sock for struct sock: the struct decides */
	if (select_on(base | K_ANNOUNCED_FAKE_TDEF, &ps, &ret)) {
		CHECK(ret == 0);
		EXPECT_PROBE(&ps, 1, ANNOUNCED_SSK);
	}
	/* first parameter no struct pointer (msk second), or no parameters: the 5.19+ default */
	if (select_on(base | K_ANNOUNCED_INT, &ps, &ret)) {
		CHECK(ret == 0);
		EXPECT_PROBE(&ps, 1, ANNOUNCED_SSK);
	}
	if (select_on(base | K_ANNOUNCED_NOARGS, &ps, &ret)) {
		CHECK(ret == 0);
		EXPECT_PROBE(&ps, 1, ANNOUNCED_SSK);
	}
}

/* 4. A missing mandatory target fails the selection; missing optional ones do not. */
static void test_missing(void)
{
	struct probe_set ps;
	int ret;

	/* 6.1 without mptcp_close_ssk(): only that one is missing */
	if (select_on(KERNEL_6_1 & ~K_CLOSE_SSK, &ps, &ret)) {
		CHECK(ret == -ENOENT);
		EXPECT_PROBE(&ps, 2, "mptcp_close_ssk", "mptcp_close_ssk", NULL, true,
			     "fe_close_ssk", "kp_close_ssk", PROBE_MISSING);
		EXPECT_PROBE(&ps, 0, "mptcp_event", "mptcp_event", NULL, true, "fe_event",
			     "kp_event", PROBE_SELECTED);
		EXPECT_PROBE(&ps, 1, ANNOUNCED_SSK);
		CHECK(ps.p[PROBE_LISTENER].name !=
		      NULL); /* every probe is filled in, to list them */
		CHECK(count_core(&ps, PROBE_MISSING) == 2); /* + the listener */
	}
	/* a type of that name is no function */
	if (select_on((KERNEL_6_1 & ~K_CLOSE_SSK) | K_CLOSE_SSK_TYPE, &ps, &ret)) {
		CHECK(ret == -ENOENT);
		EXPECT_PROBE(&ps, 2, "mptcp_close_ssk", "mptcp_close_ssk", NULL, true,
			     "fe_close_ssk", "kp_close_ssk", PROBE_MISSING);
	}
	/* no MPTCP at all: the three mandatory ones missing, netlink_broadcast still there */
	if (select_on(K_BROADCAST, &ps, &ret)) {
		CHECK(ret == -ENOENT);
		EXPECT_PROBE(&ps, 0, "mptcp_event", "mptcp_event", NULL, true, "fe_event",
			     "kp_event", PROBE_MISSING);
		EXPECT_PROBE(&ps, 1, "mptcp_event_addr_announced", "mptcp_event_addr_announced",
			     "ssk", true, "fe_announced", "kp_announced", PROBE_MISSING);
		EXPECT_PROBE(&ps, 2, "mptcp_close_ssk", "mptcp_close_ssk", NULL, true,
			     "fe_close_ssk", "kp_close_ssk", PROBE_MISSING);
		EXPECT_PROBE(&ps, 3, "mptcp_event_addr_removed", "mptcp_event_addr_removed", NULL,
			     false, "fe_removed", "kp_removed", PROBE_MISSING);
		EXPECT_PROBE(&ps, 4, "mptcp_event_pm_listener", "mptcp_event_pm_listener", NULL,
			     false, "fe_listener", "kp_listener", PROBE_MISSING);
		EXPECT_PROBE(&ps, 5, "send", "netlink_broadcast", NULL, false, "fe_broadcast",
			     "kp_broadcast", PROBE_SELECTED);
		CHECK(count_core(&ps, PROBE_MISSING) == 5);
	}
	/* an empty BTF */
	if (select_on(0, &ps, &ret)) {
		CHECK(ret == -ENOENT);
		CHECK(count_core(&ps, PROBE_MISSING) == 6);
		CHECK(probes_count(&ps, PROBE_SELECTED) == 0);
	}
	/* only the mandatory ones: every optional probe missing, still a success */
	if (select_on(K_EVENT | K_ANNOUNCED_SSK | K_CLOSE_SSK, &ps, &ret)) {
		CHECK(ret == 0);
		CHECK(probes_count(&ps, PROBE_SELECTED) == 3);
		EXPECT_PROBE(&ps, 3, "mptcp_event_addr_removed", "mptcp_event_addr_removed", NULL,
			     false, "fe_removed", "kp_removed", PROBE_MISSING);
		EXPECT_PROBE(&ps, 4, "mptcp_event_pm_listener", "mptcp_event_pm_listener", NULL,
			     false, "fe_listener", "kp_listener", PROBE_MISSING);
		EXPECT_PROBE(&ps, 5, "send", "netlink_broadcast", NULL, false, "fe_broadcast",
			     "kp_broadcast", PROBE_MISSING);
	}
}

/* 4b. The consumer probes: only when asked, on the 5.19+ skb_recv_datagram() prototype. */
static void test_consumers(void)
{
	static const struct {
		int id;
		const char *target, *fe;
	} want[] = {
		{ PROBE_SEND_END, "mptcp_nl_mcast_send", "fx_mcast_send" },
		{ PROBE_QUEUED, "__netlink_sendskb", "fe_queued" },
		{ PROBE_OVERRUN, "netlink_overrun", "fe_overrun" },
		{ PROBE_READ, "skb_recv_datagram", "fx_read" },
		{ PROBE_LISTENERS, "netlink_has_listeners", "fx_has_listeners" },
		{ PROBE_GONE, "netlink_release", "fe_gone" },
		{ PROBE_CMD, "genl_rcv_msg", "fe_cmd" },
		{ PROBE_CMD_END, "genl_rcv_msg", "fx_cmd" },
	};
	struct probe_set ps;
	int ret;

	CHECK(sizeof(want) / sizeof(want[0]) == PROBE_NR - PROBE_FIRST_CONSUMER);
	if (select_on2(KERNEL_6_12 | K_CONSUMERS, &ps, &ret, true)) {
		CHECK(ret == 0);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			const struct probe *p = &ps.p[want[i].id];

			CHECK(p->state == PROBE_SELECTED && !p->mandatory && !p->kp_prog);
			CHECK_STR(p->target, want[i].target);
			CHECK_STR(p->fe_prog, want[i].fe);
			CHECK(probes_consumer_prog(want[i].fe));
			CHECK(probes_pm_prog(want[i].fe) == (want[i].id >= PROBE_FIRST_PM));
		}
		CHECK(!probes_consumer_prog("fe_event") && !probes_consumer_prog("fe_mcast_send"));
		CHECK(!probes_consumers(&ps)); /* selected, not attached */
		CHECK(!probes_pm(&ps));
		/* the path-manager view needs the consumer view and the command probes */
		for (int i = PROBE_FIRST_CONSUMER; i < PROBE_NR; i++)
			ps.p[i].state = PROBE_ATTACHED;
		CHECK(probes_consumers(&ps) && probes_pm(&ps));
		ps.p[PROBE_CMD_END].state = PROBE_FAILED;
		CHECK(probes_consumers(&ps) && !probes_pm(&ps));
		ps.p[PROBE_CMD_END].state = PROBE_ATTACHED;
		ps.p[PROBE_READ].state = PROBE_FAILED;
		CHECK(!probes_consumers(&ps) && !probes_pm(&ps));
	}
	/* 6.1: the send path's end follows the send probe's target */
	if (select_on2(KERNEL_6_1 | K_CONSUMERS, &ps, &ret, true)) {
		CHECK_STR(ps.p[PROBE_SEND_END].target, "netlink_broadcast");
		CHECK_STR(ps.p[PROBE_SEND_END].fe_prog, "fx_broadcast");
	}
	/* not asked for: listed, missing, the event probes as ever */
	if (select_on2(KERNEL_6_12 | K_CONSUMERS, &ps, &ret, false)) {
		CHECK(ret == 0 && count_core(&ps, PROBE_MISSING) == 0);
		CHECK(probes_count(&ps, PROBE_MISSING) == PROBE_NR - PROBE_FIRST_CONSUMER);
		CHECK(!probes_prog_wanted(&ps, "fe_queued", true));
	}
	/* a subscriber of ours: no listener check (always yes), the view complete without it */
	select_listeners = false;
	if (select_on2(KERNEL_6_12 | K_CONSUMERS, &ps, &ret, true)) {
		CHECK(ret == 0 && ps.p[PROBE_LISTENERS].state == PROBE_UNNEEDED);
		CHECK(!probes_prog_wanted(&ps, "fx_has_listeners", true));
		CHECK(probes_prog_wanted(&ps, "fe_queued", true));
		CHECK(!probes_consumers(&ps));
		for (int i = PROBE_FIRST_CONSUMER; i < PROBE_NR; i++)
			if (ps.p[i].state == PROBE_SELECTED)
				ps.p[i].state = PROBE_ATTACHED;
		CHECK(probes_consumers(&ps));
		CHECK(probes_count(&ps, PROBE_UNNEEDED) == 1);
	}
	/* without the consumer probes it stays missing with the others */
	if (select_on2(KERNEL_6_12 | K_CONSUMERS, &ps, &ret, false))
		CHECK(ps.p[PROBE_LISTENERS].state == PROBE_MISSING);
	select_listeners = true;
	/* __netlink_sendskb() inlined: its caller's netlink_skb_set_owner_r(), the same pair */
	if (select_on2(KERNEL_6_12 | K_CONSUMERS | K_OWNER_R, &ps, &ret, true)) {
		CHECK(ret == 0 && ps.p[PROBE_QUEUED].state == PROBE_SELECTED);
		CHECK_STR(ps.p[PROBE_QUEUED].target, "netlink_skb_set_owner_r");
		CHECK_STR(ps.p[PROBE_QUEUED].fe_prog, "fe_queued_owner");
		CHECK(probes_consumer_prog("fe_queued_owner"));
		CHECK(probes_prog_wanted(&ps, "fe_queued_owner", true));
		CHECK(!probes_prog_wanted(&ps, "fe_queued", true));
	}
	/* before 5.19 skb_recv_datagram() had four parameters: not the program's prototype */
	if (select_on2(KERNEL_6_12 | K_RECV_4ARGS, &ps, &ret, true)) {
		CHECK(ps.p[PROBE_READ].state == PROBE_MISSING);
		CHECK(ps.p[PROBE_QUEUED].state == PROBE_SELECTED);
	}
}

/* 5. Counting, lookup, names; detaching a set that never attached. */
static void test_helpers(void)
{
	struct probe_set ps;
	int ret;

	if (!select_on(KERNEL_6_1, &ps, &ret))
		return;
	CHECK(ret == 0);
	CHECK(probes_count(&ps, PROBE_SELECTED) + probes_count(&ps, PROBE_MISSING) == PROBE_NR);
	CHECK(probes_count(&ps, PROBE_ATTACHED) == 0);
	CHECK(probes_count(&ps, PROBE_FAILED) == 0);
	CHECK(!strcmp(ps.p[PROBE_SEND].target, "netlink_broadcast"));

	/* which programs the object loads: the chosen target's, fentry ones only if asked */
	CHECK(probes_prog_wanted(&ps, "fe_event", true));
	CHECK(!probes_prog_wanted(&ps, "fe_event", false));
	CHECK(probes_prog_wanted(&ps, "kp_event", true));
	CHECK(probes_prog_wanted(&ps, "kp_event", false));
	CHECK(probes_prog_wanted(&ps, "fe_broadcast", true));
	CHECK(!probes_prog_wanted(&ps, "fe_mcast_send", true)); /* not this kernel's send */
	CHECK(!probes_prog_wanted(&ps, "kp_mcast_send", true));
	CHECK(!probes_prog_wanted(&ps, "fe_listener", true));	   /* missing in 6.1 */
	CHECK(!probes_prog_wanted(&ps, "fe_announced_msk", true)); /* the other variant */
	CHECK(probes_prog_wanted(&ps, "fe_announced", true));
	CHECK(!probes_prog_wanted(&ps, "", true));

	/* by id */
	ps.p[PROBE_EVENT].state = PROBE_ATTACHED;
	ps.p[PROBE_REMOVED].state = PROBE_FAILED;
	CHECK(probes_count(&ps, PROBE_ATTACHED) == 1);
	CHECK(probes_count(&ps, PROBE_FAILED) == 1);
	CHECK(probes_attached(&ps, PROBE_EVENT));
	CHECK(!probes_attached(&ps, PROBE_REMOVED));
	CHECK(!probes_attached(&ps, PROBE_SEND));
	CHECK(!probes_attached(&ps, PROBE_NR));
	CHECK(!probes_attached(&ps, (enum probe_id) - 1));

	struct probe_set empty = { 0 };

	CHECK(probes_count(&empty, PROBE_MISSING) == PROBE_NR);
	CHECK(!probes_prog_wanted(&empty, "fe_event", true));

	CHECK_STR(probe_state_name(PROBE_MISSING), "missing");
	CHECK_STR(probe_state_name(PROBE_SELECTED), "selected");
	CHECK_STR(probe_state_name(PROBE_ATTACHED), "attached");
	CHECK_STR(probe_state_name(PROBE_FAILED), "failed");
	CHECK_STR(probe_state_name(PROBE_UNNEEDED), "unneeded");
	CHECK_STR(probe_state_name((enum probe_state)42), "?");
	CHECK_STR(probe_mode_name(PROBE_FENTRY), "fentry");
	CHECK_STR(probe_mode_name(PROBE_KPROBE), "kprobe");
}

int main(void)
{
	test_kernel_6_1();
	test_kernel_6_12();
	test_announced_variants();
	test_missing();
	test_consumers();
	test_helpers();
	return check_report("test_probes");
}
