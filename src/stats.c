/*
 * stats.c -- what the supervisor knows of the work done (stats.h): per
 * handler totals and 10-second intervals, the folding of the workers'
 * stats blocks, the slow-task log and the per-task log.
 *
 * Memory grows with use, not with the tables' bounds: a handler's state is
 * allocated when it first counts something, a slot's fold state when a
 * process starts in it, a handler's part of that when the block says it
 * ran the handler.  None of it is allocated per task.
 */
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "daemon.h"
#include "handlers.h"
#include "log.h"
#include "mp.h"
#include "pool.h"
#include "stats.h"
#include "wire.h"

#define INTERVAL_NS	(10ULL * 1000000000)	/* a window's step */
#define NINTERVALS	30			/* 5 minutes of them */
/*
 * A worker cannot finish more than this many tasks a second: a block
 * claiming more, in one fold, is refused for that fold.
 */
#define CLAIM_TASKS_PER_S 2000000ULL
#define CLAIM_SLACK	1024
/*
 * Time claims (run time, a run's length, busy time) are checked against
 * the process's age read just before the block: a run may end between the
 * two reads, and a tick may be late.  Slack: 1 % of the age, plus 10 ms.
 */
#define AGE_SLACK_US(age)	((age) / 100 + 10000)
/* A histogram's mass may pass its run time by this much (rounding). */
#define MASS_SLACK_US	1000
#define TASKLOG_PER_S	100	/* task-log errors lines a second */
/* Bytes a worker may claim to have copied a nanosecond (100 GB/s). */
#define COPY_BYTES_PER_NS	100

/* One histogram's growth over an interval: its non-zero buckets only. */
struct sbucket {
	uint32_t	 i;
	uint64_t	 n;
};
struct shist {
	uint64_t	 count;
	uint64_t	 sum_us;
	uint32_t	 nb;
	struct sbucket	*b;
};

/* What a handler counted over one 10 s interval (NULL: nothing). */
struct interval {
	uint64_t	 calls, ok, failed;
	uint64_t	 errors[FP_E__COUNT];
	struct shist	 wait, run, e2e;
};

/* A handler: totals since start, and what they were at the last step. */
struct hstate {
	struct stats_handler tot;
	struct stats_handler snap;
	struct interval	*iv[NINTERVALS];
};

/* What was last read of a handler in one worker's block. */
struct hlast {
	uint32_t	 n, ok;
	uint32_t	 failed[FP_E__COUNT];
	uint64_t	 sum_us;
	/*
	 * Run time read beyond the mass of the buckets read (their lower
	 * bounds times their counts): a run's time is counted before its
	 * bucket (count_run, worker.c), so a fold may read one and not yet
	 * the other; the next fold's buckets may use it.
	 */
	uint64_t	 credit;
	uint32_t	 hist[FP_HIST_BUCKETS];
};

/* A slot: what its present process's block said at the last fold. */
struct wfold {
	pid_t		 pid;
	uint64_t	 fold_ns;	/* last fold, or the start */
	uint64_t	 busy_ns;
	uint64_t	 log_dropped;
	uint64_t	 copy_bytes;
	uint64_t	 sum_us;	/* accepted run time, all handlers */
	uint64_t	 runs;		/* accepted runs (buckets), all handlers */
	uint64_t	 tasks, failures;
	uint64_t	 slow_id;	/* task logged as running slow */
	int		 lied;		/* a refused claim was logged */
	struct hlast	**h;		/* nhandlers, each allocated on use */
};

static uint32_t		 nh;	/* handler_count() at start */
static struct hstate	**hs;	/* nh */
static struct wfold	*wf[MAX_SLOTS];
static uint32_t		 ivhead;	/* next interval to write */
static uint32_t		 nivs;	/* intervals closed, up to 30 */
static uint64_t		 iv_start_ns;
static uint64_t		 log_dropped, claims_refused;
static uint64_t		 copy_bytes;	/* the workers' copy_bytes, folded */
static int		 oom_logged;

static struct slowlog_entry *slow;	/* ring of slowcap */
static uint32_t		 slowcap, slowhead, slowlen;
static uint64_t		 slowtotal;

static struct log_limit	 tl_limit;	/* task-log errors lines */

static void
stats_oom(const char *what)
{
	if (!oom_logged)
		log_warnx("stats_oom", "what=%s msg=\"out of memory: "
		    "statistics are incomplete\"", what);
	oom_logged = 1;
}

