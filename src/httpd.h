/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --prometheus: GET /metrics over HTTP or HTTPS (libmicrohttpd). The network
 * side (accept, TLS, parsing, authentication) runs in a thread of its own;
 * the metrics are rendered on the event loop's thread, which owns them: the
 * HTTP thread asks through an eventfd, one more fd for the loop to watch.
 */
#ifndef EVLAT_HTTPD_H
#define EVLAT_HTTPD_H

#include <pthread.h>
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
	HC_REQUEST,   /* connected (TLS handshake included) or kept alive: the request is due */
	HC_RESPONSE,  /* the request is in: being answered */
	HC_SUSPENDED, /* waits for the bcrypt worker or for the loop's render */
	HC_PHASES,
	HC_NEW = HC_PHASES, /* in no list yet */
	HC_DROPPED,	    /* shut down by us; MHD closes it on its next turn */
};

struct httpd {
	bool open; /* false: nothing to stop (a zeroed struct is stopped) */
	struct MHD_Daemon *mhd;
	httpd_render_fn render;
	void *ctx;
	const struct webconfig *web; /* NULL: plain HTTP, no authentication */
	int evfd;		     /* eventfd: render requests, watched by the loop */
	/* the loop's thread: the last render, served again for RENDER_GAP_MS */
	char *cache;
	size_t cache_len;
	int cache_err;
	unsigned long long cache_ns;
	pthread_mutex_t lock;	 /* the render queue */
	struct hconn *to_render; /* under lock */
	/* the HTTP thread's: started by the first httpd_poll(), after the privilege drop */
	pthread_t thread;
	bool thread_started;
	int tepfd;	   /* its epoll: MHD's epoll fd and wakefd */
	int wakefd;	   /* eventfd: a connection was resumed, or stop */
	bool stop;	   /* under lock */
	struct auth *auth; /* when web has basic_auth_users */
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
/*
 * Render for the requests that wait: never blocks. Call when the fd is
 * readable and on every loop turn. The first call starts the HTTP thread: make
 * it after the privilege drop (capabilities are per thread).
 */
int httpd_poll(struct httpd *h);
/* How long the loop may sleep: @max_ms, or less when a render is due (0 = now). */
int httpd_timeout_ms(const struct httpd *h, int max_ms);
/* Stops the HTTP thread, closes everything; on the loop's thread. */
void httpd_stop(struct httpd *h);

#endif
