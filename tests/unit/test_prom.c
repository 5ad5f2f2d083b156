// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus export, no root and no network: the exact exposition of a small
 * case (tests/data/prom/small.prom, written independently of prom.c), bucket
 * values recomputed from the raw latencies, counters that never go down
 * (not even across a -i reset of the interval view),
 * label escaping, the atomic textfile, and --prometheus address parsing.
 * tests/host/prometheus.sh runs promtool and a real scrape.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "httpd.h"
#include "probes.h"
#include "prom.h"
#include "report.h"

/* What prom_render() reads: the report's total view and the run-wide figures */
struct fix {
	struct report rep;
	struct run_info info;
	struct probe_set ps;
	char kernel[64];
};

static void fix_init(struct fix *p)
{
	static const struct report_cfg quiet; /* no output of its own */

	memset(p, 0, sizeof(*p));
	report_init(&p->rep, &quiet, NULL, 0);
	p->info.kernel = p->kernel;
}

static void fix_free(struct fix *p)
{
	report_free(&p->rep);
}

#define M_BUCKET "mptcp_evlat_event_latency_seconds_bucket{"

static char *render(const struct fix *p)
{
	ssize_t n = prom_render_buf(&p->rep.total, &p->info, NULL, 0);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;

	if (!s || prom_render_buf(&p->rep.total, &p->info, s, (size_t)n + 1) != n) {
		free(s);
		return strdup("");
	}
	return s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = calloc(1, 1 << 20);
	size_t n;

	if (!f || !s) {
		if (f)
			fclose(f);
		free(s);
		return strdup("");
	}
	n = fread(s, 1, (1 << 20) - 1, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* @text with every @from replaced by @to (malloc'd) */
static char *subst(const char *text, const char *from, const char *to)
{
	char *out = malloc(strlen(text) * 2 + 1024), *o = out;
	const char *hit;

	while ((hit = strstr(text, from))) {
		memcpy(o, text, (size_t)(hit - text));
		o = stpcpy(o + (hit - text), to);
		text = hit + strlen(from);
	}
	strcpy(o, text);
	return out;
}

/* the first differing line, so a failure says where */
static void check_same_text(const char *got, const char *want)
{
	const char *g = got, *w = want;
	int line = 1;

	while (*g && *g == *w) {
		if (*g == '\n')
			line++;
		g++, w++;
	}
	if (*g != *w)
		fprintf(stderr, "text differs at line %d:\n  got:  %.160s\n  want: %.160s\n", line,
			g, w);
	CHECK(!strcmp(got, want));
}

static void ev_init(struct evlat_event *ev, unsigned int type, enum evlat_status st)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->status = st;
}

static void ev_stage(struct evlat_event *ev, enum evlat_stage st, __u64 ns)
{
	ev->have_stage[st] = true;
	ev->stage_ns[st] = ns;
}

static void add(struct fix *p, unsigned int type, enum evlat_status st, __u64 total, __u64 kernel,
		__u64 delivery)
{
	struct evlat_event ev;

	ev_init(&ev, type, st);
	if (total)
		ev_stage(&ev, STAGE_TOTAL, total);
	if (kernel)
		ev_stage(&ev, STAGE_KERNEL, kernel);
	if (delivery)
		ev_stage(&ev, STAGE_DELIVERY, delivery);
	report_event(&p->rep, &ev);
	CHECK(p->rep.err == 0);
}

/* the case tests/data/prom/small.prom was computed for */
static void small_case(struct fix *p)
{
	static const struct probe probes[PROBE_NR] = {
		[PROBE_EVENT] = { .name = "mptcp_event", .state = PROBE_ATTACHED },
		[PROBE_ANNOUNCED] = { .name = "mptcp_event_addr_announced",
				      .state = PROBE_ATTACHED,
				      .mode = PROBE_KPROBE },
		[PROBE_CLOSE_SSK] = { .name = "mptcp_close_ssk", .state = PROBE_ATTACHED },
		[PROBE_REMOVED] = { .name = "mptcp_event_addr_removed", .state = PROBE_FAILED },
		[PROBE_LISTENER] = { .name = "mptcp_event_pm_listener", .state = PROBE_MISSING },
		[PROBE_SEND] = { .name = "send",
				 .state = PROBE_ATTACHED,
				 .mode = PROBE_KPROBE,
				 .misses = 3 },
		[PROBE_SEND_END] = { .name = "send_end", .state = PROBE_ATTACHED },
		[PROBE_QUEUED] = { .name = "queued", .state = PROBE_ATTACHED },
		[PROBE_OVERRUN] = { .name = "overrun", .state = PROBE_ATTACHED },
		[PROBE_READ] = { .name = "read", .state = PROBE_ATTACHED, .misses = 1 },
		[PROBE_LISTENERS] = { .name = "has_listeners", .state = PROBE_ATTACHED },
		[PROBE_GONE] = { .name = "gone", .state = PROBE_MISSING },
	};

	fix_init(p);
	snprintf(p->kernel, sizeof(p->kernel), "6.1.0-test");
	memcpy(p->ps.p, probes, sizeof(probes));
	p->info.probes = &p->ps;
	add(p, 1, ST_DELIVERED, 1500, 256, 1244); /* 256 ns: on an edge, in le="0.000000256" */
	add(p, 1, ST_DELIVERED, 20000000100ULL, 100, 20000000000ULL); /* past 2^34 ns: +Inf */
	add(p, 1, ST_DELIVERED, 3000000000ULL, 0, 0);		      /* the send probe missed it */
	add(p, 11, ST_NOT_DELIVERED, 0, 0, 0);
	report_count(&p->rep, 10, ST_LOST_RINGBUF, 2); /* no latency: no histogram */
	add(p, 200, ST_RECEIVED, 0, 0, 0);	       /* unknown type: its number */
	/* a -i reset of the interval view changes nothing here */
	report_reset_interval(&p->rep, 1);
	p->info.nl_overruns = 3;
	p->info.ringbuf_drops = 2;
}

static void test_small_exact(void)
{
	const char *dir = getenv("EVLAT_TEST_DATA") ?: "tests/data";
	char path[PATH_MAX], *golden, *want, *got;
	struct fix p;

	snprintf(path, sizeof(path), "%s/prom/small.prom", dir);
	golden = slurp(path);
	CHECK(strlen(golden) > 1000);
	want = subst(golden, "@VERSION@", EVLAT_VERSION);
	small_case(&p);
	got = render(&p);
	check_same_text(got, want);
	free(got);
	free(want);
	free(golden);
	fix_free(&p);
}

static void test_seconds(void)
{
	static const struct {
		unsigned long long ns;
		const char *s;
	} cases[] = {
		{ 0, "0" },
		{ 1, "0.000000001" },
		{ 256, "0.000000256" },
		{ 1024, "0.000001024" },
		{ 1000000000, "1" },
		{ 1500000000, "1.5" },
		{ 17179869184ULL, "17.179869184" },
		{ 20000001244ULL, "20.000001244" },
		{ ULLONG_MAX, "18446744073.709551615" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(prom_seconds(cases[i].ns, buf, sizeof(buf)), cases[i].s);
}

/* "1.5" -> 1500000000, read independently of prom_seconds() */
static unsigned long long seconds_ns(const char *s)
{
	unsigned long long ns = strtoull(s, (char **)&s, 10) * 1000000000ULL, scale = 100000000;

	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && scale; s++, scale /= 10)
			ns += (unsigned long long)(*s - '0') * scale;
	return ns;
}

/* the value of label @name in @line, into @buf */
static const char *label(const char *line, const char *name, char *buf, size_t size)
{
	char key[32];
	const char *v, *end;

	snprintf(key, sizeof(key), "%s=\"", name);
	v = strstr(line, key);
	buf[0] = '\0';
	if (!v)
		return buf;
	v += strlen(key);
	end = strchr(v, '"');
	if (end && (size_t)(end - v) < size) {
		memcpy(buf, v, (size_t)(end - v));
		buf[end - v] = '\0';
	}
	return buf;
}

#define INV_TYPES 4
#define INV_N	  2000

static const unsigned int inv_types[INV_TYPES] = { 1, 2, 10, 200 };
static const char *const inv_labels[INV_TYPES] = { "created", "established", "sub_established",
						   "200" };
static __u64 inv_vals[INV_TYPES][STAGE_MAX][INV_N];
static unsigned int inv_n[INV_TYPES][STAGE_MAX];

static __u64 xorshift(void)
{
	static __u64 x = 88172645463325252ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Log-uniform latencies over 0 .. 2^40 ns, random stages; remembered for the checks. */
static void add_random(struct fix *p, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned int t = (unsigned int)(xorshift() % INV_TYPES);
		struct evlat_event ev;

		ev_init(&ev, inv_types[t], ST_DELIVERED);
		for (int st = 0; st < STAGE_MAX; st++) {
			__u64 r = xorshift();

			if (r & 1 || inv_n[t][st] >= INV_N)
				continue;
			ev_stage(&ev, st, (r >> 8) & ((1ULL << ((r >> 1) % 41)) - 1));
			inv_vals[t][st][inv_n[t][st]++] = ev.stage_ns[st];
		}
		report_event(&p->rep, &ev);
	}
}

static int type_index(const char *lbl)
{
	for (int t = 0; t < INV_TYPES; t++)
		if (!strcmp(lbl, inv_labels[t]))
			return t;
	return -1;
}

static int stage_index(const char *lbl)
{
	for (int st = 0; st < STAGE_MAX; st++)
		if (!strcmp(lbl, stage_name(st)))
			return st;
	return -1;
}

/* One bucket line: cumulative, equal to a count of the raw values, +Inf = all. */
static int check_bucket(const char *line, unsigned long long *prev, int *bad)
{
	char ev[32], st[32], le[32];
	int t = type_index(label(line, "event", ev, sizeof(ev)));
	int s = stage_index(label(line, "stage", st, sizeof(st)));
	unsigned long long v = strtoull(strrchr(line, ' ') + 1, NULL, 10), want = 0;
	bool inf = !strcmp(label(line, "le", le, sizeof(le)), "+Inf");
	unsigned long long le_ns = inf ? ULLONG_MAX : seconds_ns(le);

	if (t < 0 || s < 0)
		return ++*bad;
	for (unsigned int i = 0; i < inv_n[t][s]; i++)
		want += inv_vals[t][s][i] <= le_ns;
	if (v != want || v < *prev)
		++*bad;
	*prev = inf ? 0 : v;
	return 0;
}

/* _sum and _count against the raw values */
static void check_sum_count(const char *line, bool is_sum, int *bad)
{
	char ev[32], st[32], got[32], want[32];
	int t = type_index(label(line, "event", ev, sizeof(ev)));
	int s = stage_index(label(line, "stage", st, sizeof(st)));
	unsigned long long sum = 0;

	if (t < 0 || s < 0) {
		++*bad;
		return;
	}
	for (unsigned int i = 0; i < inv_n[t][s]; i++)
		sum += inv_vals[t][s][i];
	snprintf(got, sizeof(got), "%s", strrchr(line, ' ') + 1);
	if (is_sum)
		prom_seconds(sum, want, sizeof(want));
	else
		snprintf(want, sizeof(want), "%u", inv_n[t][s]);
	*bad += !!strcmp(got, want);
}

static int check_histograms(char *text)
{
	unsigned long long prev = 0;
	int bad = 0, buckets = 0;

	for (char *save, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, M_BUCKET, strlen(M_BUCKET)))
			buckets += !check_bucket(line, &prev, &bad);
		else if (strstr(line, "_seconds_sum{"))
			check_sum_count(line, true, &bad);
		else if (strstr(line, "_seconds_count{"))
			check_sum_count(line, false, &bad);
	}
	CHECK(buckets == INV_TYPES * STAGE_MAX * (PROM_LE_N + 1));
	return bad;
}

/* The value of the sample @series ("name{labels}") in @text, or -1. */
static long long sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, series, n) && l[n] == ' ')
			return strstr(series, "_sum{") ? (long long)seconds_ns(l + n + 1)
						       : strtoll(l + n + 1, NULL, 10);
	return -1;
}

