/*
 * metrics.c -- what the supervisor knows, in the Prometheus text
 * exposition format 0.0.4: the answer of forkpool.metrics (admin.c) and of
 * GET /metrics (http.c).  Read-only: every figure is owned elsewhere
 * (stats.c, pool.c, dispatch.c, control.c) and read through its owner.
 *
 * Names are in base units (seconds, bytes) and counters end in _total.
 * Workers are labelled by slot, never by pid: a pid label would make a new
 * series at every respawn.  The text is built in memory for each scrape,
 * only as large as what there is to say: handlers that never had a call
 * have no series (a plug-in may bring up to 256 handlers).
 *
 * Histograms have an `le' bound at each power of two from 1 us to 2^32 us:
 * both bounds of the fine histogram (lib/hist.h) and a bucket boundary of
 * it, so each cumulative count is exact, not an estimate; factors of 2
 * (rather than 4) because histogram_quantile() interpolates within a
 * bucket, and within a factor of 4 it could not tell 5 ms from 15 ms.
 * 34 series a histogram; the fine percentiles are in forkpool.stats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "forkpool.h"
#include "buf.h"
#include "daemon.h"
#include "handlers.h"
#include "hist.h"
#include "metrics.h"
#include "pool.h"
#include "source.h"
#include "stats.h"

#define LE_MAXEXP	32	/* the last finite `le': 2^32 us */

_Static_assert(WX__COUNT <= sizeof(((struct counters *)0)->worker_exits) /
    sizeof(((struct counters *)0)->worker_exits[0]),
    "sv->cnt.worker_exits has a counter for each enum worker_exit");

/* printf at the end of b; a failure sets b->err, checked once at the end. */
static void __attribute__((format(printf, 2, 3)))
put(struct fp_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (b->err || fp_buf_reserve(b, 128) == -1)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt,
		    ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if (fp_buf_reserve(b, (size_t)n + 1) == -1)
			return;
	}
}

static void
family(struct fp_buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Microseconds as seconds, exactly: "%llu.%06llu". */
static void
put_us(struct fp_buf *b, uint64_t us)
{
	put(b, "%llu.%06llu", (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));
}

/* A family of one sample without labels. */
struct scalar {
	const char	*name;
	const char	*type;
	const char	*help;
	uint64_t	 v;
	int		 us;	/* v is in microseconds: written in seconds */
};

static void
put_scalars(struct fp_buf *b, const struct scalar *sc, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		family(b, sc[i].name, sc[i].type, sc[i].help);
		put(b, "%s ", sc[i].name);
		if (sc[i].us)
			put_us(b, sc[i].v);
		else
			put(b, "%llu", (unsigned long long)sc[i].v);
		put(b, "\n");
	}
}

/*
 * A label value as the format wants it: `\', `"' and newline escaped.
 * Handler names are plug-ins' choice (plugin.c bounds them today, but
 * that is not this file's guarantee); one that does not fit `len' is cut
 * before an escape, never inside one.
 */
