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

#include "names.h"
#include "probes.h"
#include "prom.h"

#ifndef EVLAT_VERSION
#define EVLAT_VERSION "unknown"
#endif

#define NS_PER_SEC 1000000000ULL
#define M_LATENCY  "mptcp_evlat_event_latency_seconds"
#define M_CONSUMER "mptcp_evlat_consumer_latency_seconds"

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

static void put_build_info(FILE *f, const struct run_info *info)
{
	put_family(f, "mptcp_evlat_build_info", "gauge",
		   "mptcp-evlat version and the kernel release it runs on; always 1");
	fputs("mptcp_evlat_build_info", f);
	put_label(f, '{', "version", EVLAT_VERSION);
	put_label(f, ',', "kernel", info->kernel ? info->kernel : "");
	fputs("} 1\n", f);
}

static void put_probes(FILE *f, const struct probe_set *ps)
{
	if (!ps)
		return; /* --genl-only: nothing to attach */
	put_family(f, "mptcp_evlat_probe_attached", "gauge",
		   "1 when the probe is attached (mode fentry or kprobe), 0 when its kernel "
		   "function is missing or refused (mode none)");
	for (int i = 0; i < PROBE_NR; i++) {
		const struct probe *p = &ps->p[i];
		bool on = p->state == PROBE_ATTACHED;

		if (!p->name)
			continue; /* a set not filled by probes_select() */
		fputs("mptcp_evlat_probe_attached", f);
		put_label(f, '{', "probe", p->name);
		put_label(f, ',', "mode", on ? probe_mode_name(p->mode) : "none");
		fprintf(f, "} %d\n", on);
	}
}

static void put_misses(FILE *f, const struct probe_set *ps)
{
	if (!ps)
		return;
	put_family(f, "mptcp_evlat_probe_misses_total", "counter",
		   "Calls of the probed kernel function the kernel ran no program for (recursion "
		   "or preemption inside the program): their records are missing");
	for (int i = 0; i < PROBE_NR; i++) {
		if (!ps->p[i].name)
			continue;
		fputs("mptcp_evlat_probe_misses_total", f);
		put_label(f, '{', "probe", ps->p[i].name);
		fprintf(f, "} %llu\n", ps->p[i].misses);
	}
}

static bool has_events(const struct report_view *v)
{
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (v->ev[t])
			return true;
	return false;
}

/* Every status of a type once the type is seen: an alert on a rate needs the series at 0. */
static void put_events(FILE *f, const struct report_view *v)
{
	char lbl[16];

	if (!has_events(v))
		return; /* a family with no sample says nothing */
	put_family(f, "mptcp_evlat_events_total", "counter",
		   "MPTCP path-manager events by type and what became of them (README: status)");
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		if (!v->ev[t])
			continue;
		for (int st = 0; st < ST_MAX; st++) {
			fputs("mptcp_evlat_events_total", f);
			put_label(f, '{', "event", event_label(t, lbl, sizeof(lbl)));
			put_label(f, ',', "status", status_name(st));
			fprintf(f, "} %llu\n", v->ev[t]->status[st]);
		}
	}
}

static void put_series(FILE *f, const char *suffix, const char *event, const char *stage)
{
	fprintf(f, M_LATENCY "%s", suffix);
	put_label(f, '{', "event", event);
	put_label(f, ',', "stage", stage);
}

/* Cumulative buckets le = 2^k ns, exact: the histogram counts values by ceil(log2) */
static void put_hist(FILE *f, const char *event, const char *stage, const struct hist *h)
{
	char s[32];

	for (int j = 0; j < PROM_LE_N; j++) {
		put_series(f, "_bucket", event, stage);
		put_label(f, ',', "le", prom_seconds(1ULL << (PROM_LE_MIN_LOG2 + j), s, sizeof(s)));
		fprintf(f, "} %llu\n",
			(unsigned long long)hist_count_le_pow2(h, PROM_LE_MIN_LOG2 + j));
	}
	put_series(f, "_bucket", event, stage);
	fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
	put_series(f, "_sum", event, stage);
	fprintf(f, "} %s\n", prom_seconds(h->sum, s, sizeof(s)));
	put_series(f, "_count", event, stage);
	fprintf(f, "} %llu\n", (unsigned long long)h->count);
}

static bool has_latency(const struct report_type *t)
{
	for (int i = 0; t && i < STAGE_MAX; i++)
		if (t->stage[i].count)
			return true;
	return false;
}

static bool any_latency(const struct report_view *v)
{
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++)
		if (has_latency(v->ev[t]))
			return true;
	return false;
}

/* A type's three stages appear together with its first latency (never with --genl-only). */
static void put_latency(FILE *f, const struct report_view *v)
{
	char lbl[16];

	if (!any_latency(v))
		return;
	put_family(f, M_LATENCY, "histogram",
		   "Latency of delivered events: kernel hook to our netlink receive (stage total), "
		   "hook to multicast send (kernel), send to receive (delivery)");
	for (unsigned int t = 0; t < EVLAT_EVENT_TYPES; t++) {
		if (!has_latency(v->ev[t]))
			continue;
		for (int i = 0; i < STAGE_MAX; i++)
			put_hist(f, event_label(t, lbl, sizeof(lbl)), stage_name(i),
				 &v->ev[t]->stage[i]);
	}
}

