/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --prometheus: GET /metrics over HTTP (libmicrohttpd) inside the main epoll
 * loop. No thread: MHD runs in its external epoll mode, and its epoll fd is
 * one more fd for our loop to watch.
 */
#ifndef EVLAT_HTTPD_H
#define EVLAT_HTTPD_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

struct MHD_Daemon;
struct webconfig;
struct auth;
struct hconn;

/* Write the response body to @f; 0, or a negative errno for a 500. */
typedef int (*httpd_render_fn)(void *ctx, FILE *f);

/* Connections in one phase, oldest first (httpd.c) */
struct hconn_list {
	struct hconn *head, *tail;
};

enum hconn_phase {
	HC_REQUEST,  /* connected (TLS handshake included) or kept alive: the request is due */
	HC_RESPONSE, /* the request is in: being answered */
	HC_AUTH,     /* suspended until the bcrypt worker decides */
	HC_PHASES,
	HC_NEW = HC_PHASES, /* in no list yet */
	HC_DROPPED,	    /* shut down by us; MHD closes it on its next turn */
};

struct httpd {
	struct MHD_Daemon *mhd; /* NULL: not started (a zeroed struct is stopped) */
	httpd_render_fn render;
	void *ctx;
	int epfd;		     /* MHD's epoll fd */
	const struct webconfig *web; /* NULL: plain HTTP, no authentication */
	struct auth *auth;	     /* when web has basic_auth_users */
	struct hconn_list phase[HC_PHASES];
	unsigned int live; /* connections not dropped */
	bool stopping;
	/* connections we shut down: past their deadline, or the oldest when full */
	unsigned long long timed_out, evicted;
};

/*
 * "[ADDR:]PORT" -> @ss, @len. ADDR is a numeric IPv4 address or a bracketed
 * IPv6 one ("[::1]:9100"); without it, 127.0.0.1. PORT is 1..65535 in
 * decimal. Returns 0, -EINVAL (syntax, not a numeric address) or -ERANGE (port).
 */
int httpd_parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *len);

/*
 * Listen on @addr_arg and answer GET (and HEAD) /metrics with @render's text;
 * other paths 404, other methods 405. With @web (may be NULL): TLS when it has
 * a certificate, 401 without valid credentials when it has users; @web must
 * outlive the server. Returns 0, or a negative errno: from httpd_parse_addr(),
 * bind()'s (-EADDRINUSE, -EADDRNOTAVAIL, -EACCES), -EPROTONOSUPPORT (this
 * libmicrohttpd has no TLS), -EIO (libmicrohttpd refused to start).
 */
int httpd_start(struct httpd *h, const char *addr_arg, const struct webconfig *web,
		httpd_render_fn render, void *ctx);
/* The fd to watch for EPOLLIN, or -1 when not started. */
int httpd_fd(const struct httpd *h);
/* Accept, read, answer: never blocks. Call when the fd is readable and on every loop turn. */
int httpd_poll(struct httpd *h);
/* How long the loop may sleep: @max_ms, or less when MHD has work pending (0 = now). */
int httpd_timeout_ms(const struct httpd *h, int max_ms);
void httpd_stop(struct httpd *h);

#endif