/* Every sample of @before is in @after, and no counter went down. */
static int check_monotonic(const char *before, const char *after)
{
	char series[256];
	int bad = 0;

	for (const char *l = before; *l; l = strchr(l, '\n') + 1) {
		const char *sp = strchr(l, ' '), *nl = strchr(l, '\n');

		if (*l != '#' && sp && sp < nl && (size_t)(sp - l) < sizeof(series)) {
			memcpy(series, l, (size_t)(sp - l));
			series[sp - l] = '\0';
			bad += sample(after, series) < sample(before, series);
		}
	}
	return bad;
}

static void test_invariants(void)
{
	struct fix p;
	char *a, *b, *copy;

	fix_init(&p);
	add_random(&p, 1000);
	a = render(&p);
	copy = strdup(a);
	CHECK(check_histograms(copy) == 0);
	free(copy);
	/* what a -i reset of the terminal statistics must not do to these */
	add_random(&p, 1000);
	p.info.nl_overruns = 5;
	p.info.ringbuf_drops = 7;
	b = render(&p);
	CHECK(check_monotonic(a, b) == 0);
	CHECK(sample(b, "mptcp_evlat_ringbuf_drops_total") == 7);
	copy = strdup(b);
	CHECK(check_histograms(copy) == 0);
	free(copy);
	free(a);
	free(b);
	fix_free(&p);
}

