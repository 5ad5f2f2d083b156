// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The mptcp_pm_events listener.
 *
 * The kernel multicasts each event to the members of the group in the event's
 * own network namespace only (genlmsg_multicast_netns()), and a netlink
 * socket belongs for its whole life to the namespace it was created in. So a
 * listener for namespace N is a socket created while the thread is in N: we
 * setns() there, create it, and setns() back at once. Everything else (family
 * look-up, joining the group) works on that socket from anywhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "defaults.h"
#include "genl.h"
#include "nl_decode.h"
#include "util.h"

#define MPTCP_FAMILY_NAME  "mptcp_pm"
#define MPTCP_EVENTS_GROUP "mptcp_pm_events"
/*
 * The kernel builds each event in an NLMSG_DEFAULT_SIZE skb (under a page);
 * anything larger is seen through MSG_TRUNC and counted, not misparsed.
 */
/*
 * Reading: up to RECV_BATCH datagrams per recvmmsg(), one RECV_SLOT each
 * (libmnl's MNL_SOCKET_BUFFER_SIZE: an event is a few hundred bytes, and the
 * kernel builds none larger than a page). The whole buffer also takes the
 * answer to the family request.
 */
#define RECV_BATCH    16
#define RECV_SLOT     8192
#define RECV_BUF_SIZE (RECV_BATCH * RECV_SLOT)
/* setns() moves only the calling thread: come back to this thread's netns */
#define SELF_NETNS "/proc/thread-self/ns/net"

struct family_info {
	__u16 id;
	__u32 group;
	int have_id, have_group;
};

/* ---- the socket, in its namespace ----------------------------------------- */

static int netns_inode(int fd, __u32 *ino)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

int genl_mptcp_enabled(void)
{
	FILE *f = fopen("/proc/sys/net/mptcp/enabled", "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int open_socket(struct genl_listener *l)
{
	/* /proc/sys/net is the reader's netns: read it while inside the target one */
	l->mptcp_enabled = genl_mptcp_enabled();
	l->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	return l->nl ? 0 : -errno;
}

/* Enter @target, create the socket, return to @self. */
static int open_socket_in(struct genl_listener *l, int target, int self)
{
	int err;

	if (setns(target, CLONE_NEWNET))
		return -errno; /* EINVAL: not a netns; EPERM: no CAP_SYS_ADMIN */
	err = open_socket(l);
	if (setns(self, CLONE_NEWNET)) {
		/* We stay in the wrong netns: the caller must not carry on as if not. */
		err = -errno;
		if (l->nl)
			mnl_socket_close(l->nl);
		l->nl = NULL;
	}
	return err;
}

static int socket_in_netns(struct genl_listener *l, const char *netns_path)
{
	int self, target = -1, err;

	self = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (!netns_path) {
		err = netns_inode(self, &l->netns);
		if (!err)
			err = open_socket(l);
		goto out;
	}
	target = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		err = -errno;
		goto out;
	}
	err = netns_inode(target, &l->netns);
	if (!err)
		err = open_socket_in(l, target, self);
out:
	if (target >= 0)
		close(target);
	close(self);
	return err;
}

/* ---- family and group, by name -------------------------------------------- */

static int group_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type == CTRL_ATTR_MCAST_GRP_NAME && !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
		tb[type] = a;
	else if (type == CTRL_ATTR_MCAST_GRP_ID && !mnl_attr_validate(a, MNL_TYPE_U32))
		tb[type] = a;
	return MNL_CB_OK;
}

/* CTRL_ATTR_MCAST_GROUPS: an array of nests, each a name and an id. */
static void find_group(const struct nlattr *groups, struct family_info *fi)
{
	const struct nlattr *g;

	mnl_attr_for_each_nested(g, groups)
	{
		const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { 0 };

		if (mnl_attr_parse_nested(g, group_attr_cb, tb) < 0)
			continue;
		if (!tb[CTRL_ATTR_MCAST_GRP_NAME] || !tb[CTRL_ATTR_MCAST_GRP_ID])
			continue;
		if (strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]), MPTCP_EVENTS_GROUP))
			continue;
		fi->group = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
		fi->have_group = 1;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
	{
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (!mnl_attr_validate(a, MNL_TYPE_U16)) {
				fi->id = mnl_attr_get_u16(a);
				fi->have_id = 1;
			}
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			if (!mnl_attr_validate(a, MNL_TYPE_NESTED))
				find_group(a, fi);
			break;
		}
	}
	return MNL_CB_OK;
}

