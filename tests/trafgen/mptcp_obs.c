// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Userspace observations of MPTCP state, used to decide that a step really
 * happened before trafgen lists the events it implies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/socket.h>
#include <linux/tcp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "mptcp_obs.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define BTF_MAGIC	 0xeB9F
#define BTF_PATH	 "/sys/kernel/btf/vmlinux"
#define PROC_BUF_SIZE	 65536 /* /proc/net/netstat is ~8 KiB on 6.18 */
#define TCP_ESTABLISHED_ 1     /* the kernel's TCP_ESTABLISHED, what tcpi_state says */

int obs_mptcp_info(int fd, struct mptcp_info *mi)
{
	socklen_t len = sizeof(*mi);

	/* Newer kernels have a longer struct and copy only what we ask for. */
	memset(mi, 0, sizeof(*mi));
	if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, mi, &len) < 0)
		return -errno;
	return 0;
}

/*
 * MPTCP_TCPINFO (5.16+): one tcp_info per subflow. The kernel answers with
 * min(our, its) element size in size_user, which is then the array stride.
 */
int obs_subflows(int fd, struct obs_subflows *sf)
{
	struct {
		struct mptcp_subflow_data d;
		struct tcp_info ti[OBS_MAX_SUBFLOWS];
	} buf;
	socklen_t len = sizeof(buf);
	unsigned int i, copied;
	const char *base;

	memset(&buf, 0, sizeof(buf));
	buf.d.size_subflow_data = sizeof(buf.d);
	buf.d.size_user = sizeof(buf.ti[0]);
	if (getsockopt(fd, SOL_MPTCP, MPTCP_TCPINFO, &buf, &len) < 0)
		return -errno;
	if (len < sizeof(buf.d) || !buf.d.size_user || buf.d.size_user > sizeof(buf.ti[0]))
		return -EBADMSG;
	copied = (len - sizeof(buf.d)) / buf.d.size_user;
	if (copied > buf.d.num_subflows)
		copied = buf.d.num_subflows;
	sf->count = buf.d.num_subflows;
	sf->established = 0;
	base = (const char *)buf.ti;
	for (i = 0; i < copied; i++) {
		const struct tcp_info *ti = (const void *)(base + i * buf.d.size_user);

		if (ti->tcpi_state == TCP_ESTABLISHED_)
			sf->established++;
		/* a kernel whose tcp_info is shorter than ours leaves these 0 */
		sf->bytes_acked[i] = ti->tcpi_bytes_acked;
		sf->bytes_received[i] = ti->tcpi_bytes_received;
	}
	return 0;
}

/*
 * MPTCP_SUBFLOW_ADDRS (5.16+): each subflow's addresses, as a sockaddr_in or a
 * sockaddr_in6 by the subflow's family (mptcp_get_sub_addrs()).
 */
int obs_subflow_addrs(int fd, struct obs_addrs *a)
{
	struct {
		struct mptcp_subflow_data d;
		struct mptcp_subflow_addrs sa[OBS_MAX_SUBFLOWS];
	} buf;
	socklen_t len = sizeof(buf);
	unsigned int i;

	memset(&buf, 0, sizeof(buf));
	memset(a, 0, sizeof(*a));
	buf.d.size_subflow_data = sizeof(buf.d);
	buf.d.size_user = sizeof(buf.sa[0]);
	if (getsockopt(fd, SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, &buf, &len) < 0)
		return -errno;
	if (len < sizeof(buf.d) || buf.d.size_user != sizeof(buf.sa[0]))
		return -EBADMSG;
	a->count = (len - sizeof(buf.d)) / sizeof(buf.sa[0]);
	if (a->count > OBS_MAX_SUBFLOWS)
		a->count = OBS_MAX_SUBFLOWS;
	for (i = 0; i < a->count; i++) {
		if (buf.sa[i].sa_family == AF_INET) {
			a->local[i].in = buf.sa[i].sin_local;
			a->remote[i].in = buf.sa[i].sin_remote;
		} else if (buf.sa[i].sa_family == AF_INET6) {
			a->local[i].in6 = buf.sa[i].sin6_local;
			a->remote[i].in6 = buf.sa[i].sin6_remote;
		} else {
			return -EAFNOSUPPORT;
		}
	}
	return 0;
}

