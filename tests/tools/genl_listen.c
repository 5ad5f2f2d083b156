// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * genl_listen: src/genl.c against the real kernel, for tests/host/genl_listener.sh.
 *
 *   genl_listen open [NETNS_PATH]
 *       one genl_listener_open(); prints "open=<0 or -errno> family_id=N
 *       group_id=N netns=N rcvbuf=N self_ino=N" (self_ino: the netns the
 *       thread is in afterwards) and exits 0 whatever the result
 *   genl_listen listen [-r RCVBUF] [-H] NETNS_PATH...
 *       one listener per namespace; prints "ready", then per event
 *       "event netns=INO recv_ns=NS <nl_event_format() line>". Control lines
 *       on stdin: "go" ends -H (hold: do not read the sockets before it),
 *       "stats" prints per listener "stats netns=INO datagrams=N msgs=N
 *       decode_errors=N overruns=N drops=N"; EOF drains, prints stats, exits.
 * Exit: 0 ok, 1 usage, 2 a listener failed to open or read.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "genl.h"
#include "nl_decode.h"

#define MAX_NS 8

static int do_open(const char *path)
{
	struct genl_listener l;
	int err = genl_listener_open(&l, path, 0);
	struct stat st = { 0 };

	stat("/proc/thread-self/ns/net", &st);
	printf("open=%d family_id=%u group_id=%u netns=%u rcvbuf=%d self_ino=%lu\n", err,
	       l.family_id, l.group_id, l.netns, l.rcvbuf, (unsigned long)st.st_ino);
	genl_listener_close(&l);
	return 0;
}

static void print_event(void *ctx, const struct nl_event *ev)
{
	const struct genl_listener *l = ctx;
	char line[512];

	if (nl_event_format(ev, line, sizeof(line)) < 0)
		snprintf(line, sizeof(line), "event=%u (line too long)", ev->type);
	printf("event netns=%u recv_ns=%llu %s\n", l->netns, (unsigned long long)ev->recv_ns, line);
}

static void print_stats(const struct genl_listener *l, int n)
{
	for (int i = 0; i < n; i++)
		printf("stats netns=%u datagrams=%llu msgs=%llu decode_errors=%llu overruns=%llu "
		       "drops=%llu\n",
		       l[i].netns, l[i].datagrams, l[i].messages, l[i].errors, l[i].overruns,
		       l[i].drops);
	fflush(stdout);
}

static int read_all(struct genl_listener *l, int n)
{
	for (int i = 0; i < n; i++) {
		int err = genl_listener_read(&l[i], print_event, &l[i]);

		if (err < 0) {
			fprintf(stderr, "genl_listen: read: %s\n", strerror(-err));
			return err;
		}
	}
	fflush(stdout);
	return 0;
}

/* One control line from stdin: 1 go on, 0 EOF, -1 error. */
static int control(struct genl_listener *l, int n, int *hold)
{
	char line[64];

	if (!fgets(line, sizeof(line), stdin))
		return 0;
	if (!strncmp(line, "go", 2))
		*hold = 0;
	else if (!strncmp(line, "stats", 5) && !read_all(l, n))
		print_stats(l, n);
	return 1;
}

static int loop(struct genl_listener *l, int n, int hold)
{
	struct pollfd pfd[MAX_NS + 1];
	int err = 0;

	setvbuf(stdin, NULL, _IONBF, 0);
	for (int i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = genl_listener_fd(&l[i]), .events = POLLIN };
	pfd[n] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	for (;;) {
		if (poll(hold ? pfd + n : pfd, hold ? 1 : n + 1, -1) < 0)
			return -errno;
		if (pfd[n].revents && control(l, n, &hold) == 0)
			break;
		if (!hold && (err = read_all(l, n)))
			return err;
	}
	err = read_all(l, n);
	print_stats(l, n);
	return err;
}

static int do_listen(int argc, char **argv)
{
	static struct genl_listener l[MAX_NS];
	int opt, rcvbuf = 0, hold = 0, n = 0, err = 0;

	while ((opt = getopt(argc, argv, "r:H")) != -1) {
		if (opt == 'r')
			rcvbuf = atoi(optarg);
		else if (opt == 'H')
			hold = 1;
		else
			return 1;
	}
	for (; optind < argc && n < MAX_NS && !err; n++) {
		err = genl_listener_open(&l[n], argv[optind++], rcvbuf);
		if (err)
			fprintf(stderr, "genl_listen: %s: %s\n", argv[optind - 1], strerror(-err));
	}
	if (!err && n) {
		printf("ready\n");
		fflush(stdout);
		err = loop(l, n, hold);
	}
	for (int i = 0; i < n; i++)
		genl_listener_close(&l[i]);
	return err || !n ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "open") && argc <= 3)
		return do_open(argc == 3 ? argv[2] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "listen"))
		return do_listen(argc - 1, argv + 1);
	fprintf(stderr, "usage: genl_listen open [NETNS_PATH]\n"
			"       genl_listen listen [-r RCVBUF] [-H] NETNS_PATH...\n");
	return 1;
}
