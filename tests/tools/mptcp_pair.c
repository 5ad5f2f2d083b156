// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mptcp_pair: one MPTCP connection between two network namespaces, for any
 * address family (trafgen speaks IPv4 only). The caller drives the path
 * manager (ip mptcp endpoint ...) while the connection is up.
 *
 *   mptcp_pair --server-netns PATH --client-netns PATH --listen ADDR
 *              --connect ADDR [--port N]
 *
 * Listens on ADDR ("::" listens dual-stack, so "::ffff:10.0.1.1" gives an
 * IPv4-mapped connection), connects, echoes a few bytes, prints "connected"
 * on stdout, then keeps the connection until a line or EOF on stdin; closes
 * client, server side and listener, and prints "closed".
 * Exit: 0 ok, 1 usage, 2 a step failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

struct pair_env {
	const char *server_ns, *client_ns, *listen, *connect;
	unsigned short port;
};

static int fail(const char *what)
{
	fprintf(stderr, "mptcp_pair: %s: %s\n", what, strerror(errno));
	return -1;
}

static int enter(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return fail(path);
	err = setns(fd, CLONE_NEWNET);
	close(fd);
	return err ? fail("setns") : 0;
}

static socklen_t make_addr(const char *s, unsigned short port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return sizeof(*a6);
	}
	return 0;
}

static int listen_on(const struct pair_env *e)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(e->listen, e->port, &ss);
	int one = 1, zero = 0, fd;

	if (!len || enter(e->server_ns))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, IPPROTO_MPTCP);
	if (fd < 0)
		return fail("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4))
		return fail("bind/listen");
	return fd;
}

static int connect_to(const struct pair_env *e)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(e->connect, e->port, &ss);
	int fd;

	if (!len || enter(e->client_ns))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, IPPROTO_MPTCP);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&ss, len))
		return fail("connect");
	return fd;
}

/* A round trip each way: MPTCP is fully established (ESTABLISHED event) after data. */
static int echo(int a, int b)
{
	char buf[8];

	if (write(a, "ping", 4) != 4 || read(b, buf, sizeof(buf)) != 4)
		return fail("ping");
	if (write(b, "pong", 4) != 4 || read(a, buf, sizeof(buf)) != 4)
		return fail("pong");
	return 0;
}

static int parse_args(int argc, char **argv, struct pair_env *e)
{
	static const struct option opts[] = {
		{ "server-netns", required_argument, NULL, 'S' },
		{ "client-netns", required_argument, NULL, 'C' },
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{},
	};
	int opt;

	e->port = 10200;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'S')
			e->server_ns = optarg;
		else if (opt == 'C')
			e->client_ns = optarg;
		else if (opt == 'l')
			e->listen = optarg;
		else if (opt == 'c')
			e->connect = optarg;
		else if (opt == 'p')
			e->port = atoi(optarg);
		else
			return -1;
	}
	return e->server_ns && e->client_ns && e->listen && e->connect ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct pair_env e = { 0 };
	int lfd, cfd, sfd;
	char line[64];

	if (parse_args(argc, argv, &e)) {
		fprintf(stderr, "usage: mptcp_pair --server-netns PATH --client-netns PATH "
				"--listen ADDR --connect ADDR [--port N]\n");
		return 1;
	}
	lfd = listen_on(&e);
	cfd = lfd < 0 ? -1 : connect_to(&e);
	sfd = cfd < 0 ? -1 : accept(lfd, NULL, NULL);
	if (sfd < 0 || echo(cfd, sfd))
		return 2;
	printf("connected\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	close(cfd);
	close(sfd);
	close(lfd);
	printf("closed\n");
	return 0;
}
