// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The /metrics endpoint: libmicrohttpd in external epoll mode, so the one
 * event loop of main.c serves it (STYLE.md: no threads; the bcrypt worker of
 * httpd_auth.c is the one exception, and says why). We bind the listen socket
 * ourselves: bind()'s errno says why a port cannot be had, which
 * MHD_start_daemon() does not.
 *
 * Hostile clients. libmicrohttpd's own timeout is an idle timeout: a client
 * that trickles a byte every few seconds keeps its connection for ever, and
 * with the connections limit reached nobody else gets in (issue 14: eight such
 * clients took the endpoint down). So we track every connection (the
 * NOTIFY_CONNECTION and NOTIFY_COMPLETED callbacks) in one of three phases
 * and shut down (shutdown(2), so that MHD closes it on its next turn):
 *   - a request not complete REQUEST_MS after the connection (or the previous
 *     response) began: TLS handshake, request line, headers and body;
 *   - a response not sent RESPONSE_MS after the request was complete;
 *   - when MAX_CONNS connections are open and one more arrives: the one that
 *     has waited longest for its request, else the oldest being answered.
 * Why evict the oldest incomplete request rather than limit connections per
 * client address: the scraper and the attacker may share an address (a NAT,
 * a proxy, the same host), where a per-address limit shuts out the scraper,
 * and an attacker with an IPv6 /64 has addresses to spare. A scraper sends
 * its request as soon as it is connected: to push it out, MAX_CONNS newer
 * connections must arrive in that time. A request line or a header block
 * that does not fit MEMORY_LIMIT is answered 414 or 431 by MHD at once.
 *
 * The event loop is never held by HTTP work: libmicrohttpd runs in external
 * epoll mode in a thread of ours (serve()), and the loop only renders the
 * metrics it owns when a request for them is complete and authenticated, at
 * most once every RENDER_GAP_MS (requests in between get the same text).
 * Why a thread, against STYLE.md's one loop: measured with the loop serving
 * HTTP itself (tests/host/http_attack.sh), a GnuTLS handshake took about 3 ms
 * of CPU on the build machine, one MHD_run() under the TLS attack up to
 * 238 ms, and the loop read netlink events up to 157 ms after a reference
 * listener did (p99 150 ms; 0.4 ms without the attack). The thread runs at
 * nice 10, and is created by the first httpd_poll(), after the privilege drop.
 *
 * What this relies on in libmicrohttpd 0.9.75: doc/libmicrohttpd.md.
 */
#define _GNU_SOURCE /* gettid() */
#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include <microhttpd.h>

#include "httpd.h"
#include "httpd_auth.h"
#include "webconfig.h"

#define METRICS_PATH "/metrics"
/* what Prometheus expects of the text format, version 0.0.4 */
#define METRICS_TYPE  "text/plain; version=0.0.4; charset=utf-8"
#define TEXT_TYPE     "text/plain; charset=utf-8"
#define REALM	      "mptcp-evlat"
#define MAX_CONNS     64    /* kept open at once; a newcomer past it evicts (above) */
#define ACCEPT_SLACK  16    /* MHD accepts up to 11 a turn before evictees are closed */
#define MEMORY_LIMIT  16384 /* per connection: request line and headers must fit */
#define REQUEST_MS    5000  /* connect (or keep-alive) to complete request */
#define RESPONSE_MS   10000 /* complete request to response sent */
#define IDLE_TIMEOUT  10    /* seconds without a byte either way (MHD's own) */
#define BACKLOG	      64
#define RENDER_GAP_MS 50 /* renders at most 20 times a second, whatever the request rate */
#define HTTP_NICE     10 /* the loop wins the CPU when both want it */
#define MAX_WAIT_MS   1000

struct hconn {
	struct hconn *prev, *next; /* in h->phase[phase] */
	struct MHD_Connection *conn;
	struct httpd *h;
	int fd;
	enum hconn_phase phase;
	unsigned long long deadline_ns; /* of the current phase; 0: none */
	struct auth_req auth;
	/* the render: asked in h->to_render, answered by the loop under h->lock */
	struct hconn *render_next;
	bool authed; /* this request: credentials verified */
	bool rendered;
	int render_err;
	char *body;
	size_t body_len;
};

/* 1..65535, decimal digits only: strtoul() would take "+80", " 80" and "0x50" */
static int parse_port(const char *s, in_port_t *port)
{
	size_t n = strspn(s, "0123456789");
	unsigned long v = 0;

	if (!n || s[n])
		return -EINVAL;
	if (n > 5)
		return -ERANGE;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (v < 1 || v > 65535)
		return -ERANGE;
	*port = htons((in_port_t)v);
	return 0;
}

