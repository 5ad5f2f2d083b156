// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus text exposition, format 0.0.4: "# HELP" and "# TYPE" before
 * each metric family, label values escaped (\\, \", \n), histogram buckets
 * cumulative and ending with le="+Inf".
 *
 * Seconds are printed as exact decimals from integer nanoseconds (2^8 ns is
 * "0.000000256"): no float formatting, so a bucket's le string never changes
 * between scrapes, versions or libcs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "prom.h"

#ifndef EVLAT_VERSION
#define EVLAT_VERSION "unknown"
#endif

#define NS_PER_SEC 1000000000ULL
#define M_LATENCY  "mptcp_evlat_event_latency_seconds"

void prom_init(struct prom *p)
{
	struct utsname u;

	memset(p, 0, sizeof(*p));
	if (!uname(&u))
		snprintf(p->kernel, sizeof(p->kernel), "%s", u.release);
}

void prom_free(struct prom *p)
{
	for (int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		free(p->ev[t]);
		p->ev[t] = NULL;
	}
}

static struct prom_event *get(struct prom *p, unsigned int type)
{
	if (type >= EVLAT_EVENT_TYPES)
		return NULL;
	if (!p->ev[type])
		p->ev[type] = calloc(1, sizeof(*p->ev[type]));
	return p->ev[type];
}

/*
 * Index of the first bucket whose le (2^k ns) is >= @ns. The terminal's log2
 * slot i is [2^i, 2^(i+1)); here a value of exactly 2^k ns goes to le = 2^k,
 * one slot lower, because Prometheus' le means "less than or equal".
 */
static unsigned int le_index(__u64 ns)
{
	unsigned int k;

	if (ns <= 1ULL << PROM_LE_MIN_LOG2)
		return 0;
	k = 64 - __builtin_clzll(ns - 1); /* ceil(log2(ns)) */
	return k > PROM_LE_MAX_LOG2 ? PROM_LE_N : k - PROM_LE_MIN_LOG2;
}

static void hist_put(struct prom_hist *h, __u64 ns)
{
	h->count++;
	h->sum_ns += ns;
	h->le[le_index(ns)]++;
}

int prom_accumulate(struct prom *p, const struct evlat_event *ev)
{
	struct prom_event *pe = get(p, ev->type);

	if (!pe)
		return -ENOMEM;
	if ((unsigned int)ev->status < ST_MAX)
		pe->status[ev->status]++;
	for (int i = 0; i < STAGE_MAX; i++)
		if (ev->have_stage[i])
			hist_put(&pe->stage[i], ev->stage_ns[i]);
	return 0;
}

int prom_add_count(struct prom *p, unsigned int type, enum evlat_status status,
		   unsigned long long n)
{
	struct prom_event *pe;

	if (!n || type >= EVLAT_EVENT_TYPES || (unsigned int)status >= ST_MAX)
		return 0;
	pe = get(p, type);
	if (!pe)
		return -ENOMEM;
	pe->status[status] += n;
	return 0;
}

/* A counter that went down would read as a process restart: keep the largest value seen. */
void prom_set_counts(struct prom *p, unsigned long long nl_overruns,
		     unsigned long long ringbuf_drops)
{
	if (nl_overruns > p->nl_overruns)
		p->nl_overruns = nl_overruns;
	if (ringbuf_drops > p->ringbuf_drops)
		p->ringbuf_drops = ringbuf_drops;
}

void prom_set_probes(struct prom *p, const struct probe_set *ps)
{
	p->n_probes = 0;
	for (int i = 0; ps && i < ps->n && i < PROBES_MAX; i++) {
		struct prom_probe *pp = &p->probes[p->n_probes++];

		pp->name = ps->p[i].name;
		pp->attached = ps->p[i].state == PROBE_ATTACHED;
		pp->mode = pp->attached ? probe_mode_name(ps->p[i].mode) : "none";
	}
}

const char *prom_seconds(unsigned long long ns, char *buf, size_t size)
{
	unsigned long long frac = ns % NS_PER_SEC;
	int n;

	if (!frac) {
		snprintf(buf, size, "%llu", ns / NS_PER_SEC);
		return buf;
	}
	n = snprintf(buf, size, "%llu.%09llu", ns / NS_PER_SEC, frac);
	if (n > 0 && (size_t)n < size)
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
	return buf;
}

static void put_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* sep name="value": a kernel release or a future event name may hold anything */
static void put_label(FILE *f, char sep, const char *name, const char *value)
{
	fprintf(f, "%c%s=\"", sep, name);
	for (; *value; value++) {
		if (*value == '\\')
			fputs("\\\\", f);
		else if (*value == '"')
			fputs("\\\"", f);
		else if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputc('"', f);
}

static void put_build_info(FILE *f, const struct prom *p)
{
	put_family(f, "mptcp_evlat_build_info", "gauge",
		   "mptcp-evlat version and the kernel release it runs on; always 1");
	fputs("mptcp_evlat_build_info", f);
	put_label(f, '{', "version", EVLAT_VERSION);
	put_label(f, ',', "kernel", p->kernel);
	fputs("} 1\n", f);
}

static void put_probes(FILE *f, const struct prom *p)
{
	if (!p->n_probes)
		return; /* --genl-only: nothing to attach */
	put_family(f, "mptcp_evlat_probe_attached", "gauge",
		   "1 when the probe is attached (mode fentry or kprobe), 0 when its kernel "
		   "function is missing or refused (mode none)");
	for (int i = 0; i < p->n_probes; i++) {
		fputs("mptcp_evlat_probe_attached", f);
		put_label(f, '{', "probe", p->probes[i].name);
		put_label(f, ',', "mode", p->probes[i].mode);
		fprintf(f, "} %d\n", p->probes[i].attached);
	}
}

static bool has_events(const struct prom *p)
{
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (p->ev[t])
			return true;
	return false;
}

/* Every status of a type once the type is seen: an alert on a rate needs the series at 0. */
static void put_events(FILE *f, const struct prom *p)
{
	char lbl[16];

	if (!has_events(p))
		return; /* a family with no sample says nothing */
	put_family(f, "mptcp_evlat_events_total", "counter",
		   "MPTCP path-manager events by type and what became of them (README: status)");
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		if (!p->ev[t])
			continue;
		for (int st = 0; st < ST_MAX; st++) {
			fputs("mptcp_evlat_events_total", f);
			put_label(f, '{', "event", event_label(t, lbl, sizeof(lbl)));
			put_label(f, ',', "status", status_name(st));
			fprintf(f, "} %llu\n", p->ev[t]->status[st]);
		}
	}
}

static void put_series(FILE *f, const char *suffix, const char *event, const char *stage)
{
	fprintf(f, M_LATENCY "%s", suffix);
	put_label(f, '{', "event", event);
	put_label(f, ',', "stage", stage);
}

static void put_hist(FILE *f, const char *event, const char *stage, const struct prom_hist *h)
{
	unsigned long long cum = 0;
	char s[32];

	for (int j = 0; j < PROM_LE_N; j++) {
		cum += h->le[j];
		put_series(f, "_bucket", event, stage);
		put_label(f, ',', "le", prom_seconds(1ULL << (PROM_LE_MIN_LOG2 + j), s, sizeof(s)));
		fprintf(f, "} %llu\n", cum);
	}
	put_series(f, "_bucket", event, stage);
	fprintf(f, ",le=\"+Inf\"} %llu\n", h->count);
	put_series(f, "_sum", event, stage);
	fprintf(f, "} %s\n", prom_seconds(h->sum_ns, s, sizeof(s)));
	put_series(f, "_count", event, stage);
	fprintf(f, "} %llu\n", h->count);
}

static bool has_latency(const struct prom_event *pe)
{
	for (int i = 0; pe && i < STAGE_MAX; i++)
		if (pe->stage[i].count)
			return true;
	return false;
}

static bool any_latency(const struct prom *p)
{
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (has_latency(p->ev[t]))
			return true;
	return false;
}

/* A type's three stages appear together with its first latency (never with --genl-only). */
static void put_latency(FILE *f, const struct prom *p)
{
	char lbl[16];

	if (!any_latency(p))
		return;
	put_family(f, M_LATENCY, "histogram",
		   "Latency of delivered events: kernel hook to our netlink receive (stage total), "
		   "hook to multicast send (kernel), send to receive (delivery)");
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		if (!has_latency(p->ev[t]))
			continue;
		for (int i = 0; i < STAGE_MAX; i++)
			put_hist(f, event_label(t, lbl, sizeof(lbl)), stage_name(i),
				 &p->ev[t]->stage[i]);
	}
}