static const char *
label(const char *s, char *buf, size_t len)
{
	size_t	 o = 0;

	for (; *s != '\0' && o + 3 <= len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			buf[o++] = '\\';
			buf[o++] = *s == '\n' ? 'n' : *s;
		} else
			buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * One histogram {handler=hq}: cumulative buckets at each power of two us,
 * +Inf, _sum and _count.  An `le' of 2^e us counts the values below 2^e
 * (integer microseconds: a run of 2^e us and a few ns is above the bound);
 * the fine buckets below fp_hist_index(2^e) hold exactly those.  Runs of
 * 2^32 us or more count in the last fine bucket, so in le="4294.967296".
 */
static void
put_hist(struct fp_buf *b, const char *name, const char *hq,
    const struct fp_hist *h)
{
	uint64_t	 cum = 0;
	uint32_t	 i = 0, end;
	int		 e;

	for (e = 0; e <= LE_MAXEXP; e++) {
		end = e < LE_MAXEXP ? fp_hist_index((uint64_t)1 << e) :
		    FP_HIST_BUCKETS;
		for (; i < end; i++)
			cum += h->b[i];
		put(b, "%s_bucket{handler=\"%s\",le=\"", name, hq);
		put_us(b, (uint64_t)1 << e);
		put(b, "\"} %llu\n", (unsigned long long)cum);
	}
	/* The buckets' total, so that +Inf and _count always agree. */
	put(b, "%s_bucket{handler=\"%s\",le=\"+Inf\"} %llu\n", name, hq,
	    (unsigned long long)cum);
	put(b, "%s_sum{handler=\"%s\"} ", name, hq);
	put_us(b, h->sum_us);
	put(b, "\n%s_count{handler=\"%s\"} %llu\n", name, hq,
	    (unsigned long long)cum);
}

/*
 * The per-handler families: forkpool_tasks_total into b, the wait and run
 * histograms into their own buffers, appended after it, so that each
 * handler's figures are fetched once.  0, or -1 out of memory.
 */
static int
put_handlers(struct fp_buf *b)
{
	static struct stats_handler sh;	/* 21 KiB: not on the stack */
	struct fp_buf	 bw, br;
	const char	*name;
	char		 hq[256];
	uint32_t	 h, n = handler_count();
	int		 code, rc = 0;

	memset(&bw, 0, sizeof(bw));
	memset(&br, 0, sizeof(br));
	family(b, "forkpool_tasks_total", "counter",
	    "Calls answered, by handler and outcome (ok or the error code).");
	family(&bw, "forkpool_task_wait_seconds", "histogram",
	    "Time from a call's acceptance to its start on a worker.");
	family(&br, "forkpool_task_run_seconds", "histogram",
	    "Time a handler ran, as its worker measured it.");
	for (h = 0; h < n; h++) {
		if ((name = handler_name(h)) == NULL ||
		    stats_handler_get(h, SW_ALL, &sh) == -1)
			continue;
		if (sh.calls == 0 && sh.wait.count == 0 && sh.run.count == 0)
			continue;
		label(name, hq, sizeof(hq));
		if (sh.ok > 0)
			put(b, "forkpool_tasks_total{handler=\"%s\","
			    "outcome=\"ok\"} %llu\n", hq,
			    (unsigned long long)sh.ok);
		for (code = 1; code < FP_E__COUNT; code++)
			if (sh.errors[code] > 0)
				put(b, "forkpool_tasks_total{handler=\"%s\","
				    "outcome=\"%s\"} %llu\n", hq,
				    fp_err_name(code),
				    (unsigned long long)sh.errors[code]);
		put_hist(&bw, "forkpool_task_wait_seconds", hq, &sh.wait);
		put_hist(&br, "forkpool_task_run_seconds", hq, &sh.run);
	}
	if (bw.err || br.err ||
	    fp_buf_append(b, fp_buf_head(&bw), fp_buf_unread(&bw)) == -1 ||
	    fp_buf_append(b, fp_buf_head(&br), fp_buf_unread(&br)) == -1)
		rc = -1;
	fp_buf_free(&bw);
	fp_buf_free(&br);
	return rc;
}

/* The workers by state, and each live one's resident memory by slot. */
static void
put_workers(struct fp_buf *b)
{
	static const char *const states[] = { "starting", "idle", "busy",
	    "retiring", "stopping" };
	uint64_t	 n[sizeof(states) / sizeof(states[0])];
	struct worker	*w;
	const char	*st;
	size_t		 k;
	int		 i;

	memset(n, 0, sizeof(n));
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (w->state == W_EMPTY || (st = pool_state_name(w)) == NULL)
			continue;
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			if (strcmp(st, states[k]) == 0)
				n[k]++;
	}
	family(b, "forkpool_workers", "gauge",
	    "Worker processes, by state.");
	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		put(b, "forkpool_workers{state=\"%s\"} %llu\n", states[k],
		    (unsigned long long)n[k]);

	family(b, "forkpool_worker_spawns_total", "counter",
	    "Worker processes started.");
	put(b, "forkpool_worker_spawns_total %llu\n",
	    (unsigned long long)sv->cnt.worker_spawns);
	family(b, "forkpool_worker_exits_total", "counter",
	    "Worker processes ended, by reason.");
	for (i = 0; i < WX__COUNT; i++)
		put(b, "forkpool_worker_exits_total{reason=\"%s\"} %llu\n",
		    pool_exit_name(i),
		    (unsigned long long)sv->cnt.worker_exits[i]);

	family(b, "forkpool_worker_resident_memory_bytes", "gauge",
	    "Resident memory of each live worker, by slot.");
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (w->state != W_EMPTY)
			put(b, "forkpool_worker_resident_memory_bytes"
			    "{slot=\"%d\"} %llu\n", w->slot,
			    (unsigned long long)pool_rss_bytes(w));
	}
}

/*
 * The sources (forkpool-streams(7)): a family a figure, a sample a
 * source.  Nothing when there is no source.
 */
static void
put_sources(struct fp_buf *b)
{
#define SF(f)	offsetof(struct source_figures, f), \
		sizeof(((struct source_figures *)0)->f)
	static const struct {
		const char	*name, *type, *help;
		size_t		 off, size;
	} fam[] = {
		{ "forkpool_source_read_total", "counter",
		    "Entries read from the stream (XREADGROUP).", SF(read) },
		{ "forkpool_source_claimed_total", "counter",
		    "Idle entries of other consumers claimed.", SF(claimed) },
		{ "forkpool_source_recovered_total", "counter",
		    "Entries of this consumer's own pending list taken back "
		    "on start or reconnect.", SF(recovered) },
		{ "forkpool_source_suppressed_total", "counter",
		    "Answers not written: the entry was answered already.",
		    SF(suppressed) },
		{ "forkpool_source_dead_lettered_total", "counter",
		    "Entries dead-lettered after max-deliveries.",
		    SF(dead_lettered) },
		{ "forkpool_source_lost_total", "counter",
		    "Entries Redis lost (trimmed while pending) or whose answer "
		    "could not be written.", SF(lost) },
		{ "forkpool_source_lease_renewals_total", "counter",
		    "Lease renewals of the entries held.", SF(lease_renewals) },
		{ "forkpool_source_leases_lost_total", "counter",
		    "Entries held here that another consumer had claimed.",
		    SF(leases_lost) },
		{ "forkpool_source_reads_skipped_total", "counter",
		    "Times reading stopped for want of room (backpressure).",
		    SF(reads_skipped) },
		{ "forkpool_source_reconnects_total", "counter",
		    "Connections to Redis lost or refused.", SF(reconnects) },
		{ "forkpool_source_answers_dropped_total", "counter",
		    "Answers that could not be kept (out of memory): their "
		    "entries stay pending and run again.", SF(answers_dropped) },
		{ "forkpool_source_inflight", "gauge",
		    "Entries held: queued, running or being answered.",
		    SF(inflight) },
		{ "forkpool_source_answers_buffered", "gauge",
		    "Answers waiting to be written to Redis.",
		    SF(answers_buffered) },
		{ "forkpool_source_up", "gauge",
		    "1 if the source reads entries, else 0.", SF(up) },
	};
#undef SF
	struct source_figures sf;
	char		 q[256];
	uint64_t	 v;
	size_t		 k;
	int		 i, code, n = source_count();

	if (n == 0)
		return;
	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		family(b, fam[k].name, fam[k].type, fam[k].help);
		for (i = 0; i < n; i++) {
			source_figures(i, &sf);
			v = 0;
			if (fam[k].size == sizeof(uint64_t))
				memcpy(&v, (char *)&sf + fam[k].off, 8);
			else if (fam[k].size == sizeof(uint32_t)) {
				uint32_t u;

				memcpy(&u, (char *)&sf + fam[k].off, 4);
				v = u;
			}
			label(sf.name, q, sizeof(q));
			put(b, "%s{source=\"%s\"} %llu\n", fam[k].name, q,
			    (unsigned long long)v);
		}
	}
	family(b, "forkpool_source_answered_total", "counter",
	    "Entries answered, by outcome (ok or the error code).");
	for (i = 0; i < n; i++) {
		source_figures(i, &sf);
		label(sf.name, q, sizeof(q));
		for (code = 0; code < FP_E__COUNT; code++)
			if (code == FP_OK || sf.answered[code] > 0)
				put(b, "forkpool_source_answered_total{source="
				    "\"%s\",outcome=\"%s\"} %llu\n", q,
				    code == FP_OK ? "ok" : fp_err_name(code),
				    (unsigned long long)sf.answered[code]);
	}
	family(b, "forkpool_source_rtt_seconds", "gauge",
	    "Round trip of the source's last command to Redis.");
	for (i = 0; i < n; i++) {
		source_figures(i, &sf);
		label(sf.name, q, sizeof(q));
		put(b, "forkpool_source_rtt_seconds{source=\"%s\"} ", q);
		put_us(b, sf.rtt_us);
		put(b, "\n");
	}
}

int
metrics_render(struct fp_buf *b, uint64_t now_ns)
{
	struct stats_totals tot;

	stats_totals_get(now_ns, &tot);

	family(b, "forkpool_build_info", "gauge",
	    "Always 1: the version of the running forkpoold.");
	put(b, "forkpool_build_info{version=\"%s\"} 1\n", FP_VERSION);
	family(b, "forkpool_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the Epoch.");
	put(b, "forkpool_start_time_seconds %.3f\n", sv->started_wall);

	if (put_handlers(b) == -1)
		b->err = 1;
	put_workers(b);
	const struct scalar sc[] = {
		{ "forkpool_tasks_retried_total", "counter",
		    "Tasks run again because the worker that ran them died or "
		    "was stopped under them.", sv->cnt.tasks_retried, 0 },
		{ "forkpool_tasks_revoked_total", "counter",
		    "Prefetched tasks taken back from a worker before it started "
		    "them, for an idle worker.", sv->cnt.tasks_revoked, 0 },
		{ "forkpool_slow_tasks_total", "counter",
		    "Entries written to the slow-task log (slowlog-threshold).",
		    tot.slowlog_total, 0 },
		{ "forkpool_queued_tasks", "gauge",
		    "Tasks waiting in the queue for a worker.", sv->nqueued, 0 },
		{ "forkpool_oldest_running_task_seconds", "gauge",
		    "How long the longest task in flight has run; 0 if none.",
		    tot.oldest_running_us, 1 },
		{ "forkpool_connections", "gauge",
		    "Client connections open on the socket.", sv->nconns, 0 },
		{ "forkpool_connections_refused_total", "counter",
		    "Client connections closed at once: max-connections or "
		    "max-connections-per-user reached, or no memory for them.",
		    sv->cnt.conns_refused, 0 },
		{ "forkpool_log_records_dropped_total", "counter",
		    "Workers' log lines lost: their log ring was full, or the "
		    "limit of lines a second per worker left them out.",
		    tot.log_dropped, 0 },
		{ "forkpool_worker_claims_refused_total", "counter",
		    "Folds of a worker's stats block refused: it claimed what "
		    "cannot be.", tot.claims_refused, 0 },
		{ "forkpool_bytes_received_total", "counter",
		    "Bytes read from client sockets.",
		    sv->cnt.bytes_received, 0 },
		{ "forkpool_bytes_sent_total", "counter",
		    "Bytes written to client sockets.", sv->cnt.bytes_sent, 0 },
		{ "forkpool_bytes_copied_total", "counter",
		    "Payload bytes copied in memory by the supervisor and the "
		    "workers (params, results, ring records).",
		    sv->cnt.bytes_copied + tot.copy_bytes, 0 },
	};
	put_scalars(b, sc, sizeof(sc) / sizeof(sc[0]));
	put_sources(b);
	return b->err ? -1 : 0;
}