int
stats_init(void)
{
	nh = handler_count();
	if (nh > 0 && (hs = calloc(nh, sizeof(*hs))) == NULL)
		return -1;
	iv_start_ns = fp_now_ns();
	return 0;
}

static struct hstate *
hstate(uint32_t h)
{
	if (h >= nh)
		return NULL;
	if (hs[h] == NULL && (hs[h] = calloc(1, sizeof(*hs[h]))) == NULL)
		stats_oom("handler");
	return hs[h];
}

/* ---- the slow-task log ------------------------------------------------ */

/*
 * Keep slowlog-max-len entries, the newest ones when it shrinks (a reload
 * may change it).
 */
static void
slowlog_resize(void)
{
	struct slowlog_entry *ns = NULL;
	uint32_t	 cap = sv->conf.slowlog_max_len, n, i;

	if (cap == slowcap)
		return;
	if (cap > 0 && (ns = calloc(cap, sizeof(*ns))) == NULL) {
		stats_oom("slowlog");
		return;
	}
	n = slowlen < cap ? slowlen : cap;
	/* Oldest kept first, so that the newest ends at n - 1. */
	for (i = 0; i < n; i++)
		ns[i] = *stats_slowlog(n - 1 - i);
	free(slow);
	slow = ns;
	slowcap = cap;
	slowlen = n;
	slowhead = cap ? n % cap : 0;
}

const struct slowlog_entry *
stats_slowlog(uint32_t i)
{
	if (i >= slowlen)
		return NULL;
	return &slow[(slowhead + slowcap - 1 - i) % slowcap];
}

void
stats_slowlog_reset(void)
{
	slowlen = 0;
	slowhead = 0;
}

/*
 * Correlation id c (a logfmt value, tasks.c: printable ASCII as is, or
 * quoted with escapes and UTF-8) into dst, SLOWLOG_CORR_MAX bytes with the
 * NUL.  A quoted value too long is cut after a whole escape or character
 * and closed with its quote, so that it stays valid UTF-8 and one value.
 */
static void
slowlog_corr(char *dst, const char *c)
{
	size_t	 k;
	int	 close;

	k = log_quoted_cut(c, SLOWLOG_CORR_MAX - 1, &close);
	memcpy(dst, c, k);
	if (close)
		dst[k - 1] = '"';
	dst[k] = '\0';
}

/*
 * For params held in a client's arena, which the client may be changing:
 * a str saying how large they were, written into out (cap >= 64).
 */
static size_t
shm_abbrev(uint32_t plen, uint8_t *out, size_t cap)
{
	char	 text[48];
	uint8_t	*p;
	int	 n;

	n = snprintf(text, sizeof(text), "(%u bytes in shared memory)", plen);
	if (n < 0 || (size_t)n + FP_MP_ITEM_MAX > cap)
		n = 0;
	p = fp_mp_wr_str(out, (size_t)n);
	memcpy(p, text, (size_t)n);
	return (size_t)(p - out) + (size_t)n;
}

/*
 * params as one MessagePack object of SLOWLOG_PARAMS_MAX bytes at most
 * (fp_mp_abbrev: cut short with a note of what was left out).
 */
static void
slowlog_add(const struct task *t, uint64_t wait_us, uint64_t run_us,
    int worker, pid_t pid, int running)
{
	struct slowlog_entry *e;
	struct timespec	 ts;
	size_t		 n;

	slowlog_resize();
	if (slowcap == 0)
		return;
	e = &slow[slowhead];
	slowhead = (slowhead + 1) % slowcap;
	if (slowlen < slowcap)
		slowlen++;
	memset(e, 0, sizeof(*e));
	e->id = ++slowtotal;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->ts = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	e->handler = t->handler;
	if (t->corr != NULL)
		slowlog_corr(e->corr, t->corr);
	e->wait_us = wait_us;
	e->run_us = run_us;
	e->worker = worker;
	e->pid = pid;
	e->running = running;
	if (t->unchecked)
		/* In a client's arena: any bytes, changing; not parsed here. */
		n = shm_abbrev(t->plen, e->params, sizeof(e->params));
	else
		n = fp_mp_abbrev(t->params, t->plen, e->params,
		    sizeof(e->params));
	e->plen = (uint32_t)n;
}

/* ---- tasks answered --------------------------------------------------- */

