// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What both of trafgen's modes use (tg_base.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "tg_base.h"

static const char *const event_names[TG_EV_MAX] = {
	[TG_EV_CREATED] = "created",
	[TG_EV_ESTABLISHED] = "established",
	[TG_EV_CLOSED] = "closed",
	[TG_EV_ANNOUNCED] = "announced",
	[TG_EV_REMOVED] = "removed",
	[TG_EV_SUB_ESTABLISHED] = "sub_established",
	[TG_EV_SUB_CLOSED] = "sub_closed",
	[TG_EV_SUB_PRIORITY] = "sub_priority",
	[TG_EV_LISTENER_CREATED] = "listener_created",
	[TG_EV_LISTENER_CLOSED] = "listener_closed",
};

const char *tg_event_name(unsigned int ev)
{
	return ev < TG_EV_MAX && event_names[ev] ? event_names[ev] : "unknown";
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int xfer(int fd, char *buf, size_t len, int out, long long deadline)
{
	ssize_t n;
	int err;

	while (len) {
		n = out ? send(fd, buf, len, MSG_NOSIGNAL) : recv(fd, buf, len, 0);
		if (n == 0 && !out)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		err = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
		if (err)
			return err;
	}
	return 0;
}

int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	return xfer(fd, (char *)buf, len, 1, deadline);
}

int recv_all(int fd, char *buf, size_t len, long long deadline)
{
	return xfer(fd, buf, len, 0, deadline);
}

const char *pm_why(const struct pm_genl *pm, int err)
{
	return pm->errmsg[0] ? pm->errmsg : strerror(-err);
}

void tg_vsay(const char *prefix, long long t0, const char *fmt, va_list ap)
{
	if (t0 >= 0)
		fprintf(stderr, "%s: [%5lld ms] ", prefix, now_ms() - t0);
	else
		fprintf(stderr, "%s: ", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}