int obs_addrs_find(const struct obs_addrs *a, int remote, int family, const void *addr)
{
	const union obs_sa *sa = remote ? a->remote : a->local;
	unsigned int i;

	for (i = 0; i < a->count; i++) {
		/* an IPv4 address of an IPv6 socket (accepted by a :: listener) is mapped */
		if (family == AF_INET && sa[i].sa.sa_family == AF_INET6 &&
		    IN6_IS_ADDR_V4MAPPED(&sa[i].in6.sin6_addr) &&
		    !memcmp(&sa[i].in6.sin6_addr.s6_addr[12], addr, 4))
			return i;
		if (sa[i].sa.sa_family != family)
			continue;
		if (family == AF_INET && !memcmp(&sa[i].in.sin_addr, addr, 4))
			return i;
		if (family == AF_INET6 && !memcmp(&sa[i].in6.sin6_addr, addr, 16))
			return i;
	}
	return -ENOENT;
}

/*
 * mptcp_poll() reports EPOLLRDHUP once the peer's DATA_FIN arrived, EPOLLHUP
 * when the msk is closed both ways or TCP_CLOSE (a fastclose received, all
 * subflows gone) and EPOLLERR with a socket error: with none of them and no
 * shutdown() of ours, the msk is still TCP_ESTABLISHED.
 */
int obs_msk_hangup(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	if (poll(&p, 1, 0) < 0)
		return -errno;
	return !!(p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/*
 * /proc/self/net follows the netns of the task at lookup time (revalidated
 * after setns() since 4.19, commit 1fde6f21d90f) and the open file stays
 * bound to that netns: the fd keeps reading the files of the namespace it
 * was opened in. Had it been opened in the wrong one, the values would never
 * move and the step would time out, loudly.
 */
int obs_proc_net_open(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/net/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Read a whole /proc/net file again; seq_file regenerates it from offset 0. */
static int proc_reread(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n < 0)
		return -errno;
	buf[len] = '\0';
	return 0;
}

/* Value of @name in the "MPTcpExt:" name line / value line pair. */
static int mib_find(char *text, const char *name, __u64 *val)
{
	static const char tag[] = "MPTcpExt:";
	char *names = strstr(text, tag), *values, *n_save, *v_save, *n, *v;

	if (!names)
		return -ENOENT;
	values = strstr(names + 1, tag);
	if (!values)
		return -EBADMSG;
	*strchrnul(names, '\n') = '\0';
	*strchrnul(values, '\n') = '\0';
	n = strtok_r(names + sizeof(tag) - 1, " ", &n_save);
	v = strtok_r(values + sizeof(tag) - 1, " ", &v_save);
	while (n && v) {
		if (!strcmp(n, name)) {
			*val = strtoull(v, NULL, 10);
			return 0;
		}
		n = strtok_r(NULL, " ", &n_save);
		v = strtok_r(NULL, " ", &v_save);
	}
	return -ENOENT;
}

int obs_mib_read(int fd, const char *name, __u64 *val)
{
	static char buf[PROC_BUF_SIZE];
	int err = proc_reread(fd, buf, sizeof(buf));

	return err ? err : mib_find(buf, name, val);
}

/*
 * The "sockets" column of the "MPTCP" row (IPv4 msks) and of "MPTCPv6"
 * (IPv6 ones, when the kernel has MPTCP_IPV6) counts the netns' msks until
 * they are destroyed, orphans waiting for the DATA_FIN exchange included: the
 * kernel's own selftests (diag.sh) read it the same way.
 */
int obs_inuse_read(int fd, unsigned int *msks)
{
	static char buf[PROC_BUF_SIZE];
	int err = proc_reread(fd, buf, sizeof(buf));
	unsigned int v6 = 0;
	char *row;

	if (err)
		return err;
	row = strstr(buf, "\nMPTCP ");
	if (!row || sscanf(row, " MPTCP %*u %u", msks) != 1)
		return -ENOENT;
	row = strstr(buf, "\nMPTCPv6 ");
	if (row && sscanf(row, " MPTCPv6 %*u %u", &v6) == 1)
		*msks += v6;
	return 0;
}

static char *read_file(const char *path, size_t *size)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap), *tmp;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len < cap)
			continue;
		tmp = realloc(buf, cap *= 2);
		if (!tmp)
			goto fail;
		buf = tmp;
	}
	if (n < 0)
		goto fail;
	close(fd);
	*size = len;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* Is @name one of the strings of the kernel's BTF? <0 if no usable BTF. */