static void
tasklog(const struct task *t, int code, const struct task_run *run,
    uint64_t wait_us, uint64_t now_ns)
{
	uint64_t	 held = 0;
	const char	*name = handler_name(t->handler);
	const struct worker *w;
	char		 sup[40] = "", where[40] = "";

	if (code != FP_OK && sv->conf.task_log == FP_TASKLOG_ERRORS) {
		if (!log_limited_n(&tl_limit, TASKLOG_PER_S, now_ns, &held))
			return;
		if (held)
			snprintf(sup, sizeof(sup), " suppressed=%llu",
			    (unsigned long long)held);
	}
	/*
	 * Where it ran, or was when it was answered without a run (crashed,
	 * cancelled, timed out): the worker, and its pid if the process in
	 * the slot is still the one it was handed to.  Nothing for a task
	 * that never reached a worker.
	 */
	if (run != NULL)
		snprintf(where, sizeof(where), " worker=%d pid=%d",
		    run->worker, (int)run->pid);
	else if (t->worker >= 0 && t->worker < sv->nslots) {
		w = &sv->workers[t->worker];
		if (w->state != W_EMPTY && w->pid > 0 &&
		    w->spawned_ns <= t->sent_ns)
			snprintf(where, sizeof(where), " worker=%d pid=%d",
			    t->worker, (int)w->pid);
		else
			snprintf(where, sizeof(where), " worker=%d",
			    t->worker);
	}
	/*
	 * The handler's name is the table's (plug-in names are checked when
	 * loaded); the correlation id was quoted when the task was made.
	 */
	log_info(code == FP_OK ? "task_done" : "task_failed",
	    "msgid=%u handler=%s code=%s%s wait_us=%llu "
	    "run_us=%llu attempts=%u corr=%s%s",
	    t->msgid, name != NULL ? name : "?", code == FP_OK ? "ok" :
	    fp_err_name(code), where, (unsigned long long)wait_us,
	    run != NULL ? (unsigned long long)(run->run_ns / 1000) : 0ULL,
	    t->attempts, t->corr != NULL ? t->corr : "\"\"", sup);
}

void
stats_task_done(const struct task *t, int code, const struct task_run *run,
    uint64_t now_ns)
{
	struct hstate	*s;
	uint64_t	 wait_us = 0, run_us;
	int		 have_wait = 0;

	if (code < 0 || code >= FP_E__COUNT)
		code = FP_E_INTERNAL;
	/*
	 * dispatch.c checked the run against its clock; now_ns is read once
	 * per loop iteration, so a task that ran within this one ended after
	 * it: the end is then when the run did.
	 */
	if (run != NULL && run->started_ns != 0 &&
	    run->started_ns >= t->enqueued_ns) {
		wait_us = (run->started_ns - t->enqueued_ns) / 1000;
		have_wait = 1;
		if (run->started_ns + run->run_ns > now_ns)
			now_ns = run->started_ns + run->run_ns;
	}
	if ((s = hstate(t->handler)) != NULL) {
		s->tot.calls++;
		if (code == FP_OK)
			s->tot.ok++;
		else {
			s->tot.failed++;
			s->tot.errors[code]++;
		}
		if (have_wait)
			fp_hist_add(&s->tot.wait, wait_us);
		fp_hist_add(&s->tot.e2e, now_ns >= t->enqueued_ns ?
		    (now_ns - t->enqueued_ns) / 1000 : 0);
	}
	if (run != NULL && sv->conf.slowlog_max_len > 0) {
		run_us = run->run_ns / 1000;
		if (run_us >= sv->conf.slowlog_threshold_ms * 1000)
			slowlog_add(t, wait_us, run_us, run->worker, run->pid,
			    0);
	}
	if (sv->conf.task_log != FP_TASKLOG_NONE &&
	    (code != FP_OK || sv->conf.task_log == FP_TASKLOG_ALL))
		tasklog(t, code, run, wait_us, now_ns);
}

void
stats_rejected(uint32_t h, int code, uint64_t now_ns)
{
	struct hstate	*s;

	(void)now_ns;
	if (code <= FP_OK || code >= FP_E__COUNT)
		code = FP_E_INTERNAL;
	if ((s = hstate(h)) == NULL)
		return;
	s->tot.calls++;
	s->tot.failed++;
	s->tot.errors[code]++;
}

/* ---- folding the workers' blocks -------------------------------------- */

