// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Real tools, run as a user would: iproute2's ss (ss -K, which asks the
 * kernel to destroy a socket through sock_diag) and ip, each inside the
 * network namespace of one side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "trafgen.h"

/* $SS / $IP when set (the guests give full paths), else the name on PATH */
const char *tool_path(const char *name)
{
	const char *env_name = !strcmp(name, "ss") ? "SS" : !strcmp(name, "ip") ? "IP" : NULL;
	const char *p = env_name ? getenv(env_name) : NULL;

	return p && *p ? p : name;
}

static void tool_child(int nsfd, char *const argv[], int out)
{
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "trafgen: %s: setns: %s\n", argv[0], strerror(errno));
		_exit(126);
	}
	if (dup2(out, STDOUT_FILENO) < 0)
		_exit(126);
	execvp(argv[0], argv);
	fprintf(stderr, "trafgen: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Run @argv in the namespace @nsfd; its standard output (at most @size - 1
 * bytes, the rest read and dropped) into @out, its standard error through
 * ours. Returns its exit status, or a negative errno.
 */
int tool_run(int nsfd, char *const argv[], char *out, size_t size)
{
	size_t len = 0;
	int p[2], status;
	char drop[256];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (!pid)
		tool_child(nsfd, argv, p[1]);
	close(p[1]);
	while ((n = read(p[0], len + 1 < size ? out + len : drop,
			 len + 1 < size ? size - 1 - len : sizeof(drop))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0 && len + 1 < size)
			len += n;
	close(p[0]);
	if (size)
		out[len] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