/* Split "[v6]:port", "v4:port" or "port" into host (a copy) and port. */
static int split_addr(const char *arg, char *host, size_t size, const char **port)
{
	const char *end, *colon;
	size_t n;

	if (*arg == '[') {
		end = strchr(arg, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		arg++;
		*port = end + 2;
	} else {
		colon = strrchr(arg, ':');
		if (!colon) {
			snprintf(host, size, "127.0.0.1"); /* never exposed unless asked */
			*port = arg;
			return 0;
		}
		end = colon;
		*port = colon + 1;
	}
	n = (size_t)(end - arg);
	if (!n || n >= size)
		return -EINVAL;
	memcpy(host, arg, n);
	host[n] = '\0';
	return 0;
}

int httpd_parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN];
	const char *port;
	in_port_t p;
	int err;

	memset(ss, 0, sizeof(*ss));
	if (!arg)
		return -EINVAL;
	err = split_addr(arg, host, sizeof(host), &port);
	if (!err)
		err = parse_port(port, &p);
	if (err)
		return err;
	/* brackets mean IPv6 only: "[1.2.3.4]" and a bare "::1" are refused */
	if (*arg != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = p;
		*len = sizeof(*sin);
		return 0;
	}
	if (*arg == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = p;
		*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

/* SO_REUSEADDR: a restarted tracer must not wait out the TIME_WAIT of the last scrape. */
static int listen_on(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, err;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* ---- connection phases (the HTTP thread) ------------------------------------- */

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void unlink_conn(struct httpd *h, struct hconn *c)
{
	struct hconn_list *l;

	if (c->phase >= HC_PHASES)
		return;
	l = &h->phase[c->phase];
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

/* To the tail of @phase's list: the lists stay sorted by start, and so by deadline. */
static void set_phase(struct httpd *h, struct hconn *c, enum hconn_phase phase)
{
	static const unsigned long long ms[HC_PHASES] = { REQUEST_MS, RESPONSE_MS, 0 };
	struct hconn_list *l = &h->phase[phase];

	if (c->phase == HC_DROPPED)
		return;
	unlink_conn(h, c);
	c->phase = phase;
	c->deadline_ns = ms[phase] ? now_ns() + ms[phase] * 1000000ULL : 0;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* MHD sees the end of the stream on its next turn and closes the connection. */
static void drop(struct httpd *h, struct hconn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	unlink_conn(h, c);
	c->phase = HC_DROPPED;
	h->live--;
}

/* Past its deadline: at most one pass over the expired heads. */
static void expire(struct httpd *h, unsigned long long now)
{
	for (int p = HC_REQUEST; p <= HC_RESPONSE; p++) {
		struct hconn *c;

		while ((c = h->phase[p].head) && c->deadline_ns <= now) {
			drop(h, c);
			h->timed_out++;
		}
	}
}

/* A newcomer when full: out goes the oldest awaited request, else the oldest response. */
static void make_room(struct httpd *h, struct hconn *newcomer)
{
	struct hconn *victim = h->phase[HC_REQUEST].head;

	if (!victim)
		victim = h->phase[HC_RESPONSE].head;
	if (!victim || victim == newcomer)
		victim = newcomer; /* every other one is suspended: refuse this one */
	drop(h, victim);
	h->evicted++;
}

static void conn_closed(struct httpd *h, struct hconn *c)
{
	if (c->phase != HC_DROPPED) {
		unlink_conn(h, c);
		h->live--;
	}
	explicit_bzero(&c->auth, sizeof(c->auth));
	free(c->body);
	free(c);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *info;
	struct httpd *h = cls;
	struct hconn *c;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (*socket_ctx)
			conn_closed(h, *socket_ctx);
		*socket_ctx = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c = calloc(1, sizeof(*c));
	if (!c || !info) {
		free(c);
		return; /* untracked: on_request() refuses it */
	}
	c->conn = conn;
	c->h = h;
	c->fd = info->connect_fd;
	c->phase = HC_NEW;
	*socket_ctx = c;
	h->live++;
	set_phase(h, c, HC_REQUEST);
	if (h->live > MAX_CONNS)
		make_room(h, c);
}

/* A request is over (answered, or the connection closing): keep-alive awaits the next. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct hconn *c = *req_cls;

	if (c) {
		c->authed = false;
		set_phase(cls, c, HC_REQUEST);
	}
	*req_cls = NULL;
}

static struct hconn *hconn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* ---- answers (the HTTP thread) ------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	struct hconn *c = hconn_of(conn);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO; /* MHD closes the connection */
	}
	if (c)
		set_phase(c->h, c, HC_RESPONSE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (code == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (code == MHD_HTTP_UNAUTHORIZED) /* adds WWW-Authenticate: Basic realm= */
		ret = MHD_queue_basic_auth_fail_response(conn, REALM, r);
	else
		ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int code, const char *text)
{
	return reply(conn, code, TEXT_TYPE, (char *)text, strlen(text), MHD_RESPMEM_PERSISTENT);
}

/* The metrics belong to the loop's thread: ask it, wait suspended (httpd_poll() answers). */
static enum MHD_Result reply_metrics(struct httpd *h, struct hconn *c, struct MHD_Connection *conn)
{
	char *body;
	size_t len;
	int err;

	pthread_mutex_lock(&h->lock);
	if (c->rendered) {
		body = c->body;
		len = c->body_len;
		err = c->render_err;
		c->body = NULL;
		c->rendered = false;
		pthread_mutex_unlock(&h->lock);
		if (err)
			return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "cannot render metrics\n");
		return reply(conn, MHD_HTTP_OK, METRICS_TYPE, body, len, MHD_RESPMEM_MUST_FREE);
	}
	pthread_mutex_unlock(&h->lock);
	/* suspended before the loop can see it, so that its resume cannot come first */
	set_phase(h, c, HC_SUSPENDED);
	MHD_suspend_connection(conn);
	pthread_mutex_lock(&h->lock);
	c->render_next = h->to_render;
	h->to_render = c;
	pthread_mutex_unlock(&h->lock);
	eventfd_write(h->evfd, 1);
	return MHD_YES;
}

/* ---- authentication (the HTTP thread) ------------------------------------------ */

/*
 * Resume from another thread: MHD allows it, but in external epoll mode without
 * its own thread libmicrohttpd 0.9.75 has no inter-thread channel to wake the
 * HTTP thread: we do.
 */
static void resume(struct httpd *h, struct MHD_Connection *conn)
{
	MHD_resume_connection(conn);
	eventfd_write(h->wakefd, 1);
}

/* The bcrypt worker's verdict is in: wake the connection. */
static void auth_done(struct auth_req *r)
{
	struct hconn *c = r->ctx;

	resume(c->h, c->conn);
}

/* AUTH_OK, AUTH_DENIED, AUTH_PENDING (suspended: called again once decided), or -errno. */
static int authorize(struct httpd *h, struct hconn *c, struct MHD_Connection *conn)
{
	char *pass = NULL;
	char *user;
	int verdict;

	if (c->auth.queued)
		return auth_finish(h->auth, &c->auth);
	user = MHD_basic_auth_get_username_password(conn, &pass);
	if (!user || !pass)
		verdict = AUTH_DENIED;
	else
		verdict = auth_check(h->auth, &c->auth, user, pass);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	MHD_free(user);
	MHD_free(pass);
	if (verdict == AUTH_PENDING) { /* suspended first: the worker's resume must come after */
		c->auth.done = auth_done;
		c->auth.ctx = c;
		set_phase(h, c, HC_SUSPENDED);
		MHD_suspend_connection(conn);
		auth_submit(h->auth, &c->auth);
	}
	return verdict;
}

static bool has_credentials(struct MHD_Connection *conn)
{
	const char *v =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	return v && !strncasecmp(v, "Basic ", 6);
}

/* The whole request is in; called again after each suspension (bcrypt, render). */
static enum MHD_Result answer(struct httpd *h, struct hconn *c, struct MHD_Connection *conn,
			      const char *url)
{
	int verdict = h->auth && !c->authed ? authorize(h, c, conn) : AUTH_OK;

	if (verdict == AUTH_PENDING)
		return MHD_YES;
	if (verdict == -EBUSY)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy checking passwords\n");
	if (verdict < 0)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot check password\n");
	if (verdict != AUTH_OK)
		return reply_text(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	c->authed = true;
	if (strcmp(url, METRICS_PATH))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try " METRICS_PATH "\n");
	return reply_metrics(h, c, conn);
}

/*
 * MHD calls this once with the headers, then with each piece of a body, and
 * once more at the end. A GET is answered at the end: a reply queued earlier
 * makes MHD close the connection, and the scraper could not keep it alive.
 * Requests without credentials (when users are configured) and other methods
 * are refused at once (their body unread, the connection closed). HEAD is GET
 * without the body (MHD drops it): RFC 9110 section 9.1 asks it of every
 * general-purpose server.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct httpd *h = cls;
	struct hconn *c = hconn_of(conn);

	if (!c || h->stopping)
		return MHD_NO; /* untracked (out of memory), or shutting down: close */
	if (!*req_cls) {
		*req_cls = c;
		if (h->auth && !has_credentials(conn))
			return reply_text(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "only GET " METRICS_PATH "\n");
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a GET with a body: not ours to read */
		return MHD_YES;
	}
	return answer(h, c, conn, url);
}

/* ---- the HTTP thread ----------------------------------------------------------- */

/* How long the HTTP thread may sleep: MHD's timeout, our first deadline, at most MAX_WAIT_MS. */
static int serve_timeout_ms(const struct httpd *h)
{
	unsigned long long now = now_ns(), first = now + MAX_WAIT_MS * 1000000ULL;
	MHD_UNSIGNED_LONG_LONG t;

	for (int p = HC_REQUEST; p <= HC_RESPONSE; p++) {
		const struct hconn *c = h->phase[p].head;

		if (c && c->deadline_ns < first)
			first = c->deadline_ns;
	}
	if (MHD_get_timeout(h->mhd, &t) == MHD_YES && now + t * 1000000ULL < first)
		return (int)t;
	return first <= now ? 0 : (int)((first - now + 999999) / 1000000);
}

static bool stop_asked(struct httpd *h)
{
	eventfd_t v;
	bool stop;

	eventfd_read(h->wakefd, &v);
	pthread_mutex_lock(&h->lock);
	stop = h->stop;
	pthread_mutex_unlock(&h->lock);
	return stop;
}

/*
 * MHD's epoll is edge-triggered: data it left unprocessed raises no new event
 * on its fd; MHD_get_timeout() says 0 then. So MHD_run() after every wake-up,
 * whatever woke us.
 */
static void *serve(void *arg)
{
	struct httpd *h = arg;
	struct epoll_event ev[2];

	setpriority(PRIO_PROCESS, (id_t)gettid(), HTTP_NICE); /* raising it needs no capability */
	if (h->auth && auth_start(h->auth))
		fprintf(stderr, "mptcp-evlat: --prometheus: no thread for password checks: "
				"every login gets 500\n");
	for (;;) {
		int n = epoll_wait(h->tepfd, ev, 2, serve_timeout_ms(h));

		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == h->wakefd && stop_asked(h))
				return NULL;
		expire(h, now_ns());
		MHD_run(h->mhd);
	}
}

static int start_thread(struct httpd *h)
{
	int err = -pthread_create(&h->thread, NULL, serve, h);

	if (!err)
		h->thread_started = true;
	return err;
}

/* ---- the daemon ----------------------------------------------------------------- */

/* MHD closes a listen socket it was given on most failure paths, not all: look. */
static void close_if_open(int fd)
{
	if (fcntl(fd, F_GETFD) != -1)
		close(fd);
}

#define OPT(o, v, p) ((struct MHD_OptionItem){ (o), (intptr_t)(v), (p) })

/* @opts: room for 12 */
static unsigned int mhd_flags(const struct httpd *h, int fd, struct MHD_OptionItem *opts)
{
	unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, n = 0;

	opts[n++] = OPT(MHD_OPTION_LISTEN_SOCKET, fd, NULL);
	opts[n++] = OPT(MHD_OPTION_CONNECTION_LIMIT, MAX_CONNS + ACCEPT_SLACK, NULL);
	opts[n++] = OPT(MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT, NULL);
	opts[n++] = OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_LIMIT, NULL);
	opts[n++] = OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)h);
	opts[n++] = OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)h);
	if (h->web && h->web->cert_pem) {
		flags |= MHD_USE_TLS;
		opts[n++] = OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, h->web->cert_pem);
		opts[n++] = OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, h->web->key_pem);
		opts[n++] = OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)h->web->tls_priorities);
	}
	opts[n] = OPT(MHD_OPTION_END, 0, NULL);
	return flags;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* The HTTP thread's epoll: MHD's and the stop eventfd. */