void
stats_worker_started(const struct worker *w)
{
	struct wfold	*f;
	struct hlast	**h;
	uint32_t	 i;

	if (w->slot < 0 || w->slot >= MAX_SLOTS)
		return;
	if ((f = wf[w->slot]) == NULL) {
		if ((f = calloc(1, sizeof(*f))) == NULL ||
		    (nh > 0 && (f->h = calloc(nh, sizeof(*f->h))) == NULL)) {
			free(f);
			stats_oom("worker");
			return;
		}
		wf[w->slot] = f;
	}
	/* The block is new and zero: so is what was read of it. */
	h = f->h;
	for (i = 0; i < nh; i++)
		if (h[i] != NULL)
			memset(h[i], 0, sizeof(*h[i]));
	memset(f, 0, sizeof(*f));
	f->h = h;
	f->pid = w->pid;
	f->fold_ns = w->spawned_ns ? w->spawned_ns : fp_now_ns();
}

/* A block claimed what cannot be: refused for this fold, said once. */
static void
claim_refused(const struct worker *w, struct wfold *f, const char *what,
    uint32_t h)
{
	claims_refused++;
	if (f->lied)
		return;
	f->lied = 1;
	log_warnx("stats_claim_refused", "worker=%d pid=%d handler=%u what=%s "
	    "msg=\"the worker's stats block claims what cannot be; not "
	    "counted\"", w->slot, (int)w->pid, h, what);
}

/* a + b, or UINT64_MAX */
static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/*
 * Fold handler h of w's block.  The buckets are copied once, checked, and
 * only then added: a block claiming more runs than the time allows, more
 * runs (all handlers together) than the results the supervisor received
 * from the process plus the tasks it holds (`allow'), run time beyond the
 * process's age, buckets whose lower bounds add up to more than the run
 * time claimed, or counters that went down (a huge u32 delta) adds
 * nothing this time, and the copy of what was read is brought up to date
 * so that the lie is not counted later either.
 */
static void
fold_handler(const struct worker *w, struct wfold *f, uint32_t h,
    uint64_t cap, uint64_t age_us, uint64_t allow)
{
	struct wstats_handler *b = wire_handler(w->stats, h);
	struct hlast	*l;
	struct hstate	*s;
	uint32_t	 cur[FP_HIST_BUCKETS], n, ok, failed[FP_E__COUNT];
	uint64_t	 nd = 0, sum, sumd, fd = 0, okd, d, m, mass = 0;
	uint64_t	 slack = AGE_SLACK_US(age_us);
	uint32_t	 i, top = 0;
	const char	*lie = NULL;

	n = atomic_load_explicit(&b->n, memory_order_acquire);
	if ((l = f->h[h]) == NULL) {
		if (n == 0)
			return;
		if ((l = f->h[h] = calloc(1, sizeof(*l))) == NULL) {
			stats_oom("fold");
			return;
		}
	} else if (n == l->n)
		return;		/* nothing ran since */
	ok = atomic_load_explicit(&b->ok, memory_order_relaxed);
	for (i = 0; i < FP_E__COUNT; i++) {
		failed[i] = atomic_load_explicit(&b->failed[i],
		    memory_order_relaxed);
		d = (uint32_t)(failed[i] - l->failed[i]);
		fd += d;
	}
	okd = (uint32_t)(ok - l->ok);
	for (i = 0; i < FP_HIST_BUCKETS; i++) {
		cur[i] = atomic_load_explicit(&b->hist[i],
		    memory_order_relaxed);
		d = (uint32_t)(cur[i] - l->hist[i]);
		if (d == 0)
			continue;
		top = i;
		nd += d;
		if (__builtin_mul_overflow(fp_hist_lower(i), d, &m))
			m = UINT64_MAX;
		mass = sat_add(mass, m);
	}
	/*
	 * A run's time is stored before its bucket, both with release
	 * (count_run): read after the buckets, it holds every run they show.
	 */
	atomic_thread_fence(memory_order_acquire);
	sum = atomic_load_explicit(&b->sum_us, memory_order_relaxed);
	sumd = sum - l->sum_us;
	if (nd > cap || (uint32_t)(n - l->n) > cap)
		lie = "count";
	else if (okd > cap || fd > cap)
		lie = "outcomes";
	else if (f->runs + nd > allow || f->tasks + okd + fd > allow)
		lie = "runs";
	else if (sum < l->sum_us || f->sum_us + sumd > age_us + slack)
		lie = "run_time";
	else if (nd > 0 && fp_hist_lower(top) > age_us + slack)
		lie = "histogram";
	else if (mass > sat_add(sumd, l->credit + MASS_SLACK_US))
		lie = "histogram_mass";
	if (lie != NULL) {
		claim_refused(w, f, lie, h);
		l->credit = 0;
	} else {
		l->credit = mass < sumd + l->credit ?
		    sumd + l->credit - mass : 0;
		if ((s = hstate(h)) != NULL) {
			s->tot.run.sum_us += sumd;
			(void)fp_hist_fold_u32(&s->tot.run, cur, l->hist);
		}
		f->sum_us += sumd;
		f->runs += nd;
		f->tasks += okd + fd;
		f->failures += fd;
	}
	/* Either way, what was read is the new base. */
	memcpy(l->hist, cur, sizeof(l->hist));
	l->n = n;
	l->ok = ok;
	memcpy(l->failed, failed, sizeof(l->failed));
	l->sum_us = sum;
}

