// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nlcapture: record the raw mptcp_pm_events datagrams of one network
 * namespace, for the offline decoding tests (tests/data/README.md).
 *
 *   nlcapture [-n NETNS_PATH] [-m META_FILE] OUT_FILE
 *
 * The socket comes from genl_listener_open() (src/genl.c); the datagrams are
 * read here, undecoded, so that the file holds exactly what the kernel sent.
 * OUT_FILE gets, per datagram, its length as 4 bytes little-endian, then its
 * bytes. META_FILE is written once the group is joined (so its existence
 * means "subscribed"): family_id=, group_id=, netns_ino=, kernel= lines.
 * Runs until SIGINT or SIGTERM; then prints the datagram count to stderr.
 * Exit: 0 ok, 1 usage, 2 setup error, 3 the socket overflowed (ENOBUFS) or a
 * datagram was truncated: the capture is incomplete.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "genl.h"

struct capture {
	struct genl_listener l;
	int out;
	int sfd;
	unsigned long datagrams, overruns, truncated;
	unsigned char buf[65536];
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= w;
	}
	return 0;
}

static int write_meta(const struct genl_listener *l, const char *path)
{
	struct utsname u;
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	uname(&u);
	fprintf(f, "family_id=%u\ngroup_id=%u\nnetns_ino=%u\nkernel=%s\n", l->family_id,
		l->group_id, l->netns, u.release);
	return fclose(f) ? -errno : 0;
}

/* Record one datagram; 0 when none is pending, 1 when one was written. */
static int capture_one(struct capture *c)
{
	unsigned char len[4];
	ssize_t n;

	n = recv(genl_listener_fd(&c->l), c->buf, sizeof(c->buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0 && errno == ENOBUFS) {
		c->overruns++;
		fprintf(stderr, "nlcapture: ENOBUFS: events were lost\n");
		return 1;
	}
	if (n < 0)
		return -errno;
	if ((size_t)n > sizeof(c->buf)) {
		c->truncated++;
		n = sizeof(c->buf);
	}
	for (int i = 0; i < 4; i++)
		len[i] = (uint32_t)n >> (8 * i);
	c->datagrams++;
	if (write_all(c->out, len, 4) || write_all(c->out, c->buf, n))
		return -EIO;
	return 1;
}

static int capture_loop(struct capture *c)
{
	struct pollfd pfd[2] = {
		{ .fd = genl_listener_fd(&c->l), .events = POLLIN },
		{ .fd = c->sfd, .events = POLLIN },
	};
	int err;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return -errno;
		do {
			err = capture_one(c);
		} while (err > 0);
		if (err < 0)
			return err;
		if (pfd[1].revents)
			return 0; /* whatever was queued before the signal is written */
	}
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
	static struct capture c = { .out = -1, .sfd = -1 };
	const char *netns = NULL, *meta = NULL;
	int opt, err;

	while ((opt = getopt(argc, argv, "n:m:")) != -1) {
		if (opt == 'n')
			netns = optarg;
		else if (opt == 'm')
			meta = optarg;
		else
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	c.sfd = block_signals();
	if (c.sfd < 0) {
		fprintf(stderr, "nlcapture: signalfd: %s\n", strerror(-c.sfd));
		return 2;
	}
	err = genl_listener_open(&c.l, netns, 0);
	if (err) {
		fprintf(stderr, "nlcapture: %s: %s\n", netns ? netns : "own netns", strerror(-err));
		return 2;
	}
	c.out = open(argv[optind], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	err = c.out < 0 ? -errno : write_meta(&c.l, meta);
	if (!err)
		err = capture_loop(&c);
	if (err)
		fprintf(stderr, "nlcapture: %s\n", strerror(-err));
	fprintf(stderr, "nlcapture: %lu datagrams, %lu overruns, %lu truncated\n", c.datagrams,
		c.overruns, c.truncated);
	genl_listener_close(&c.l);
	if (c.out >= 0 && close(c.out))
		err = -errno;
	if (err)
		return 2;
	return c.overruns || c.truncated ? 3 : 0;
usage:
	fprintf(stderr, "usage: nlcapture [-n NETNS_PATH] [-m META_FILE] OUT_FILE\n");
	return 1;
}