static int setup_fds(struct httpd *h)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	h->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->tepfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->evfd < 0 || h->wakefd < 0 || h->tepfd < 0)
		return -errno;
	if (!info || info->epoll_fd < 0)
		return -EIO;
	if (epoll_add(h->tepfd, info->epoll_fd) || epoll_add(h->tepfd, h->wakefd))
		return -errno;
	return 0;
}

static int start_mhd(struct httpd *h, int fd, in_port_t port)
{
	struct MHD_OptionItem opts[12];
	unsigned int flags = mhd_flags(h, fd, opts);

	if ((flags & MHD_USE_TLS) && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		close(fd);
		return -EPROTONOSUPPORT;
	}
	errno = 0;
	h->mhd = MHD_start_daemon(flags, ntohs(port), NULL, NULL, on_request, h, MHD_OPTION_ARRAY,
				  opts, MHD_OPTION_END);
	if (!h->mhd) {
		int err = errno ? -errno : -EIO;

		close_if_open(fd);
		return err;
	}
	return setup_fds(h);
}

static in_port_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return ((const struct sockaddr_in *)ss)->sin_port;
}

int httpd_start(struct httpd *h, const char *addr_arg, const struct webconfig *web,
		httpd_render_fn render, void *ctx)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err;

	memset(h, 0, sizeof(*h));
	h->evfd = h->wakefd = h->tepfd = -1;
	h->render = render;
	h->ctx = ctx;
	h->web = web;
	pthread_mutex_init(&h->lock, NULL);
	h->open = true;
	err = httpd_parse_addr(addr_arg, &ss, &len);
	if (!err && web && web->n_users)
		err = auth_new(web, &h->auth);
	if (!err) {
		fd = listen_on(&ss, len);
		err = fd < 0 ? fd : start_mhd(h, fd, port_of(&ss));
	}
	if (err)
		httpd_stop(h);
	return err;
}

