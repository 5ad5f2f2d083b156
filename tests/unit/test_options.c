// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The command line (src/options.c): defaults, what each option fills in, and
 * that the README and the man page state the same defaults as the code
 * (src/defaults.h). Bad input is tests/host/cli.sh's: argp exits there.
 */
#include <limits.h>
#include <stdlib.h>

#include "check.h"
#include "defaults.h"
#include "options.h"

static void parse(struct options *o, int argc, const char **argv)
{
	options_parse(argc, (char **)argv, o);
}

static void test_defaults(void)
{
	const char *argv[] = { "mptcp-evlat", NULL };
	struct options o;

	memset(&o, 0x5a, sizeof(o)); /* nothing may survive from before */
	parse(&o, 1, argv);
	CHECK(o.timeout_ms == EVLAT_DEFAULT_TIMEOUT_MS);
	CHECK(o.capacity == EVLAT_DEFAULT_PENDING);
	CHECK(o.rcvbuf == EVLAT_DEFAULT_RCVBUF);
	CHECK(o.ringbuf_kib == EVLAT_DEFAULT_RINGBUF_KIB);
	CHECK(o.report.units == UNITS_USECS);
	CHECK(!o.report.json && !o.report.verbose && !o.report.timestamp);
	CHECK(!o.report.filter.event_set && !o.report.filter.token_set);
	CHECK(!o.netns && !o.prometheus && !o.textfile && !o.interval_s && !o.duration_s);
	CHECK(!o.check && !o.genl_only && !o.records && !o.all_netns && !o.force_kprobe);
}

static void test_values(void)
{
	char events[] = "created,11"; /* -e's list is split in place, as argv's is */
	const char *argv[] = { "mptcp-evlat", "-e",  events, "-t", "0x1a2b",   "-j",   "-v",
			       "-m",	      "-N",  "ns1",  "-i", "2",	       "-d",   "4",
			       "--timeout",   "500", "-r",   "64", "--rcvbuf", "4096", NULL };
	struct options o;

	parse(&o, sizeof(argv) / sizeof(argv[0]) - 1, argv);
	CHECK(o.report.filter.event_set);
	CHECK(o.report.filter.events[1] && o.report.filter.events[11]);
	CHECK(!o.report.filter.events[2] && !o.report.filter.events[10]);
	CHECK(o.report.filter.token_set && o.report.filter.token == 0x1a2b);
	CHECK(o.report.json && o.report.verbose && o.verbose);
	CHECK(o.report.units == UNITS_MSECS);
	CHECK(o.netns && !strcmp(o.netns, "ns1"));
	CHECK(o.interval_s == 2 && o.duration_s == 4);
	CHECK(o.timeout_ms == 500 && o.ringbuf_kib == 64 && o.rcvbuf == 4096);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = calloc(1, 1 << 20);
	size_t n = 0;

	if (f) {
		n = fread(s, 1, (1 << 20) - 1, f);
		fclose(f);
	}
	s[n] = '\0';
	/* man page lines wrap anywhere: compare with single spaces */
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return s;
}

/* @text states "@before<default>@after" for each default */
static void check_doc(const char *path)
{
	char *text = slurp(path);
	char want[128];

	CHECK(strlen(text) > 1000);
	snprintf(want, sizeof(want), "(default %d)", EVLAT_DEFAULT_PENDING);
	CHECK(strstr(text, want) != NULL);
	snprintf(want, sizeof(want), "(default %d MiB;", EVLAT_DEFAULT_RCVBUF_MIB);
	CHECK(strstr(text, want) != NULL);
	snprintf(want, sizeof(want), "(default %d)", EVLAT_DEFAULT_RINGBUF_KIB);
	CHECK(strstr(text, want) != NULL);
	snprintf(want, sizeof(want), "(default %d)", EVLAT_DEFAULT_TIMEOUT_MS);
	CHECK(strstr(text, want) != NULL);
	if (check_failed)
		fprintf(stderr, "  ^ %s disagrees with src/defaults.h\n", path);
	free(text);
}

int main(void)
{
	const char *root = getenv("EVLAT_SRCDIR") ?: ".";
	char path[PATH_MAX];

	test_defaults();
	test_values();
	snprintf(path, sizeof(path), "%s/doc/mptcp-evlat.8", root);
	check_doc(path);
	snprintf(path, sizeof(path), "%s/README.md", root);
	check_doc(path);
	return check_report("options");
}
