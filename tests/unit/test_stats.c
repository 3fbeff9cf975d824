/*
 * test_stats.c -- src/stats.c without a daemon: calls counted by handler
 * and code, the wait and end-to-end histograms, the 1m and 5m windows as
 * 10 s intervals close, the slow-task log's order, bound and reset, and
 * the folding of a worker's block: its deltas added once, a block that
 * claims too much refused (and not counted later either: more runs than
 * the supervisor's results and held tasks, buckets heavier than the run
 * time, run time past the process's age read at the fold), the task in
 * flight read from it only when it is one the supervisor gave that
 * worker; the slow-task log's correlation ids cut whole; where a task
 * answered without a run was.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "daemon.h"
#include "handlers.h"
#include "hist.h"
#include "log.h"
#include "pool.h"
#include "stats.h"
#include "tasks.h"
#include "wire.h"

#define MS	1000000ULL
#define S	1000000000ULL

static struct stats_handler sh;

/* Whether s is valid UTF-8 (what a MessagePack str must hold). */
static int
utf8_ok(const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t		 k, i;

	while (*s != 0) {
		k = *s < 0x80 ? 1 : *s >= 0xc2 && *s < 0xe0 ? 2 :
		    *s >= 0xe0 && *s < 0xf0 ? 3 : *s >= 0xf0 && *s < 0xf5 ?
		    4 : 0;
		if (k == 0)
			return 0;
		for (i = 1; i < k; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		s += k;
	}
	return 1;
}

/*
 * A slow task with correlation id `raw' (n bytes, quoted as tasks.c
 * does): the slow-task log's copy, which must be whole: valid UTF-8, a
 * quoted value closed, no escape cut, and a prefix of the full value.
 */
static const char *
slow_corr(const void *raw, size_t n)
{
	static const uint8_t params[] = { 0x90 };
	struct task	 t;
	struct task_run	 r = { 0, 4242, 1, 60 * MS };
	const char	*c;
	size_t		 m, i;

	memset(&t, 0, sizeof(t));
	t.worker = 0;
	t.params = (uint8_t *)params;
	t.plen = sizeof(params);
	t.handler = 0;
	CHECK(task_set_corr(&t, raw, n) == 0);
	stats_task_done(&t, FP_OK, &r, 2 * S);
	CHECK(stats_slowlog(0) != NULL);
	c = stats_slowlog(0)->corr;
	m = strlen(c);
	CHECK(m > 0 && m < SLOWLOG_CORR_MAX);
	CHECK(utf8_ok(c));
	if (t.corr[0] == '"') {
		CHECK(m >= 2 && c[0] == '"' && c[m - 1] == '"');
		/* The inside is a prefix of the full value's, whole escapes. */
		CHECK(strncmp(c, t.corr, m - 1) == 0);
		for (i = 1; i < m - 1; i++)
			if (c[i] == '\\') {
				CHECK(i + 1 < m - 1);
				i += c[i + 1] == 'x' ? 3 : c[i + 1] == 'u' ? 5 : 1;
				CHECK(i < m - 1);
			}
	} else
		CHECK(strncmp(c, t.corr, m) == 0);
	free(t.corr);
	return c;
}

static void
done(uint32_t h, int code, uint64_t enq, uint64_t start, uint64_t run_ns,
    uint64_t now)
{
	static const uint8_t params[] = { 0x91, 0x05 };
	struct task	 t;
	struct task_run	 r = { 0, 4242, start, run_ns };

	memset(&t, 0, sizeof(t));
	t.handler = (uint16_t)h;
	t.enqueued_ns = enq;
	t.worker = 0;
	t.attempts = 1;
	t.params = (uint8_t *)params;
	t.plen = sizeof(params);
	stats_task_done(&t, code, start ? &r : NULL, now);
}

static uint64_t
calls(uint32_t h, enum stats_window w)
{
	CHECK(stats_handler_get(h, w, &sh) == 0);
	return sh.calls;
}

int
main(void)
{
	struct worker	 w;
	struct wstats_handler *bh;
	struct stats_worker sw;
	struct stats_totals st;
	uint64_t	 t0, now;
	uint32_t	 echo, slp, nh;
	int		 i;

	log_init(1, LOG_LVL_WARNING, "test_stats");
	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		return 1;
	config_defaults(&sv->conf);
	sv->conf.task_log = FP_TASKLOG_NONE;
	handlers_init(0);
	echo = (uint32_t)handler_lookup("echo", 4);
	slp = (uint32_t)handler_lookup("sleep", 5);
	nh = handler_count();
	CHECK(stats_init() == 0);
	t0 = fp_now_ns();
	now = t0;

	/* Counts, codes, wait (enqueued -> started), end to end. */
	done(echo, FP_OK, now, now + 2 * MS, 5 * MS, now + 8 * MS);
	done(echo, FP_E_INVALID_PARAMS, now, now + 1 * MS, MS, now + 3 * MS);
	done(echo, FP_E_TIMEOUT, now, 0, 0, now + 9 * MS);
	stats_rejected(echo, FP_E_CIRCUIT_OPEN, now);
	CHECK(stats_handler_get(echo, SW_ALL, &sh) == 0);
	CHECK(sh.calls == 4 && sh.ok == 1 && sh.failed == 3);
	CHECK(sh.errors[FP_E_INVALID_PARAMS] == 1 &&
	    sh.errors[FP_E_TIMEOUT] == 1 && sh.errors[FP_E_CIRCUIT_OPEN] == 1);
	CHECK(sh.wait.count == 2 && fp_hist_max(&sh.wait) >= 2000 &&
	    fp_hist_max(&sh.wait) < 2100);
	CHECK(sh.e2e.count == 3 && fp_hist_max(&sh.e2e) >= 9000 &&
	    fp_hist_max(&sh.e2e) < 9300);
	CHECK(calls(slp, SW_ALL) == 0);
	CHECK(stats_handler_get(nh, SW_ALL, &sh) == -1);
	/* A fresh daemon's 1m and 5m are "all". */
	CHECK(calls(echo, SW_1M) == 4 && calls(echo, SW_5M) == 4);
	CHECK(stats_window_parse("1m", 2) == SW_1M &&
	    stats_window_parse("5m", 2) == SW_5M &&
	    stats_window_parse("all", 3) == SW_ALL &&
	    stats_window_parse("2m", 2) == -1 &&
	    stats_window_parse("al", 2) == -1);
	CHECK(strcmp(stats_window_name(SW_5M), "5m") == 0);

	/* Windows: 10 s steps; one more call in the second interval. */
	now = t0 + 10 * S + MS;
	stats_tick(now);
	done(echo, FP_OK, now, now + MS, MS, now + 2 * MS);
	CHECK(calls(echo, SW_1M) == 5 && calls(echo, SW_ALL) == 5);
	for (i = 2; i <= 6; i++) {
		now = t0 + (uint64_t)i * 10 * S + MS;
		stats_tick(now);
	}
	/* 6 closed intervals and the current one: all 5 still in 1m. */
	CHECK(calls(echo, SW_1M) == 5);
	now = t0 + 70 * S + MS;
	stats_tick(now);
	/* The first interval (4 calls) left the minute, not the 5 minutes. */
	CHECK(calls(echo, SW_1M) == 1);
	CHECK(calls(echo, SW_5M) == 5);
	CHECK(sh.wait.count == 3);
	now = t0 + 80 * S + MS;
	stats_tick(now);
	CHECK(calls(echo, SW_1M) == 0 && calls(echo, SW_ALL) == 5);
	for (i = 9; i <= 31; i++) {
		now = t0 + (uint64_t)i * 10 * S + MS;
		stats_tick(now);
	}
	CHECK(calls(echo, SW_5M) == 1);
	now = t0 + 320 * S + MS;
	stats_tick(now);
	CHECK(calls(echo, SW_5M) == 0 && calls(echo, SW_ALL) == 5);
	CHECK(sh.errors[FP_E_TIMEOUT] == 1);

	/* The slow-task log: newest first, bounded, reset. */
	sv->conf.slowlog_threshold_ms = 50;
	sv->conf.slowlog_max_len = 3;
	done(slp, FP_OK, now, now + MS, 10 * MS, now + 20 * MS);	/* fast */
	CHECK(stats_slowlog(0) == NULL);
	for (i = 1; i <= 5; i++)
		done(slp, FP_OK, now, now + MS, (uint64_t)(50 + i) * MS,
		    now + S);
	CHECK(stats_slowlog(0) != NULL && stats_slowlog(0)->run_us == 55000);
	CHECK(stats_slowlog(2) != NULL && stats_slowlog(2)->run_us == 53000);
	CHECK(stats_slowlog(3) == NULL);
	CHECK(stats_slowlog(0)->id == 6 - 1 && stats_slowlog(0)->pid == 4242);
	CHECK(stats_slowlog(0)->plen == 2 && stats_slowlog(0)->params[1] == 5);
	CHECK(stats_slowlog(0)->wait_us == 1000 && !stats_slowlog(0)->running);
	sv->conf.slowlog_max_len = 2;	/* a reload shrinks it */
	stats_tick(now);
	CHECK(stats_slowlog(0)->run_us == 55000 &&
	    stats_slowlog(1)->run_us == 54000 && stats_slowlog(2) == NULL);
	stats_totals_get(now, &st);
	CHECK(st.slowlog_len == 2 && st.slowlog_total == 5);
	stats_slowlog_reset();
	CHECK(stats_slowlog(0) == NULL);

	/*
	 * Correlation ids too long for the slow-task log: cut whole.  The
	 * attacker's: \x01 makes it quoted, then 63 two-byte characters.
	 */
	{
		char	 id[256];
		const char *c;

		id[0] = 1;
		id[1] = 'a';
		for (i = 0; i < 63; i++)
			memcpy(id + 2 + 2 * i, "\xc3\xa9", 2);
		c = slow_corr(id, 2 + 2 * 63);
		CHECK(strncmp(c, "\"\\x01a\xc3\xa9", 8) == 0);
		CHECK(strlen(c) == SLOWLOG_CORR_MAX - 1);
		/* Three-byte characters, every cut offset. */
		for (i = 0; i < 4; i++) {
			memset(id, 'b', (size_t)i);
			memset(id + i, 0, sizeof(id) - (size_t)i);
			for (int k = 0; k < 60; k++)
				memcpy(id + i + 3 * k, "\xe2\x82\xac", 3);
			(void)slow_corr(id, (size_t)i + 180);
		}
		/* \xNN and \uNNNN escapes at every cut offset. */
		for (i = 0; i < 6; i++) {
			memset(id, 'c', (size_t)i);
			memset(id + i, 1, 200 - (size_t)i);
			(void)slow_corr(id, 200);
			for (int k = 0; k < 60; k++)
				memcpy(id + i + 2 * k, "\xc2\x85", 2);
			c = slow_corr(id, (size_t)i + 120);
			CHECK(strstr(c, "\\u0085") != NULL);
		}
		/* Quotes and backslashes: two-byte escapes. */
		memset(id, '"', 100);
		memset(id + 100, '\\', 100);
		(void)slow_corr(id, 200);
		(void)slow_corr(id + 1, 199);
		/* Plain ASCII: cut anywhere; short: as is. */
		memset(id, 'd', 200);
		c = slow_corr(id, 200);
		CHECK(strlen(c) == SLOWLOG_CORR_MAX - 1);
		c = slow_corr("req-1", 5);
		CHECK(strcmp(c, "req-1") == 0);
		c = slow_corr("a b", 3);
		CHECK(strcmp(c, "\"a b\"") == 0);
	}
	stats_slowlog_reset();

	/*
	 * Folding a worker's block.  The fold reads the clock itself: the
	 * process is 100 s old now, whatever time the caller passes.
	 */
	memset(&w, 0, sizeof(w));
	w.slot = 0;
	w.pid = 4242;
	w.state = W_READY;
	w.spawned_ns = fp_now_ns() - 100 * S;
	if ((w.stats = aligned_alloc(64, (wire_size(nh) + 63) & ~63UL)) == NULL)
		return 1;
	memset(w.stats, 0, wire_size(nh));
	sv->workers = &w;
	sv->nslots = 1;
	stats_worker_started(&w);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0);
	uint64_t run0 = sh.run.count;
	bh = wire_handler(w.stats, slp);
	atomic_store(&bh->hist[fp_hist_index(5000)], 3);
	atomic_store(&bh->ok, 2);
	atomic_store(&bh->failed[FP_E_HANDLER_ERROR], 1);
	atomic_store(&bh->sum_us, 15000);
	atomic_store(&bh->n, 3);
	/* Two results received, one task held: 3 runs can be. */
	w.ld.tasks_done = 2;
	w.ld.ninflight = 1;
	now += 100 * MS;
	stats_fold(&w, now);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0);
	CHECK(sh.run.count == run0 + 3 && sh.run.b[fp_hist_index(5000)] == 3);
	CHECK(sh.run.sum_us == 15000);
	stats_fold(&w, now + 100 * MS);		/* nothing new */
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
	    sh.run.count == run0 + 3);
	stats_worker_get(&w, now, &sw);
	CHECK(sw.tasks == 3 && sw.failures == 1 && !sw.busy);
	w.ld.tasks_done = 1000;
	w.ld.ninflight = 0;
	/* A block that claims a billion runs in 100 ms: refused. */
	atomic_store(&bh->hist[fp_hist_index(5000)], 1000000003);
	atomic_store(&bh->ok, 1000000002);
	atomic_store(&bh->n, 1000000003);
	now += 200 * MS;
	stats_fold(&w, now);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
	    sh.run.count == run0 + 3);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 1);
	/* ... and not counted later: the next honest run adds one. */
	atomic_store(&bh->hist[fp_hist_index(5000)], 1000000004);
	atomic_store(&bh->ok, 1000000003);
	atomic_store(&bh->sum_us, 20000);
	atomic_store(&bh->n, 1000000004);
	now += 100 * MS;
	stats_fold(&w, now);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
	    sh.run.count == run0 + 4 && sh.run.sum_us == 20000);
	/* Counters that went down (a huge u32 delta): refused. */
	atomic_store(&bh->hist[fp_hist_index(5000)], 5);
	atomic_store(&bh->n, 5);
	now += 100 * MS;
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 2);
	/* Runs longer than the process has lived: refused. */
	atomic_store(&bh->hist[fp_hist_index(1000ULL * S / 1000)], 1);
	atomic_store(&bh->n, 6);
	now += 100 * MS;
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 3);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
	    sh.run.count == run0 + 4);
	stats_worker_get(&w, now, &sw);
	CHECK(sw.tasks == 4);

	/*
	 * More runs, all handlers together, than the results received plus
	 * the tasks held: refused, and the worker's tasks do not grow.  So
	 * far 4 runs were accepted; 4 results, 1 held allow one more.
	 */
	w.ld.tasks_done = 4;
	w.ld.ninflight = 1;
	bh = wire_handler(w.stats, echo);
	atomic_store(&bh->hist[fp_hist_index(100)], 2);
	atomic_store(&bh->ok, 2);
	atomic_store(&bh->sum_us, 200);
	atomic_store(&bh->n, 2);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 4);
	stats_worker_get(&w, now, &sw);
	CHECK(sw.tasks == 4);
	CHECK(stats_handler_get(echo, SW_ALL, &sh) == 0 && sh.run.count == 0);
	/* Its result taken: the next run, in another handler, is counted. */
	w.ld.tasks_done = 5;
	w.ld.ninflight = 0;
	bh = wire_handler(w.stats, slp);
	atomic_store(&bh->hist[fp_hist_index(5000)], 6);
	atomic_store(&bh->ok, 1000000004);
	atomic_store(&bh->sum_us, 25000);
	atomic_store(&bh->n, 7);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 4);
	stats_worker_get(&w, now, &sw);
	CHECK(sw.tasks == 5);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
	    sh.run.count == run0 + 5 && sh.run.sum_us == 25000);
	/* Outcomes beyond the results (runs in no bucket): refused. */
	atomic_store(&bh->ok, 1000000006);
	atomic_store(&bh->n, 8);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 5);
	stats_worker_get(&w, now, &sw);
	CHECK(sw.tasks == 5);

	/*
	 * Buckets heavier than the run time: 10 runs of 5 s (their lower
	 * bounds add up to more than 45 s) in 1 ms.  Refused.
	 */
	w.ld.tasks_done = 100;
	atomic_store(&bh->hist[fp_hist_index(5000000)], 10);
	atomic_store(&bh->ok, 1000000016);
	atomic_store(&bh->sum_us, 26000);
	atomic_store(&bh->n, 18);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 6);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
	    sh.run.count == run0 + 5 && sh.run.sum_us == 25000);
	/*
	 * A fold that read a run's time before its bucket (that run ended
	 * between the reads, after another one): the next fold's bucket
	 * uses that time.
	 */
	atomic_store(&bh->hist[fp_hist_index(1000)], 1);
	atomic_store(&bh->ok, 1000000017);
	atomic_store(&bh->sum_us, 26000 + 1000 + 3000);
	atomic_store(&bh->n, 19);
	stats_fold(&w, now);
	atomic_store(&bh->hist[fp_hist_index(3000)], 1);
	atomic_store(&bh->ok, 1000000018);
	atomic_store(&bh->n, 20);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 6);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
	    sh.run.count == run0 + 7 && sh.run.sum_us == 29000);
	/* ... but only once. */
	atomic_store(&bh->hist[fp_hist_index(3000)], 2);
	atomic_store(&bh->ok, 1000000019);
	atomic_store(&bh->n, 21);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.claims_refused == 7);

	/*
	 * Run time up to the clock read at the fold, and a little more (a run
	 * may end between the clock and the block): not refused although
	 * the caller's time is older.  Much more: refused.
	 */
	{
		struct worker	 y;
		uint64_t	 t = fp_now_ns();

		memset(&y, 0, sizeof(y));
		y.slot = 1;
		y.pid = 4444;
		y.state = W_READY;
		y.spawned_ns = t - S;
		y.ld.tasks_done = 10;
		if ((y.stats = aligned_alloc(64,
		    (wire_size(nh) + 63) & ~63UL)) == NULL)
			return 1;
		memset(y.stats, 0, wire_size(nh));
		stats_worker_started(&y);
		bh = wire_handler(y.stats, slp);
		atomic_store(&bh->hist[fp_hist_index(100000)], 10);
		atomic_store(&bh->ok, 10);
		atomic_store(&bh->sum_us, 1005000);	/* 1.005 s */
		atomic_store(&bh->n, 10);
		stats_fold(&y, t - 50 * MS);
		stats_totals_get(now, &st);
		CHECK(st.claims_refused == 7);
		stats_worker_get(&y, now, &sw);
		CHECK(sw.tasks == 10);
		atomic_store(&bh->hist[fp_hist_index(100000)], 11);
		atomic_store(&bh->ok, 11);
		atomic_store(&bh->sum_us, 1005000 + 500000);
		atomic_store(&bh->n, 11);
		y.ld.tasks_done = 11;
		stats_fold(&y, t);
		stats_totals_get(now, &st);
		CHECK(st.claims_refused == 8);
		/* Runs (buckets) beyond the results, outcomes not: refused. */
		atomic_store(&bh->hist[fp_hist_index(100)], 2);
		atomic_store(&bh->sum_us, 1505000 + 200);
		atomic_store(&bh->n, 13);
		stats_fold(&y, t);
		stats_totals_get(now, &st);
		CHECK(st.claims_refused == 9);
		CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
		    sh.run.b[fp_hist_index(100)] == 0);
		free(y.stats);
	}

	/*
	 * Payload bytes copied (copy_bytes): added as the block grows; a
	 * count that went down, or more than 100 bytes a nanosecond since
	 * the last fold (at least 100 ms: 10 GB), is refused and not counted
	 * later either.
	 */
	stats_totals_get(now, &st);
	CHECK(st.copy_bytes == 0);
	atomic_store(&w.stats->copy_bytes, 3 << 20);
	now += 100 * MS;
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.copy_bytes == 3 << 20 && st.claims_refused == 9);
	atomic_store(&w.stats->copy_bytes, 1 << 20);		/* down */
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.copy_bytes == 3 << 20 && st.claims_refused == 10);
	atomic_store(&w.stats->copy_bytes, (1 << 20) + 5);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.copy_bytes == (3 << 20) + 5 && st.claims_refused == 10);
	atomic_store(&w.stats->copy_bytes, (1 << 20) + 5 + 1000000000000ULL);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.copy_bytes == (3 << 20) + 5 && st.claims_refused == 11);
	atomic_store(&w.stats->copy_bytes, (1 << 20) + 6 + 1000000000000ULL);
	stats_fold(&w, now);
	stats_totals_get(now, &st);
	CHECK(st.copy_bytes == (3 << 20) + 6 && st.claims_refused == 11);

	/*
	 * The task in flight: believed only for a task the supervisor gave
	 * this worker, of that handler, and still waits for.
	 */
	bh = wire_handler(w.stats, slp);
	now = fp_now_ns();
	{
		struct task *t = task_alloc();

		CHECK(t != NULL);
		t->state = T_DISPATCHED;
		t->worker = 0;
		t->handler = (uint16_t)slp;
		wire_cur_set(w.stats, t->id, slp, now - 2 * S);
		stats_worker_get(&w, now, &sw);
		CHECK(sw.busy && sw.handler == slp && sw.running_us == 2000000);
		stats_totals_get(now, &st);
		CHECK(st.oldest_running_us == 2000000);
		wire_cur_set(w.stats, t->id, slp, now + 5 * S);	/* future */
		stats_worker_get(&w, now, &sw);
		CHECK(sw.busy && sw.running_us == 0);
		wire_cur_set(w.stats, t->id, echo, now - S);	/* other handler */
		stats_worker_get(&w, now, &sw);
		CHECK(!sw.busy && sw.running_us == 0);
		stats_totals_get(now, &st);
		CHECK(st.oldest_running_us == 0);
		wire_cur_set(w.stats, t->id + 1, slp, now - S);	/* no such task */
		stats_worker_get(&w, now, &sw);
		CHECK(!sw.busy && sw.running_us == 0);
		wire_cur_set(w.stats, 12345, slp, now - S);
		stats_worker_get(&w, now, &sw);
		CHECK(!sw.busy && sw.running_us == 0);
		t->worker = 1;				/* another worker's */
		wire_cur_set(w.stats, t->id, slp, now - S);
		stats_worker_get(&w, now, &sw);
		CHECK(!sw.busy);
		t->worker = 0;
		t->state = T_QUEUED;			/* not on a worker */
		stats_worker_get(&w, now, &sw);
		CHECK(!sw.busy);
		stats_totals_get(now, &st);
		CHECK(st.oldest_running_us == 0);
		wire_cur_set(w.stats, 79, nh + 5, now - S);	/* no such handler */
		stats_worker_get(&w, now, &sw);
		CHECK(!sw.busy);
		task_free(t);
	}
	wire_cur_set(w.stats, 0, 0, 0);
	stats_worker_get(&w, now, &sw);
	CHECK(!sw.busy && sw.running_us == 0);
	/* A new process in the slot starts from zero. */
	memset(w.stats, 0, wire_size(nh));
	w.pid = 4343;
	w.ld.tasks_done = 2;
	w.ld.ninflight = 0;
	stats_worker_started(&w);
	stats_worker_get(&w, now, &sw);
	CHECK(sw.tasks == 0 && sw.failures == 0);
	atomic_store(&bh->hist[fp_hist_index(5000)], 2);
	atomic_store(&bh->ok, 2);
	atomic_store(&bh->sum_us, 10000);
	atomic_store(&bh->n, 2);
	stats_fold(&w, now + 100 * MS);
	CHECK(stats_handler_get(slp, SW_ALL, &sh) == 0 &&
	    sh.run.count == run0 + 7 + 10 + 2);	/* 10: slot 1 */
	free(w.stats);
	return check_done("test_stats");
}
