// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Raw generic netlink for the in-kernel MPTCP path manager ("mptcp_pm").
 *
 * Requests are a few dozen bytes and built in a fixed buffer; every request
 * asks for an ACK, so each call returns the kernel's verdict as a negative
 * errno, with the extack message (4.12+) kept in pm->errmsg when there is one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/sock_diag.h>
#include <linux/netlink.h>

#include "mptcp_compat.h"
#include "pm_genl.h"

#define PM_MSG_SIZE	 256   /* the largest request is about 60 bytes */
#define PM_RCV_SIZE	 16384 /* GETFAMILY answers with every op and group */
#define PM_RCV_TIMEOUT_S 5     /* the kernel answers at once; never hang */
#define CTRL_VERSION	 2

struct pm_msg {
	union {
		struct nlmsghdr nlh;
		char buf[PM_MSG_SIZE];
	};
};

typedef int (*pm_reply_fn)(const struct nlmsghdr *nlh, void *arg);

static void msg_init(struct pm_msg *m, __u16 type, __u8 cmd, __u8 version)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = version;
}

static int msg_put(struct pm_msg *m, __u16 type, const void *data, __u16 len)
{
	__u32 off = NLMSG_ALIGN(m->nlh.nlmsg_len);
	struct nlattr *a;

	if (off + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(m->buf))
		return -EMSGSIZE;
	a = (struct nlattr *)(m->buf + off);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(m->buf + off + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = off + NLA_ALIGN(a->nla_len);
	return 0;
}

static int msg_put_u8(struct pm_msg *m, __u16 type, __u8 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

static int msg_put_u16(struct pm_msg *m, __u16 type, __u16 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

static int msg_put_u32(struct pm_msg *m, __u16 type, __u32 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

/* Returns the offset of the nest header, or a negative errno. */
static int msg_nest_start(struct pm_msg *m, __u16 type)
{
	__u32 off = NLMSG_ALIGN(m->nlh.nlmsg_len);
	/* strict policies (the YAML-generated ones, 6.7+) want the flag */
	int err = msg_put(m, type | NLA_F_NESTED, NULL, 0);

	return err ? err : (int)off;
}

static void msg_nest_end(struct pm_msg *m, int off)
{
	struct nlattr *nest = (struct nlattr *)(m->buf + off);

	nest->nla_len = m->nlh.nlmsg_len - off;
}

/* Find attribute @type among the attributes in [start, start + len). */
static const struct nlattr *attr_find(const char *start, size_t len, __u16 type)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)start;
		size_t step = NLA_ALIGN(a->nla_len);

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		if (step >= len)
			return NULL;
		start += step;
		len -= step;
	}
	return NULL;
}

/* Keep the kernel's explanation of a refusal (NLMSGERR_ATTR_MSG). */
static void pm_extack(struct pm_genl *pm, const struct nlmsghdr *nlh, const struct nlmsgerr *e)
{
	size_t payload = sizeof(*e), off;
	const struct nlattr *msg;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_HDRLEN + NLMSG_ALIGN(payload);
	if (off >= nlh->nlmsg_len)
		return;
	msg = attr_find((const char *)nlh + off, nlh->nlmsg_len - off, NLMSGERR_ATTR_MSG);
	if (!msg)
		return;
	snprintf(pm->errmsg, sizeof(pm->errmsg), "%.*s", (int)(msg->nla_len - NLA_HDRLEN),
		 (const char *)msg + NLA_HDRLEN);
}

/* One message of our request's answer: 1 want more, 0 acked, <0 refused. */
static int pm_parse_one(struct pm_genl *pm, const struct nlmsghdr *nlh, pm_reply_fn fn, void *arg)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);

	if (nlh->nlmsg_type == NLMSG_DONE)
		return 0;
	if (nlh->nlmsg_type != NLMSG_ERROR) {
		int err = fn ? fn(nlh, arg) : 0;

		return err ? err : 1;
	}
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EBADMSG;
	if (e->error)
		pm_extack(pm, nlh, e);
	return e->error;
}

/* 1: want more, 0: acked, <0: refused or malformed. */
static int pm_parse(struct pm_genl *pm, const char *buf, size_t len, pm_reply_fn fn, void *arg)
{
	int ret = 1;

	while (ret == 1 && len >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len)
			return -EBADMSG;
		/* skip answers to an earlier request that timed out */
		if (nlh->nlmsg_seq == pm->seq)
			ret = pm_parse_one(pm, nlh, fn, arg);
		if (step >= len)
			break;
		buf += step;
		len -= step;
	}
	return ret;
}