static int ask_family(struct genl_listener *l, unsigned int seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(l->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MPTCP_FAMILY_NAME);
	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/*
 * The controller answers within sendmsg() (genl requests run synchronously),
 * so the blocking reads below find the reply, then the ACK, already queued.
 */
static int resolve(struct genl_listener *l)
{
	unsigned int seq = (unsigned int)time(NULL), portid = mnl_socket_get_portid(l->nl);
	struct family_info fi = { 0 };
	ssize_t n;
	int ret, err = ask_family(l, seq);

	if (err)
		return err;
	do {
		n = mnl_socket_recvfrom(l->nl, l->buf, l->buf_size);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(l->buf, n, seq, portid, family_cb, &fi);
	} while (ret > MNL_CB_STOP);
	if (ret < 0) /* the controller says ENOENT for an unknown family name */
		return errno == ENOENT ? -EAFNOSUPPORT : -errno;
	if (!fi.have_id)
		return -EPROTO;
	if (!fi.have_group)
		return -ENOPROTOOPT;
	l->family_id = fi.id;
	l->group_id = fi.group;
	return 0;
}

/* ---- socket options ------------------------------------------------------- */

static int set_rcvbuf(struct genl_listener *l, int bytes)
{
	int fd = mnl_socket_get_fd(l->nl);
	socklen_t len = sizeof(l->rcvbuf);

	/* FORCE goes past net.core.rmem_max but needs CAP_NET_ADMIN (initial userns) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)))
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &l->rcvbuf, &len))
		return -errno;
	return 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int setup(struct genl_listener *l, int rcvbuf_bytes, bool join)
{
	struct stat st;
	int err;

	if (mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	if (!fstat(mnl_socket_get_fd(l->nl), &st))
		l->ino = st.st_ino;
	err = resolve(l);
	if (!err && !join)
		return 0; /* --observe: the ids only */
	/* buffer first: events may arrive as soon as we join */
	if (!err)
		err = set_rcvbuf(l, rcvbuf_bytes);
	/*
	 * EPERM without CAP_NET_ADMIN: genl checks the group's flags on join since
	 * 6.7 (GENL_MCAST_CAP_NET_ADMIN, backported to stable); before, anyone could.
	 */
	if (!err && mnl_socket_setsockopt(l->nl, NETLINK_ADD_MEMBERSHIP, &l->group_id,
					  sizeof(l->group_id)) < 0)
		err = -errno;
	if (!err)
		err = set_nonblock(mnl_socket_get_fd(l->nl));
	return err;
}

int genl_listener_open(struct genl_listener *l, const char *netns_path, int rcvbuf_bytes)
{
	return genl_listener_open2(l, netns_path, rcvbuf_bytes, true);
}

int genl_listener_open2(struct genl_listener *l, const char *netns_path, int rcvbuf_bytes,
			bool join)
{
	int err;

	if (!l)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->buf_size = RECV_BUF_SIZE;
	l->buf = malloc(l->buf_size);
	if (!l->buf)
		return -ENOMEM;
	err = socket_in_netns(l, netns_path);
	if (!err)
		err = setup(l, rcvbuf_bytes > 0 ? rcvbuf_bytes : EVLAT_DEFAULT_RCVBUF, join);
	if (err)
		genl_listener_close(l);
	return err;
}

/* ---- reading -------------------------------------------------------------- */

/*
 * Up to RECV_BATCH datagrams, datagram i into slot i of l->buf: how many
 * (> 0), or -errno (-EAGAIN: none pending). bad[i] is set when datagram i
 * must not be decoded: cut short (MSG_TRUNC), or not from the kernel (a
 * privileged process may multicast to the group too).
 */
static int recv_batch(struct genl_listener *l, struct mmsghdr *mm, bool *bad)
{
	struct sockaddr_nl sa[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	int n;

	for (int i = 0; i < RECV_BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = (char *)l->buf + i * RECV_SLOT,
					 .iov_len = RECV_SLOT };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &sa[i],
						       .msg_namelen = sizeof(sa[i]),
						       .msg_iov = &iov[i],
						       .msg_iovlen = 1 } };
	}
	do {
		n = recvmmsg(mnl_socket_get_fd(l->nl), mm, RECV_BATCH, MSG_DONTWAIT, NULL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno; /* EAGAIN: nothing pending */
	for (int i = 0; i < n; i++)
		bad[i] = (mm[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			 mm[i].msg_hdr.msg_namelen != sizeof(sa[i]) || sa[i].nl_pid != 0;
	return n;
}

int genl_listener_feed(struct genl_listener *l, const void *buf, size_t len, __u64 stamp_ns,
		       genl_event_cb cb, void *ctx)
{
	const struct nlmsghdr *nlh = buf;
	int rem = len, events = 0;
	struct nl_event ev;

	l->datagrams++;
	/*
	 * Not mnl_nlmsg_ok(): it compares nlmsg_len as an int, so a length of
	 * 2^31 or more passes and mnl_nlmsg_next() jumps far away or, with
	 * MNL_ALIGN() wrapping to 0, never advances (found by tests/fuzz).
	 */
	for (; rem >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)rem;
	     nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nl_decode_event(nlh, rem, l->family_id, &ev)) {
			l->errors++;
			continue;
		}
		ev.recv_ns = stamp_ns;
		l->messages++;
		events++;
		if (cb)
			cb(ctx, &ev);
	}
	if (rem > 0) /* a tail too short to be a message, or with a bad nlmsg_len */
		l->errors++;
	return events;
}

/*
 * ENOBUFS is raised once per congestion episode, however many messages the
 * episode lost; the socket's drop counter (SO_MEMINFO, 4.12+; netlink_overrun()
 * counts every message it could not queue) has the number.
 */
static void update_drops(struct genl_listener *l)
{
	__u32 mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (!getsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_MEMINFO, mem, &len) &&
	    len > SK_MEMINFO_DROPS * sizeof(mem[0]))
		l->drops = mem[SK_MEMINFO_DROPS];
}