static int btf_has_string(const char *name)
{
	struct {
		__u16 magic;
		__u8 version, flags;
		__u32 hdr_len, type_off, type_len, str_off, str_len;
	} hdr;
	size_t size, nlen = strlen(name);
	char *btf = read_file(BTF_PATH, &size), *key;
	const char *strs;
	int found = -ENOENT;

	if (!btf)
		return -ENODATA;
	if (size < sizeof(hdr))
		goto out;
	memcpy(&hdr, btf, sizeof(hdr));
	if (hdr.magic != BTF_MAGIC || (size_t)hdr.hdr_len + hdr.str_off + hdr.str_len > size)
		goto out;
	strs = btf + hdr.hdr_len + hdr.str_off;
	key = malloc(nlen + 2);
	if (!key)
		goto out;
	/* string 0 is "", so every name in the section follows a NUL */
	key[0] = '\0';
	memcpy(key + 1, name, nlen + 1);
	found = memmem(strs, hdr.str_len, key, nlen + 2) != NULL;
	free(key);
out:
	free(btf);
	return found;
}

static int uname_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}

/*
 * Listener events came with commit f8c9dfbd875b ("mptcp: add pm listener
 * events", 6.2), which added MPTCP_EVENT_LISTENER_CREATED to the enum that
 * mptcp_event() takes: if the running kernel's BTF names that enumerator,
 * the kernel has the feature, backports included. The release number is
 * only the fallback for a kernel without BTF.
 */
int obs_listener_events(const char **how)
{
	int ret = btf_has_string("MPTCP_EVENT_LISTENER_CREATED");

	if (ret >= 0) {
		*how = ret ? "BTF names MPTCP_EVENT_LISTENER_CREATED"
			   : "BTF lacks MPTCP_EVENT_LISTENER_CREATED";
		return ret;
	}
	*how = "no BTF, kernel release >= 6.2";
	return uname_at_least(6, 2);
}

int obs_diag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

/* One MPTCP sock_diag dump of @family: adds the msks it lists to *@n */
static int diag_dump(int fd, int family, unsigned int *n)
{
	static __u32 seq;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
		struct nlattr nla; /* the protocol does not fit sdiag_protocol's byte */
		__u32 proto;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req),
			 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = ++seq },
		/* every state but TCP_LISTEN: listeners are not in the token table */
		.r = { .sdiag_family = family, .idiag_states = 0xffff & ~(1U << 10) },
		.nla = { .nla_len = NLA_HDRLEN + sizeof(__u32),
			 .nla_type = INET_DIAG_REQ_PROTOCOL },
		.proto = IPPROTO_MPTCP,
	};
	static char buf[32768];

	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return -errno;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error
					       ? e->error
					       : -EPROTO;
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
				(*n)++;
		}
		if (len)
			return -EPROTO; /* a truncated message */
	}
}

int obs_msks_count(int fd, unsigned int *n)
{
	int err;

	*n = 0;
	err = diag_dump(fd, AF_INET, n);
	if (!err)
		err = diag_dump(fd, AF_INET6, n);
	return err;
}