static void test_escaping(void)
{
	char want[256], *got;
	struct fix p;

	fix_init(&p);
	snprintf(p.kernel, sizeof(p.kernel), "a\"b\\c\nd");
	got = render(&p);
	snprintf(want, sizeof(want),
		 "\nmptcp_evlat_build_info{version=\"%s\",kernel=\"a\\\"b\\\\c\\nd\"} 1\n",
		 EVLAT_VERSION);
	CHECK(strstr(got, want) != NULL);
	free(got);
	fix_free(&p);
}

/* --genl-only, nothing seen yet: no empty families, no probes, counters at 0 */
static void test_empty(void)
{
	char *got;
	struct fix p;

	fix_init(&p); /* info.probes NULL: --genl-only */
	got = render(&p);
	CHECK(strstr(got, "mptcp_evlat_build_info{") != NULL);
	CHECK(strstr(got, "probe_attached") == NULL);
	CHECK(strstr(got, "events_total") == NULL);
	CHECK(strstr(got, "latency_seconds") == NULL);
	CHECK(strstr(got, "\nmptcp_evlat_netlink_overruns_total 0\n") != NULL);
	free(got);
	add(&p, 2, ST_RECEIVED, 0, 0, 0);
	got = render(&p);
	CHECK(strstr(got,
		     "mptcp_evlat_events_total{event=\"established\",status=\"received\"} 1\n"));
	CHECK(strstr(got, "latency_seconds") == NULL);
	free(got);
	fix_free(&p);
}