static void put_counter(FILE *f, const char *name, const char *help, unsigned long long v)
{
	put_family(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, v);
}

int prom_render(const struct prom *p, FILE *f)
{
	put_build_info(f, p);
	put_probes(f, p);
	put_events(f, p);
	put_latency(f, p);
	put_counter(f, "mptcp_evlat_netlink_overruns_total",
		    "Overruns (ENOBUFS) of our mptcp_pm_events netlink socket: events were lost",
		    p->nl_overruns);
	put_counter(f, "mptcp_evlat_ringbuf_drops_total",
		    "Kernel records the BPF ring buffer had no room for", p->ringbuf_drops);
	return ferror(f) ? -EIO : 0;
}

ssize_t prom_render_buf(const struct prom *p, char *buf, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int err;

	if (!f)
		return -ENOMEM;
	err = prom_render(p, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (!err && size) {
		size_t n = len < size ? len : size - 1;

		memcpy(buf, text, n);
		buf[n] = '\0';
	}
	free(text);
	return err ? err : (ssize_t)len;
}

/* Render into @fd and make it durable: a rename of unsynced data can leave an empty file. */
static int write_synced(const struct prom *p, int fd)
{
	FILE *f = fdopen(fd, "w");
	int err;

	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	err = prom_render(p, f);
	if (!err && fflush(f))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/*
 * The temporary name does not end in ".prom": node_exporter's textfile
 * collector reads *.prom only, so it never sees a file being written.
 */
int prom_write_textfile(const struct prom *p, const char *path)
{
	char tmp[PATH_MAX];
	int fd, err, n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* a leftover of a killed run with our pid; O_EXCL then refuses a planted symlink */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = write_synced(p, fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
