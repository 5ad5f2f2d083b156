// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The /metrics endpoint: libmicrohttpd in external epoll mode, so the one
 * event loop of main.c serves it (STYLE.md: no threads). We bind the listen
 * socket ourselves: bind()'s errno says why a port cannot be had, which
 * MHD_start_daemon() does not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "httpd.h"

#define METRICS_PATH "/metrics"
/* what Prometheus expects of the text format, version 0.0.4 */
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define TEXT_TYPE    "text/plain; charset=utf-8"
#define MAX_CONNS    8	/* a scraper or two; bounds our memory */
#define CONN_TIMEOUT 10 /* seconds: a silent client frees its slot */
#define BACKLOG	     16

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

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO; /* MHD closes the connection */
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int code, const char *text)
{
	return reply(conn, code, TEXT_TYPE, (char *)text, strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result reply_metrics(struct httpd *h, struct MHD_Connection *conn)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err;

	if (!f)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	err = h->render(h->ctx, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(body);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render metrics\n");
	}
	return reply(conn, MHD_HTTP_OK, METRICS_TYPE, body, len, MHD_RESPMEM_MUST_FREE);
}

/*
 * MHD calls this once with the headers, then with each piece of a body, and
 * once more at the end. A GET is answered at the end: a reply queued earlier
 * makes MHD close the connection, and the scraper could not keep it alive.
 * Other methods are refused at once (their body unread, the connection
 * closed). HEAD is GET without the body (MHD drops it): RFC 9110 section 9.1
 * asks it of every general-purpose server.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	static int started;

	if (!*req_cls) {
		*req_cls = &started;
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "only GET " METRICS_PATH "\n");
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a GET with a body: not ours to read */
		return MHD_YES;
	}
	if (strcmp(url, METRICS_PATH))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try " METRICS_PATH "\n");
	return reply_metrics(cls, conn);
}

/* MHD closes a listen socket it was given on most failure paths, not all: look. */
static void close_if_open(int fd)
{
	if (fcntl(fd, F_GETFD) != -1)
		close(fd);
}

static int start_mhd(struct httpd *h, int fd, in_port_t port)
{
	const union MHD_DaemonInfo *info;

	errno = 0;
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL, ntohs(port), NULL, NULL, on_request, h,
				  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)MAX_CONNS, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)CONN_TIMEOUT, MHD_OPTION_END);
	if (!h->mhd) {
		int err = errno ? -errno : -EIO;

		close_if_open(fd);
		return err;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		httpd_stop(h);
		return -EIO;
	}
	h->epfd = info->epoll_fd;
	return 0;
}

static in_port_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return ((const struct sockaddr_in *)ss)->sin_port;
}

int httpd_start(struct httpd *h, const char *addr_arg, httpd_render_fn render, void *ctx)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err;

	memset(h, 0, sizeof(*h));
	h->epfd = -1;
	h->render = render;
	h->ctx = ctx;
	err = httpd_parse_addr(addr_arg, &ss, &len);
	if (err)
		return err;
	fd = listen_on(&ss, len);
	if (fd < 0)
		return fd;
	return start_mhd(h, fd, port_of(&ss));
}

int httpd_fd(const struct httpd *h)
{
	return h->mhd ? h->epfd : -1;
}

int httpd_poll(struct httpd *h)
{
	if (!h->mhd)
		return 0;
	return MHD_run(h->mhd) == MHD_YES ? 0 : -EINVAL;
}

/*
 * MHD's epoll is edge-triggered: data it left unprocessed raises no new
 * event on its fd. MHD_get_timeout() says 0 then, and when a connection
 * times out.
 */
int httpd_timeout_ms(const struct httpd *h, int max_ms)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (!h->mhd || MHD_get_timeout(h->mhd, &t) != MHD_YES)
		return max_ms;
	if (max_ms >= 0 && t > (MHD_UNSIGNED_LONG_LONG)max_ms)
		return max_ms;
	return t > INT_MAX ? INT_MAX : (int)t;
}

void httpd_stop(struct httpd *h)
{
	if (h->mhd)
		MHD_stop_daemon(h->mhd); /* closes the listen socket and the epoll fd */
	h->mhd = NULL;
	h->epfd = -1;
}