static void test_render_buf(void)
{
	char small[11];
	struct fix p;
	ssize_t n;

	small_case(&p);
	n = prom_render_buf(&p.rep.total, &p.info, small, sizeof(small));
	CHECK(n > 10000);
	CHECK_STR(small, "# HELP mpt");
	fix_free(&p);
}

static int dir_entries(const char *dir, char *names, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	names[0] = '\0';
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		snprintf(names + strlen(names), size - strlen(names), "%s ", e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

/* A reader holding the old file keeps it whole: the new one is a new inode, renamed over it. */
static void check_replace(struct fix *p, const char *path)
{
	char *old = render(p), *now, *got, *held = calloc(1, 1 << 16);
	struct stat st1, st2;
	FILE *reader = fopen(path, "r");

	CHECK(reader && stat(path, &st1) == 0);
	add(p, 1, ST_DELIVERED, 1500, 256, 1244);
	CHECK(prom_write_textfile(path, &p->rep.total, &p->info) == 0);
	CHECK(stat(path, &st2) == 0 && st2.st_ino != st1.st_ino);
	now = render(p);
	got = slurp(path);
	CHECK_STR(got, now);
	if (reader && held) {
		held[fread(held, 1, (1 << 16) - 1, reader)] = '\0';
		CHECK_STR(held, old);
		fclose(reader);
	}
	free(old);
	free(now);
	free(got);
	free(held);
}

static void test_textfile(void)
{
	char dir[] = "/tmp/test_prom.XXXXXX", path[PATH_MAX], bad[PATH_MAX], tmp[PATH_MAX];
	char names[256], *got, *want;
	struct fix p;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/mptcp_evlat.prom", dir);
	small_case(&p);
	CHECK(prom_write_textfile(path, &p.rep.total, &p.info) == 0);
	got = slurp(path);
	want = render(&p);
	CHECK_STR(got, want);
	free(got);
	free(want);
	check_replace(&p, path);
	CHECK(dir_entries(dir, names, sizeof(names)) == 1);
	CHECK_STR(names, "mptcp_evlat.prom ");
	/* no directory: nothing written; a directory in the way: the temporary file removed */
	snprintf(bad, sizeof(bad), "%s/missing/x.prom", dir);
	CHECK(prom_write_textfile(bad, &p.rep.total, &p.info) == -ENOENT);
	CHECK(prom_write_textfile(dir, &p.rep.total, &p.info) == -EISDIR);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", dir, (int)getpid());
	CHECK(access(tmp, F_OK) != 0);
	CHECK(dir_entries(dir, names, sizeof(names)) == 1);
	unlink(path);
	rmdir(dir);
	fix_free(&p);
}

static void check_good_addr(const char *arg, int family, const char *addr, unsigned int port)
{
	struct sockaddr_storage ss;
	char buf[INET6_ADDRSTRLEN] = "";
	socklen_t len = 0;
	unsigned int got_port = 0;
	int err = httpd_parse_addr(arg, &ss, &len);

	if (!err && ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
		got_port = ntohs(sin->sin_port);
		CHECK(len == sizeof(*sin));
	} else if (!err && ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
		got_port = ntohs(sin6->sin6_port);
		CHECK(len == sizeof(*sin6));
	}
	if (err || ss.ss_family != family || strcmp(buf, addr) || got_port != port)
		fprintf(stderr, "parse '%s': err %d, family %d, '%s' port %u\n", arg, err,
			ss.ss_family, buf, got_port);
	CHECK(!err && ss.ss_family == family && !strcmp(buf, addr) && got_port == port);
}

static void test_parse_addr(void)
{
	static const struct {
		const char *arg;
		int err;
	} bad[] = {
		{ "0", -ERANGE },
		{ "65536", -ERANGE },
		{ "99999999999999999999", -ERANGE },
		{ "127.0.0.1:0", -ERANGE },
		{ "[::1]:70000", -ERANGE },
		{ "abc", -EINVAL },
		{ "", -EINVAL },
		{ "9100x", -EINVAL },
		{ "+9100", -EINVAL },
		{ " 9100", -EINVAL },
		{ "-1", -EINVAL },
		{ "0x50", -EINVAL },
		{ "127.0.0.1:", -EINVAL },
		{ ":9100", -EINVAL },
		{ "1.2.3:9100", -EINVAL },
		{ "256.0.0.1:9100", -EINVAL },
		{ "localhost:9100", -EINVAL },
		{ "::1:9100", -EINVAL },
		{ "[::1]9100", -EINVAL },
		{ "[::1:9100", -EINVAL },
		{ "[]:9100", -EINVAL },
		{ "[127.0.0.1]:9100", -EINVAL },
		{ "[::1]:", -EINVAL },
		{ "[fe80::1%eth0]:9100", -EINVAL },
	};
	struct sockaddr_storage ss;
	socklen_t len;

	check_good_addr("9100", AF_INET, "127.0.0.1", 9100);
	check_good_addr("1", AF_INET, "127.0.0.1", 1);
	check_good_addr("65535", AF_INET, "127.0.0.1", 65535);
	check_good_addr("0.0.0.0:9100", AF_INET, "0.0.0.0", 9100);
	check_good_addr("192.0.2.7:09100", AF_INET, "192.0.2.7", 9100);
	check_good_addr("[::1]:9100", AF_INET6, "::1", 9100);
	check_good_addr("[::]:80", AF_INET6, "::", 80);
	check_good_addr("[2001:db8::42]:9100", AF_INET6, "2001:db8::42", 9100);
	check_good_addr("[::ffff:127.0.0.1]:9100", AF_INET6, "::ffff:127.0.0.1", 9100);
	CHECK(httpd_parse_addr(NULL, &ss, &len) == -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = httpd_parse_addr(bad[i].arg, &ss, &len);

		if (err != bad[i].err)
			fprintf(stderr, "parse '%s': %d, want %d\n", bad[i].arg, err, bad[i].err);
		CHECK(err == bad[i].err);
	}
}

int main(void)
{
	test_small_exact();
	test_seconds();
	test_invariants();
	test_escaping();
	test_empty();
	test_render_buf();
	test_textfile();
	test_parse_addr();
	return check_report("prom");
}
