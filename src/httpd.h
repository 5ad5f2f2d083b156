/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --prometheus: GET /metrics over HTTP (libmicrohttpd) inside the main epoll
 * loop. No thread: MHD runs in its external epoll mode, and its epoll fd is
 * one more fd for our loop to watch.
 */
#ifndef EVLAT_HTTPD_H
#define EVLAT_HTTPD_H

#include <stdio.h>
#include <sys/socket.h>

struct MHD_Daemon;

/* Write the response body to @f; 0, or a negative errno for a 500. */
typedef int (*httpd_render_fn)(void *ctx, FILE *f);

struct httpd {
	struct MHD_Daemon *mhd; /* NULL: not started (a zeroed struct is stopped) */
	httpd_render_fn render;
	void *ctx;
	int epfd; /* MHD's epoll fd */
};

/*
 * "[ADDR:]PORT" -> @ss, @len. ADDR is a numeric IPv4 address or a bracketed
 * IPv6 one ("[::1]:9100"); without it, 127.0.0.1. PORT is 1..65535 in
 * decimal. Returns 0, -EINVAL (syntax, not a numeric address) or -ERANGE (port).
 */
int httpd_parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *len);

/*
 * Listen on @addr_arg and answer GET (and HEAD) /metrics with @render's text;
 * other paths 404, other methods 405. Returns 0, or a negative errno: from
 * httpd_parse_addr(), or bind()'s (-EADDRINUSE, -EADDRNOTAVAIL, -EACCES).
 */
int httpd_start(struct httpd *h, const char *addr_arg, httpd_render_fn render, void *ctx);
/* The fd to watch for EPOLLIN, or -1 when not started. */
int httpd_fd(const struct httpd *h);
/* Accept, read, answer: never blocks. Call when the fd is readable and on every loop turn. */
int httpd_poll(struct httpd *h);
/* How long the loop may sleep: @max_ms, or less when MHD has work pending (0 = now). */
int httpd_timeout_ms(const struct httpd *h, int max_ms);
void httpd_stop(struct httpd *h);

#endif