int genl_listener_read(struct genl_listener *l, genl_event_cb cb, void *ctx)
{
	struct mmsghdr mm[RECV_BATCH];
	bool bad[RECV_BATCH];
	int events = 0, n;
	__u64 stamp;

	if (!l || !l->nl)
		return -EBADF;
	for (;;) {
		n = recv_batch(l, mm, bad);
		if (n == -ENOBUFS) {
			/* the queue overflowed and events were dropped; the socket still works */
			l->overruns++;
			continue;
		}
		if (n == -EAGAIN)
			break;
		if (n < 0)
			return n;
		stamp = now_ns(); /* the receive time of the whole batch */
		for (int i = 0; i < n; i++) {
			if (bad[i]) {
				l->datagrams++;
				l->errors++;
				continue;
			}
			events += genl_listener_feed(l, (char *)l->buf + i * RECV_SLOT,
						     mm[i].msg_len, stamp, cb, ctx);
		}
		/*
		 * A short batch: the queue was empty (or an overrun is pending,
		 * which raises EPOLLERR and comes with the next call). Spare the
		 * recvmmsg() that would only say EAGAIN.
		 */
		if (n < RECV_BATCH)
			break;
	}
	if (l->overruns)
		update_drops(l);
	return events;
}

int genl_listener_fd(const struct genl_listener *l)
{
	return l && l->nl ? mnl_socket_get_fd(l->nl) : -1;
}

void genl_listener_close_socket(struct genl_listener *l)
{
	if (l && l->nl) {
		mnl_socket_close(l->nl);
		l->nl = NULL;
	}
}

void genl_listener_close(struct genl_listener *l)
{
	if (!l)
		return;
	if (l->nl)
		mnl_socket_close(l->nl);
	free(l->buf);
	memset(l, 0, sizeof(*l));
}