static int pm_transact(struct pm_genl *pm, struct pm_msg *m, pm_reply_fn fn, void *arg)
{
	static char rbuf[PM_RCV_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;
	int err;

	m->nlh.nlmsg_seq = ++pm->seq;
	pm->errmsg[0] = '\0';
	if (sendto(pm->fd, m->buf, m->nlh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		n = recv(pm->fd, rbuf, sizeof(rbuf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		err = pm_parse(pm, rbuf, n, fn, arg);
		if (err <= 0)
			return err;
	}
}

/* The id of the "mptcp_pm_events" group in a CTRL_ATTR_MCAST_GROUPS nest, 0 if absent. */
static __u32 events_group(const struct nlattr *groups)
{
	const char *p = (const char *)groups + NLA_HDRLEN;
	size_t len = groups->nla_len - NLA_HDRLEN;

	while (len >= NLA_HDRLEN) {
		const struct nlattr *g = (const struct nlattr *)p;
		size_t step = NLA_ALIGN(g->nla_len);
		const struct nlattr *name, *id;

		if (g->nla_len < NLA_HDRLEN || g->nla_len > len)
			return 0;
		name = attr_find(p + NLA_HDRLEN, g->nla_len - NLA_HDRLEN, CTRL_ATTR_MCAST_GRP_NAME);
		id = attr_find(p + NLA_HDRLEN, g->nla_len - NLA_HDRLEN, CTRL_ATTR_MCAST_GRP_ID);
		if (name && id && id->nla_len >= NLA_HDRLEN + sizeof(__u32) &&
		    name->nla_len - NLA_HDRLEN == sizeof(MPTCP_PM_EV_GRP_NAME) &&
		    !memcmp((const char *)name + NLA_HDRLEN, MPTCP_PM_EV_GRP_NAME,
			    sizeof(MPTCP_PM_EV_GRP_NAME))) {
			__u32 v;

			memcpy(&v, (const char *)id + NLA_HDRLEN, sizeof(v));
			return v;
		}
		if (step >= len)
			return 0;
		p += step;
		len -= step;
	}
	return 0;
}

static int family_id_cb(const struct nlmsghdr *nlh, void *arg)
{
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	struct pm_genl *pm = arg;
	const struct nlattr *id, *groups;

	if (nlh->nlmsg_len < hdr)
		return -EBADMSG;
	id = attr_find((const char *)nlh + hdr, nlh->nlmsg_len - hdr, CTRL_ATTR_FAMILY_ID);
	if (!id || id->nla_len < NLA_HDRLEN + sizeof(__u16))
		return -EBADMSG;
	memcpy(&pm->family, (const char *)id + NLA_HDRLEN, sizeof(__u16));
	groups = attr_find((const char *)nlh + hdr, nlh->nlmsg_len - hdr, CTRL_ATTR_MCAST_GROUPS);
	pm->events_group = groups ? events_group(groups) : 0;
	return 0;
}

static int pm_resolve_family(struct pm_genl *pm)
{
	struct pm_msg m;
	int err;

	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_VERSION);
	err = msg_put(&m, CTRL_ATTR_FAMILY_NAME, MPTCP_PM_NAME, sizeof(MPTCP_PM_NAME));
	if (err)
		return err;
	pm->family = 0;
	err = pm_transact(pm, &m, family_id_cb, pm);
	if (!err && !pm->family)
		err = -ENOENT;
	return err;
}

int pm_genl_open(struct pm_genl *pm)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = PM_RCV_TIMEOUT_S };
	int one = 1, err;

	memset(pm, 0, sizeof(*pm));
	pm->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (pm->fd < 0)
		return -errno;
	if (bind(pm->fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    setsockopt(pm->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		goto fail;
	}
	/* Best effort: extack explains refusals, capped ACKs stay small. */
	setsockopt(pm->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(pm->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	err = pm_resolve_family(pm);
	if (err)
		goto fail;
	return 0;
fail:
	close(pm->fd);
	pm->fd = -1;
	return err;
}

void pm_genl_close(struct pm_genl *pm)
{
	if (pm->fd >= 0)
		close(pm->fd);
	pm->fd = -1;
}

static int pm_simple(struct pm_genl *pm, struct pm_msg *m)
{
	return pm_transact(pm, m, NULL, NULL);
}

int pm_genl_flush_addrs(struct pm_genl *pm)
{
	struct pm_msg m;

	msg_init(&m, pm->family, MPTCP_PM_CMD_FLUSH_ADDRS, MPTCP_PM_VER);
	return pm_simple(pm, &m);
}

int pm_genl_set_limits(struct pm_genl *pm, __u32 add_addr_accepted, __u32 subflows)
{
	struct pm_msg m;
	int err;

	msg_init(&m, pm->family, MPTCP_PM_CMD_SET_LIMITS, MPTCP_PM_VER);
	err = msg_put_u32(&m, MPTCP_PM_ATTR_RCV_ADD_ADDRS, add_addr_accepted);
	if (!err)
		err = msg_put_u32(&m, MPTCP_PM_ATTR_SUBFLOWS, subflows);
	return err ? err : pm_simple(pm, &m);
}

/*
 * The endpoint as a nested MPTCP_PM_ATTR_ADDR. The family and address are
 * always sent: SET_FLAGS looks the endpoint up by address when they are
 * present and by id only otherwise; ADD_ADDR and DEL_ADDR use the id.
 */
static int put_endpoint(struct pm_msg *m, const struct pm_endpoint *ep)
{
	int nest = msg_nest_start(m, MPTCP_PM_ATTR_ADDR);
	int err = nest < 0 ? nest : 0;
	int v6 = ep->family == AF_INET6;

	if (!err)
		err = msg_put_u16(m, MPTCP_PM_ADDR_ATTR_FAMILY, v6 ? AF_INET6 : AF_INET);
	if (!err)
		err = msg_put_u8(m, MPTCP_PM_ADDR_ATTR_ID, ep->id);
	if (!err && v6)
		err = msg_put(m, MPTCP_PM_ADDR_ATTR_ADDR6, &ep->addr6, sizeof(ep->addr6));
	else if (!err)
		err = msg_put(m, MPTCP_PM_ADDR_ATTR_ADDR4, &ep->addr, sizeof(ep->addr));
	if (!err)
		err = msg_put_u32(m, MPTCP_PM_ADDR_ATTR_FLAGS, ep->flags);
	if (!err)
		msg_nest_end(m, nest);
	return err;
}

static int pm_endpoint_cmd(struct pm_genl *pm, __u8 cmd, const struct pm_endpoint *ep)
{
	struct pm_msg m;
	int err;

	msg_init(&m, pm->family, cmd, MPTCP_PM_VER);
	err = put_endpoint(&m, ep);
	return err ? err : pm_simple(pm, &m);
}

int pm_genl_add_addr(struct pm_genl *pm, const struct pm_endpoint *ep)
{
	return pm_endpoint_cmd(pm, MPTCP_PM_CMD_ADD_ADDR, ep);
}

int pm_genl_del_addr(struct pm_genl *pm, const struct pm_endpoint *ep)
{
	return pm_endpoint_cmd(pm, MPTCP_PM_CMD_DEL_ADDR, ep);
}

int pm_genl_set_flags(struct pm_genl *pm, const struct pm_endpoint *ep)
{
	return pm_endpoint_cmd(pm, MPTCP_PM_CMD_SET_FLAGS, ep);
}

/*
 * A socket in the current netns joined to "mptcp_pm_events" that nobody
 * reads while it matters: the kernel then builds and queues every event
 * (what any listener costs it), and no process wakes up for them.
 */
int pm_genl_sink_open(const struct pm_genl *pm, int rcvbuf)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int fd, err;

	if (!pm->events_group)
		return -ENOENT;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &pm->events_group,
		       sizeof(pm->events_group)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Read what the sink queued: messages, and those the full queue dropped. */
int pm_genl_sink_drain(int fd, unsigned long long *msgs, unsigned long long *drops)
{
	static char buf[PM_RCV_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	__u32 mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);
	ssize_t n;

	*msgs = 0;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == ENOBUFS))
			continue;
		if (n < 0)
			break;
		for (const char *p = buf; n >= NLMSG_HDRLEN;) {
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
			size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

			if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > (size_t)n)
				break;
			(*msgs)++;
			if (step >= (size_t)n)
				break;
			p += step;
			n -= step;
		}
	}
	if (errno != EAGAIN)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
		return -errno;
	*drops = mem[SK_MEMINFO_DROPS];
	return 0;
}
