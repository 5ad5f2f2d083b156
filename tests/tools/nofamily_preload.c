// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nofamily_preload.so: a kernel without the "mptcp_pm" generic-netlink family,
 * on a kernel that has it, for tests/host/no_family.sh.
 *
 *   LD_PRELOAD=build/tools/nofamily_preload.so mptcp-evlat ...
 *
 * sendto(), send() and sendmsg() on a NETLINK_GENERIC socket are looked at: a
 * CTRL_CMD_GETFAMILY request to the controller (nlmsg_type GENL_ID_CTRL) whose
 * CTRL_ATTR_FAMILY_NAME is NOFAMILY_NAME (default "mptcp_pm") is sent as a copy
 * with the last character of the name made '_' ("mptcp_p_", the same length):
 * no family has that name, so the kernel's own controller answers ENOENT, as a
 * kernel without MPTCP does. Everything else is sent unchanged.
 *
 * NOFAMILY_TRACE=FILE appends a line per request renamed, so that a test can
 * tell that the shim was loaded and did its work.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#define DEFAULT_NAME "mptcp_pm"

typedef ssize_t (*sendto_fn)(int fd, const void *buf, size_t len, int flags,
			     const struct sockaddr *addr, socklen_t alen);
typedef ssize_t (*sendmsg_fn)(int fd, const struct msghdr *msg, int flags);

static sendto_fn real_sendto;
static sendmsg_fn real_sendmsg;

__attribute__((constructor)) static void resolve_real(void)
{
	real_sendto = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
	real_sendmsg = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
}

static bool is_genl_socket(int fd)
{
	socklen_t len = sizeof(int);
	int v;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) || v != AF_NETLINK)
		return false;
	len = sizeof(v);
	return !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) && v == NETLINK_GENERIC;
}

static const char *hidden_name(void)
{
	const char *s = getenv("NOFAMILY_NAME");

	return s && *s ? s : DEFAULT_NAME;
}

/*
 * The offset in @nlh (@len bytes, all readable) of the family name of a
 * CTRL_CMD_GETFAMILY request that asks for @name, or 0.
 */
static size_t name_offset(const struct nlmsghdr *nlh, size_t len, const char *name)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN, n = strlen(name);

	if (nlh->nlmsg_type != GENL_ID_CTRL || !(nlh->nlmsg_flags & NLM_F_REQUEST) || len < off ||
	    g->cmd != CTRL_CMD_GETFAMILY)
		return 0;
	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const void *)((const char *)nlh + off);

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len - off)
			return 0;
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_NAME) {
			const char *s = (const char *)a + NLA_HDRLEN;

			/* NLA_NUL_STRING: the name and its NUL within the attribute */
			if ((size_t)a->nla_len - NLA_HDRLEN > n && !memcmp(s, name, n + 1))
				return off + NLA_HDRLEN;
			return 0;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

static void trace(const char *name, const char *renamed)
{
	const char *path = getenv("NOFAMILY_TRACE");
	char line[256];
	int fd, n;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "nofamily: pid %d: GETFAMILY %s sent as %s\n",
		     (int)getpid(), name, renamed);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1; /* a long NOFAMILY_NAME: the line cut short */
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		n = -1; /* nothing to do about it: the trace is a diagnostic */
	close(fd);
}

/* Rename every request for the hidden family in @buf; returns how many. */
static int rename_requests(char *buf, size_t len)
{
	const char *name = hidden_name();
	size_t off = 0, n = strlen(name);
	int count = 0;

	while (off + NLMSG_HDRLEN <= len) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + off);
		size_t mlen = nlh->nlmsg_len, at;

		if (mlen < NLMSG_HDRLEN || mlen > len - off)
			break;
		at = name_offset(nlh, mlen, name);
		if (at) {
			char *s = (char *)nlh + at;

			s[n - 1] = s[n - 1] == '_' ? 'x' : '_';
			trace(name, s);
			count++;
		}
		off += NLMSG_ALIGN(mlen);
	}
	return count;
}

static void free_keep_errno(void *p)
{
	int saved = errno;

	free(p);
	errno = saved;
}

/* A renamed copy of @buf, or NULL when it has nothing to rename (or no memory). */
static void *renamed_copy(int fd, const void *buf, size_t len)
{
	int saved = errno;
	char *copy = NULL;

	if (buf && len && is_genl_socket(fd)) {
		copy = malloc(len);
		if (copy) {
			memcpy(copy, buf, len);
			if (!rename_requests(copy, len)) {
				free(copy);
				copy = NULL;
			}
		}
	}
	errno = saved;
	return copy;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
	       socklen_t alen)
{
	void *copy;
	ssize_t ret;

	if (!real_sendto) {
		errno = ENOSYS;
		return -1;
	}
	copy = renamed_copy(fd, buf, len);
	ret = real_sendto(fd, copy ? copy : buf, len, flags, addr, alen);
	free_keep_errno(copy);
	return ret;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}

/* A netlink message is one datagram: gather it, rename, send it as one iovec. */
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;
	struct iovec iov;
	size_t len = 0;
	int saved = errno;
	char *flat;
	ssize_t ret;

	if (!real_sendmsg) {
		errno = ENOSYS;
		return -1;
	}
	if (!msg || !msg->msg_iov || !is_genl_socket(fd))
		return real_sendmsg(fd, msg, flags);
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	flat = len ? malloc(len) : NULL;
	if (!flat) {
		errno = saved;
		return real_sendmsg(fd, msg, flags);
	}
	iov.iov_base = flat;
	iov.iov_len = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		memcpy(flat + iov.iov_len, msg->msg_iov[i].iov_base, msg->msg_iov[i].iov_len);
		iov.iov_len += msg->msg_iov[i].iov_len;
	}
	if (!rename_requests(flat, len)) {
		free(flat);
		errno = saved;
		return real_sendmsg(fd, msg, flags);
	}
	m = *msg;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	errno = saved;
	ret = real_sendmsg(fd, &m, flags);
	free_keep_errno(flat);
	return ret;
}
