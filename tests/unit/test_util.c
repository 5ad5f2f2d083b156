// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kallsyms_addr() (src/util.c) on /proc/kallsyms lines recorded in the sid
 * guest (tests/data/kallsyms, 7.2.13): nl_table found; the same lines under
 * kernel.kptr_restrict=2 give 0, as do a module's symbol of the same name, a
 * name that only ends or starts like it, and a missing file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "util.h"

static char path[512];

static const char *data(const char *file)
{
	const char *dir = getenv("EVLAT_TEST_DATA") ?: "tests/data";

	snprintf(path, sizeof(path), "%s/kallsyms/%s", dir, file);
	return path;
}

static void test_recorded(void)
{
	CHECK(kallsyms_addr(data("sid-7.2.13.txt"), "nl_table") == 0xffffffff86b5aab0ULL);
	CHECK(kallsyms_addr(data("sid-7.2.13.txt"), "init_net") == 0xffffffff87567780ULL);
	CHECK(kallsyms_addr(data("sid-7.2.13.txt"), "table") == 0);
	CHECK(kallsyms_addr(data("sid-7.2.13.txt"), "nl_tabl") == 0);
	CHECK(kallsyms_addr(data("sid-7.2.13.txt"), "mptcp_diag_handler") == 0); /* a module's */
	CHECK(kallsyms_addr(data("sid-7.2.13-kptr_restrict2.txt"), "nl_table") == 0);
	CHECK(kallsyms_addr(data("no-such-file"), "nl_table") == 0);
}

static void test_synthetic(void)
{
	char tmpl[] = "/tmp/evlat-kallsyms-XXXXXX";
	int fd = mkstemp(tmpl);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	CHECK(f != NULL);
	if (!f)
		return;
	/* a module's nl_table first, then a longer name ending in it, no newline at the end */
	fputs("ffffffffc0000010 d nl_table\t[fake]\n"
	      "ffffffff81000020 D my_nl_table\n"
	      "ffffffff81000030 D nl_table",
	      f);
	fclose(f);
	CHECK(kallsyms_addr(tmpl, "nl_table") == 0xffffffff81000030ULL);
	unlink(tmpl);
}

int main(void)
{
	test_recorded();
	test_synthetic();
	return check_report("util");
}