/*
 * The task w's block says it runs, if the supervisor gave this very
 * worker that task, of that handler, and still waits for its result.
 */
static struct task *
cur_task(const struct worker *w, const struct wire_cur *c)
{
	struct task	*t;

	if (c->id == 0 || (t = task_lookup(c->id)) == NULL ||
	    t->worker != w->slot || t->state != T_DISPATCHED ||
	    c->handler != t->handler)
		return NULL;
	return t;
}

/* A task running past slowlog-threshold: logged once, while it runs. */
static void
fold_slow(const struct worker *w, struct wfold *f, uint64_t now_ns)
{
	struct wire_cur	 c;
	struct task	*t;
	uint64_t	 run_us, wait_us;

	if (sv->conf.slowlog_max_len == 0 ||
	    wire_cur_read(w->stats, &c, 4) == -1 || c.id == 0 ||
	    c.id == f->slow_id || c.start_ns < w->spawned_ns ||
	    c.start_ns > now_ns)
		return;
	run_us = (now_ns - c.start_ns) / 1000;
	if (run_us < sv->conf.slowlog_threshold_ms * 1000)
		return;
	if ((t = cur_task(w, &c)) == NULL)
		return;
	f->slow_id = c.id;
	wait_us = c.start_ns >= t->enqueued_ns ?
	    (c.start_ns - t->enqueued_ns) / 1000 : 0;
	slowlog_add(t, wait_us, run_us, w->slot, w->pid, 1);
}

void
stats_fold(const struct worker *w, uint64_t tick_ns)
{
	struct wfold	*f;
	uint64_t	 cap, age_us, v, d, el, allow, now_ns;
	uint32_t	 h;

	if (w->slot < 0 || w->slot >= MAX_SLOTS || w->stats == NULL ||
	    (f = wf[w->slot]) == NULL)
		return;
	/*
	 * The caller's clock was read before it drained the logs of this and
	 * other workers: runs that ended since would look longer than the
	 * process's life.  The block is read just after this.
	 */
	(void)tick_ns;
	now_ns = fp_now_ns();
	/*
	 * What the process can have run: the results the supervisor took
	 * from it and the tasks it holds (a task is counted in the block
	 * before its result is published, and stays held until that is
	 * read, or until the process is gone and folded a last time).
	 * Shutting down, the held tasks are answered and forgotten while the
	 * workers may still finish them: not checked then.
	 */
	allow = sv->state == SV_STOPPING ? UINT64_MAX :
	    w->ld.tasks_done + w->ld.ninflight;
	el = now_ns > f->fold_ns ? now_ns - f->fold_ns : 0;
	if (el < 100000000ULL)
		el = 100000000ULL;
	cap = CLAIM_TASKS_PER_S * (el / 1000000) / 1000 + CLAIM_SLACK;
	age_us = now_ns > w->spawned_ns ? (now_ns - w->spawned_ns) / 1000 : 0;
	for (h = 0; h < nh; h++)
		fold_handler(w, f, h, cap, age_us, allow);
	v = atomic_load_explicit(&w->stats->busy_ns, memory_order_relaxed);
	if (v >= f->busy_ns && v <= (age_us + AGE_SLACK_US(age_us)) * 1000)
		f->busy_ns = v;
	v = atomic_load_explicit(&w->stats->log_dropped, memory_order_relaxed);
	d = v - f->log_dropped;
	if (v < f->log_dropped || d > cap * 64)
		claim_refused(w, f, "log_dropped", 0);
	else
		log_dropped += d;
	f->log_dropped = v;
	/*
	 * Payload bytes copied: a process copies no faster than memory
	 * goes, COPY_BYTES_PER_NS at most over the time since the last fold.
	 */
	v = atomic_load_explicit(&w->stats->copy_bytes, memory_order_relaxed);
	d = v - f->copy_bytes;
	if (v < f->copy_bytes || d / COPY_BYTES_PER_NS > el)
		claim_refused(w, f, "copy_bytes", 0);
	else
		copy_bytes += d;
	f->copy_bytes = v;
	f->fold_ns = now_ns;
	fold_slow(w, f, now_ns);
}