int httpd_fd(const struct httpd *h)
{
	return h->mhd ? h->evfd : -1;
}

/* The loop's thread: render into the cache unless it is fresh. */
static void refresh_cache(struct httpd *h, unsigned long long now)
{
	FILE *f;

	if (h->cache && now < h->cache_ns + RENDER_GAP_MS * 1000000ULL)
		return;
	free(h->cache);
	h->cache = NULL;
	h->cache_len = 0;
	h->cache_ns = now;
	f = open_memstream(&h->cache, &h->cache_len);
	if (!f) {
		h->cache_err = -ENOMEM;
		return;
	}
	h->cache_err = h->render(h->ctx, f);
	if (fclose(f) && !h->cache_err)
		h->cache_err = -ENOMEM;
}

/* Each waiting connection gets its copy of the text and is woken. */
static void hand_out(struct httpd *h, struct hconn *list)
{
	while (list) {
		struct hconn *c = list;
		char *body = h->cache_err ? NULL : malloc(h->cache_len ? h->cache_len : 1);

		list = c->render_next;
		if (body)
			memcpy(body, h->cache, h->cache_len);
		pthread_mutex_lock(&h->lock);
		c->body = body;
		c->body_len = h->cache_len;
		c->render_err = body ? 0 : h->cache_err ? h->cache_err : -ENOMEM;
		c->rendered = true;
		pthread_mutex_unlock(&h->lock);
		resume(h, c->conn);
	}
}

