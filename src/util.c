// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void warn(const char *fmt, ...)
{
	va_list ap;

	fputs(EVLAT_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

unsigned long long kallsyms_addr(const char *path, const char *name)
{
	size_t cap = 0, nlen = strlen(name);
	unsigned long long addr = 0;
	char *line = NULL;
	ssize_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	/* "ffffffff8a3c2e40 D nl_table" (a module's symbols end in " [module]") */
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if ((size_t)n <= nlen + 3 || line[n - nlen - 1] != ' ' ||
		    strcmp(line + n - nlen, name))
			continue;
		addr = strtoull(line, NULL, 16);
		break;
	}
	free(line);
	fclose(f);
	return addr;
}