/* ---- windows ----------------------------------------------------------- */

/* The growth of a histogram since `old', non-zero buckets only. */
static int
shist_make(struct shist *s, const struct fp_hist *now,
    const struct fp_hist *old)
{
	uint32_t	 i, n = 0;

	s->count = now->count - old->count;
	s->sum_us = now->sum_us - old->sum_us;
	s->nb = 0;
	s->b = NULL;
	for (i = 0; i < FP_HIST_BUCKETS; i++)
		if (now->b[i] != old->b[i])
			n++;
	if (n == 0)
		return 0;
	if ((s->b = reallocarray(NULL, n, sizeof(*s->b))) == NULL)
		return -1;
	for (i = 0; i < FP_HIST_BUCKETS; i++)
		if (now->b[i] != old->b[i]) {
			s->b[s->nb].i = i;
			s->b[s->nb++].n = now->b[i] - old->b[i];
		}
	return 0;
}

static void
shist_add(struct fp_hist *dst, const struct shist *s)
{
	uint32_t	 i;

	dst->count += s->count;
	dst->sum_us += s->sum_us;
	for (i = 0; i < s->nb; i++)
		dst->b[s->b[i].i] += s->b[i].n;
}

static void
interval_free(struct interval *iv)
{
	if (iv == NULL)
		return;
	free(iv->wait.b);
	free(iv->run.b);
	free(iv->e2e.b);
	free(iv);
}

/*
 * The interval that ends now for handler s: what its totals grew by since
 * the last step, or NULL for nothing (or out of memory: that interval's
 * counts are then missing from the 1m and 5m windows, never from "all").
 */
static struct interval *
interval_make(const struct hstate *s)
{
	struct interval	*iv;
	uint32_t	 i;

	if (s->tot.calls == s->snap.calls &&
	    s->tot.run.count == s->snap.run.count &&
	    s->tot.run.sum_us == s->snap.run.sum_us)
		return NULL;
	if ((iv = calloc(1, sizeof(*iv))) == NULL)
		goto oom;
	iv->calls = s->tot.calls - s->snap.calls;
	iv->ok = s->tot.ok - s->snap.ok;
	iv->failed = s->tot.failed - s->snap.failed;
	for (i = 0; i < FP_E__COUNT; i++)
		iv->errors[i] = s->tot.errors[i] - s->snap.errors[i];
	if (shist_make(&iv->wait, &s->tot.wait, &s->snap.wait) == -1 ||
	    shist_make(&iv->run, &s->tot.run, &s->snap.run) == -1 ||
	    shist_make(&iv->e2e, &s->tot.e2e, &s->snap.e2e) == -1) {
		interval_free(iv);
		goto oom;
	}
	return iv;
oom:
	stats_oom("interval");
	return NULL;
}

void
stats_tick(uint64_t now_ns)
{
	struct hstate	*s;
	uint32_t	 h;

	slowlog_resize();
	if (now_ns - iv_start_ns < INTERVAL_NS)
		return;
	for (h = 0; h < nh; h++) {
		if ((s = hs[h]) == NULL)
			continue;
		interval_free(s->iv[ivhead]);
		s->iv[ivhead] = interval_make(s);
		s->snap = s->tot;
	}
	ivhead = (ivhead + 1) % NINTERVALS;
	if (nivs < NINTERVALS)
		nivs++;
	/* Steps stay on a 10 s grid; after a stall, start again from now. */
	iv_start_ns += INTERVAL_NS;
	if (now_ns - iv_start_ns >= INTERVAL_NS)
		iv_start_ns = now_ns;
}