int httpd_poll(struct httpd *h)
{
	struct hconn *list;
	eventfd_t v;
	int err;

	if (!h->mhd)
		return 0;
	if (!h->thread_started) {
		err = start_thread(h);
		if (err)
			return err;
	}
	eventfd_read(h->evfd, &v); /* EAGAIN when nothing asked: fine */
	pthread_mutex_lock(&h->lock);
	list = h->to_render;
	h->to_render = NULL;
	pthread_mutex_unlock(&h->lock);
	if (list) {
		refresh_cache(h, now_ns());
		hand_out(h, list);
	}
	return 0;
}

/* Requests are answered at once (from the cache within RENDER_GAP_MS): nothing to wait for. */
int httpd_timeout_ms(const struct httpd *h, int max_ms)
{
	return max_ms;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * The HTTP thread first, then the worker (it may be resuming a connection),
 * then MHD, which resumes what is still suspended and closes everything:
 * on_request() refuses to answer once stopping is set.
 */
void httpd_stop(struct httpd *h)
{
	if (!h->open)
		return;
	if (h->thread_started) {
		pthread_mutex_lock(&h->lock);
		h->stop = true;
		pthread_mutex_unlock(&h->lock);
		eventfd_write(h->wakefd, 1);
		pthread_join(h->thread, NULL);
		h->thread_started = false;
	}
	h->stopping = true;
	auth_free(h->auth);
	h->auth = NULL;
	if (h->mhd)
		MHD_stop_daemon(h->mhd); /* closes the listen socket and MHD's epoll fd */
	h->mhd = NULL;
	close_fd(&h->evfd);
	close_fd(&h->wakefd);
	close_fd(&h->tepfd);
	free(h->cache);
	pthread_mutex_destroy(&h->lock);
	h->open = false;
}