/*
 * Consumers by comm, not by pid or socket: a label per pid would make a new
 * series at every restart of the path manager (unbounded over time), while
 * the programs that subscribe are few and are what an alert is about. Our
 * own socket is comm "mptcp-evlat".
 */
static const char *consumer_comm(const struct consumer *c)
{
	return c->comm[0] ? c->comm : "unknown";
}

/* Whether consumer @i is the first of its comm in @v (the one that renders them all) */
static bool first_of_comm(const struct report_view *v, unsigned int i)
{
	for (unsigned int j = 0; j < i; j++)
		if (!strcmp(consumer_comm(v->cons[j]->c), consumer_comm(v->cons[i]->c)))
			return false;
	return true;
}

/* Every consumer of @comm merged into @sum */
static void merge_comm(const struct report_view *v, const char *comm, struct report_consumer *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int i = 0; i < v->ncons; i++) {
		if (strcmp(consumer_comm(v->cons[i]->c), comm))
			continue;
		for (int st = 0; st < DS_MAX; st++)
			sum->status[st] += v->cons[i]->status[st];
		for (int s = 0; s < DST_MAX; s++)
			hist_merge(&sum->stage[s], &v->cons[i]->stage[s]);
	}
}

static void put_consumer_hist(FILE *f, const char *comm, const char *stage, const struct hist *h)
{
	char s[32];

	for (int j = 0; j <= PROM_LE_N; j++) {
		fputs(M_CONSUMER "_bucket", f);
		put_label(f, '{', "comm", comm);
		put_label(f, ',', "stage", stage);
		if (j < PROM_LE_N)
			put_label(f, ',', "le",
				  prom_seconds(1ULL << (PROM_LE_MIN_LOG2 + j), s, sizeof(s)));
		else
			fputs(",le=\"+Inf\"", f);
		fprintf(f, "} %llu\n",
			j < PROM_LE_N
				? (unsigned long long)hist_count_le_pow2(h, PROM_LE_MIN_LOG2 + j)
				: (unsigned long long)h->count);
	}
	fputs(M_CONSUMER "_sum", f);
	put_label(f, '{', "comm", comm);
	put_label(f, ',', "stage", stage);
	fprintf(f, "} %s\n", prom_seconds(h->sum, s, sizeof(s)));
	fputs(M_CONSUMER "_count", f);
	put_label(f, '{', "comm", comm);
	put_label(f, ',', "stage", stage);
	fprintf(f, "} %llu\n", (unsigned long long)h->count);
}

static void put_consumers(FILE *f, const struct report_view *v)
{
	struct report_consumer *sum;

	if (!v->ncons || !(sum = malloc(sizeof(*sum))))
		return;
	put_family(f, "mptcp_evlat_consumer_events_total", "counter",
		   "Event messages per subscriber of mptcp_pm_events, by the subscribing "
		   "program's comm: read, lost_overrun (its socket was full), unread");
	for (unsigned int i = 0; i < v->ncons; i++) {
		const char *comm = consumer_comm(v->cons[i]->c);

		if (!first_of_comm(v, i))
			continue;
		merge_comm(v, comm, sum);
		for (int st = 0; st < DS_MAX; st++) {
			fputs("mptcp_evlat_consumer_events_total", f);
			put_label(f, '{', "comm", comm);
			put_label(f, ',', "status", delivery_status_name(st));
			fprintf(f, "} %llu\n", sum->status[st]);
		}
	}
	put_family(f, M_CONSUMER, "histogram",
		   "Per subscribing program (comm): multicast send to queued in its socket "
		   "(stage queue), queued to read by it (read), kernel hook to read (total)");
	for (unsigned int i = 0; i < v->ncons; i++) {
		const char *comm = consumer_comm(v->cons[i]->c);

		if (!first_of_comm(v, i))
			continue;
		merge_comm(v, comm, sum);
		for (int s = 0; s < DST_MAX; s++)
			put_consumer_hist(f, comm, delivery_stage_name(s), &sum->stage[s]);
	}
	free(sum);
}

static void put_counter(FILE *f, const char *name, const char *help, unsigned long long v)
{
	put_family(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, v);
}

int prom_render(FILE *f, const struct report_view *v, const struct run_info *info)
{
	put_build_info(f, info);
	put_probes(f, info->probes);
	put_misses(f, info->probes);
	put_events(f, v);
	put_latency(f, v);
	put_consumers(f, v);
	put_counter(f, "mptcp_evlat_netlink_overruns_total",
		    "Overruns (ENOBUFS) of our mptcp_pm_events netlink socket: events were lost",
		    info->nl_overruns);
	put_counter(f, "mptcp_evlat_ringbuf_drops_total",
		    "Kernel records the BPF ring buffer had no room for", info->ringbuf_drops);
	return ferror(f) ? -EIO : 0;
}

ssize_t prom_render_buf(const struct report_view *v, const struct run_info *info, char *buf,
			size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int err;

	if (!f)
		return -ENOMEM;
	err = prom_render(f, v, info);
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
static int write_synced(const struct report_view *v, const struct run_info *info, int fd)
{
	FILE *f = fdopen(fd, "w");
	int err;

	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	err = prom_render(f, v, info);
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
int prom_write_textfile(const char *path, const struct report_view *v, const struct run_info *info)
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
	err = write_synced(v, info, fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