int
stats_window_parse(const char *s, size_t n)
{
	if (n == 3 && memcmp(s, "all", 3) == 0)
		return SW_ALL;
	if (n == 2 && memcmp(s, "1m", 2) == 0)
		return SW_1M;
	if (n == 2 && memcmp(s, "5m", 2) == 0)
		return SW_5M;
	return -1;
}

const char *
stats_window_name(enum stats_window w)
{
	switch (w) {
	case SW_1M:
		return "1m";
	case SW_5M:
		return "5m";
	default:
		return "all";
	}
}

static void
hist_sub(struct fp_hist *dst, const struct fp_hist *a, const struct fp_hist *b)
{
	uint32_t	 i;

	dst->count = a->count - b->count;
	dst->sum_us = a->sum_us - b->sum_us;
	for (i = 0; i < FP_HIST_BUCKETS; i++)
		dst->b[i] = a->b[i] - b->b[i];
}

int
stats_handler_get(uint32_t h, enum stats_window win,
    struct stats_handler *out)
{
	const struct hstate *s;
	const struct interval *iv;
	uint32_t	 i, k, n;

	if (h >= nh)
		return -1;
	if ((s = hs[h]) == NULL) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (win != SW_1M && win != SW_5M) {
		*out = s->tot;
		return 0;
	}
	/* The current, partial interval, then the last 6 or 30 closed. */
	out->calls = s->tot.calls - s->snap.calls;
	out->ok = s->tot.ok - s->snap.ok;
	out->failed = s->tot.failed - s->snap.failed;
	for (i = 0; i < FP_E__COUNT; i++)
		out->errors[i] = s->tot.errors[i] - s->snap.errors[i];
	hist_sub(&out->wait, &s->tot.wait, &s->snap.wait);
	hist_sub(&out->run, &s->tot.run, &s->snap.run);
	hist_sub(&out->e2e, &s->tot.e2e, &s->snap.e2e);
	n = win == SW_1M ? 6 : NINTERVALS;
	if (n > nivs)
		n = nivs;
	for (k = 1; k <= n; k++) {
		iv = s->iv[(ivhead + NINTERVALS - k) % NINTERVALS];
		if (iv == NULL)
			continue;
		out->calls += iv->calls;
		out->ok += iv->ok;
		out->failed += iv->failed;
		for (i = 0; i < FP_E__COUNT; i++)
			out->errors[i] += iv->errors[i];
		shist_add(&out->wait, &iv->wait);
		shist_add(&out->run, &iv->run);
		shist_add(&out->e2e, &iv->e2e);
	}
	return 0;
}

/* ---- what it knows of workers ------------------------------------------ */

void
stats_worker_get(const struct worker *w, uint64_t now_ns,
    struct stats_worker *out)
{
	const struct wfold *f = NULL;
	struct wire_cur	 c;

	memset(out, 0, sizeof(*out));
	if (w->slot >= 0 && w->slot < MAX_SLOTS && w->state != W_EMPTY &&
	    w->pid > 0)
		f = wf[w->slot];
	if (f != NULL) {
		out->tasks = f->tasks;
		out->failures = f->failures;
		out->busy_us = f->busy_ns / 1000;
	}
	if (w->stats == NULL || w->state == W_EMPTY || w->pid <= 0 ||
	    wire_cur_read(w->stats, &c, 4) == -1 || c.handler >= nh ||
	    cur_task(w, &c) == NULL)
		return;
	out->busy = 1;
	out->handler = c.handler;
	/* A start before the process or in the future is not believed. */
	if (c.start_ns >= w->spawned_ns && c.start_ns <= now_ns)
		out->running_us = (now_ns - c.start_ns) / 1000;
}

void
stats_totals_get(uint64_t now_ns, struct stats_totals *out)
{
	struct stats_worker sw;
	int		 i;

	memset(out, 0, sizeof(*out));
	/* Lines lost in the rings and lines the limits of pool.c left out. */
	out->log_dropped = log_dropped + pool_log_suppressed();
	out->copy_bytes = copy_bytes;
	out->claims_refused = claims_refused;
	out->slowlog_len = slowlen;
	out->slowlog_total = slowtotal;
	for (i = 0; i < sv->nslots; i++) {
		stats_worker_get(&sv->workers[i], now_ns, &sw);
		if (sw.busy && sw.running_us > out->oldest_running_us)
			out->oldest_running_us = sw.running_us;
	}
}
