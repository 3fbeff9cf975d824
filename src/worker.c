/*
 * worker.c -- the worker process, the child pool_spawn forks: take tasks
 * from the task ring, run the handler, put the result on the result ring.
 * Sleeps on its eventfd when the ring is empty and wakes the supervisor
 * only when it sleeps.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/unistd.h>
#include <msgpack.h>

#include "forkpool.h"
#include "clock.h"
#include "handlers.h"
#include "log.h"
#include "mp.h"
#include "plugin.h"
#include "priv.h"
#include "spin.h"
#include "worker.h"

#define WORKER_IDLE_CHECK_MS	1000	/* how often an idle worker checks its parent */
#define RESULT_KEEP		(64 << 20)	/* result buffer kept while busy */
#define RESULT_IDLE_KEEP	(1 << 20)	/* ... and once idle */

struct wctx {
	struct fp_ring	 rx;		/* tasks */
	struct fp_ring	 tx;		/* results */
	struct fp_ring	 brx;		/* large params (wire.h, blob rings) */
	struct fp_ring	 btx;		/* large results */
	struct fp_asm	 bas;		/* params in fragments on brx */
	int		 bpeeked;	/* params in place on brx, in use */
	int		 trimmed;	/* btx trimmed since the last result */
	struct wstats	*stats;
	uint32_t	 nhandlers;	/* handlers in the block (fixed) */
	int		 efd;		/* we sleep on this */
	pid_t		 ppid;
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	msgpack_zone	 zone;
	struct fp_asm	 as;
	size_t		 result_max;	/* RESULT_MAX of its configuration */
	struct spin_adapt spin;		/* its spin budget (spin.h) */
};

/*
 * The log ring (wire.h): every log_* line of this process is one record
 * on it (log_set_sink), which the supervisor drains and writes tagged
 * worker= pid=.  Written here alone: a line that does not fit is dropped
 * and counted, never waited for.  The ring has one writer: a plug-in may
 * log from threads of its own, so the writers take turns (logmtx; a log
 * line is not on the per-task path).  While a task runs, `corr' is its
 * correlation id (in the task record) and the lines of the thread that
 * runs it carry it; another thread's lines are not the task's.
 */
static struct fp_ring	 logring;
static struct wstats	*logstats;
static pthread_mutex_t	 logmtx = PTHREAD_MUTEX_INITIALIZER;
static __thread const char *cur_corr;
static __thread size_t	 cur_corrlen;

/*
 * violate run-revoked: run tasks the supervisor took back (a test hook),
 * and answer the violate task itself only once they have run.
 */
static int		 ignore_revoke;
static uint64_t		 revoked_answer_id;
static struct wire_run	 revoked_answer_run;

static void
log_to_ring(int level, const char *event, const char *fields)
{
	struct wire_log	 wl;
	size_t		 evlen = strlen(event), flen = strlen(fields);
	size_t		 room = WLOG_LINE_MAX, clen = 0;
	uint8_t		*p;

	if (evlen > UINT8_MAX)
		evlen = UINT8_MAX;
	if (cur_corr != NULL)
		clen = sizeof(" corr=") - 1 + cur_corrlen;
	if (clen > room)
		clen = 0;		/* cannot happen: WIRE_CORR_MAX */
	room -= clen;
	if (flen > room)
		flen = room;
	wl.level = (uint8_t)level;
	wl.evlen = (uint8_t)evlen;
	wl.fieldlen = (uint16_t)(flen + clen);
	pthread_mutex_lock(&logmtx);
	p = fp_ring_alloc(&logring, FP_REC_CTRL, 0, 0,
	    (uint32_t)(sizeof(wl) + evlen + flen + clen));
	if (p == NULL) {
		/* Full (or its reader index is corrupt): drop, count. */
		WIRE_BUMP64(&logstats->log_dropped, 1);
		pthread_mutex_unlock(&logmtx);
		return;
	}
	memcpy(p, &wl, sizeof(wl));
	p += sizeof(wl);
	memcpy(p, event, evlen);
	p += evlen;
	memcpy(p, fields, flen);
	p += flen;
	if (clen > 0) {
		memcpy(p, " corr=", sizeof(" corr=") - 1);
		memcpy(p + sizeof(" corr=") - 1, cur_corr, cur_corrlen);
	}
	/* No wake-up: the supervisor reads the ring on its 100 ms tick. */
	(void)fp_ring_publish(&logring);
	pthread_mutex_unlock(&logmtx);
}

static void
check_parent(struct wctx *w)
{
	if (getppid() != w->ppid)
		_exit(0);
}

/*
 * Sleep until the supervisor signals us (or a periodic parent check).  A
 * second without a wake-up: idle; give back the pages of the result blob
 * ring past its first megabyte, which a burst of large results filled,
 * and a large result buffer (once, until the next task writes it again).
 */
static void
wait_wakeup(struct wctx *w)
{
	int	 r;

	r = fp_notify_wait(w->efd, WORKER_IDLE_CHECK_MS);
	if (r == -1 && errno != EINTR)
		fatal("worker_wait", NULL);
	if (r == FP_AGAIN && !w->trimmed &&
	    fp_ring_trim(&w->btx, BLOB_KEEP) != FP_AGAIN) {
		w->trimmed = 1;
		if (w->sb.alloc > RESULT_IDLE_KEEP) {
			msgpack_sbuffer_destroy(&w->sb);
			msgpack_sbuffer_init(&w->sb);
		}
	}
	check_parent(w);
}

/*
 * fp_msg_write on ring r, waiting for room when it is full.  What was
 * written on both rings is published first, so that the supervisor can
 * make room (it reads a blob only after the record that announces it).
 */
static void
put_msg(struct wctx *w, struct fp_ring *r, uint16_t type, uint64_t id,
    const void *hdr, size_t hlen, const void *body, size_t blen)
{
	size_t	 done = 0;
	int	 rc;

	while ((rc = fp_msg_write(r, type, id, hdr, hlen, body, blen,
	    &done)) == FP_AGAIN) {
		/* We wait too: wake a lazy supervisor. */
		if (fp_ring_publish(&w->btx) == -1 ||
		    fp_ring_publish_idle(&w->tx) == -1)
			fatal("worker_publish", NULL);
		rc = fp_ring_space_wait(r, fp_ring_maxrec(r));
		if (rc == -1)
			fatalx("worker_ring", "msg=\"result ring corrupt\"");
		if (rc == 0)
			wait_wakeup(w);
	}
	if (rc == -1)
		fatal("worker_put", NULL);
	WIRE_BUMP64(&w->stats->copy_bytes, blen);
}

/*
 * Put one message on the result ring, waiting for room if it is full: the
 * run (struct wire_run), `hdr', then `body'; a result body past
 * WIRE_BLOB_MIN goes to the result blob ring after the record (wire.h).
 */
static void
put_result(struct wctx *w, uint16_t type, uint64_t id,
    const struct wire_run *run, const void *hdr, size_t hlen,
    const void *body, size_t blen)
{
	uint8_t	 head[sizeof(struct wire_run) + sizeof(struct wire_error)];
	struct wire_run brun;

	if (hlen > sizeof(head) - sizeof(*run))
		fatalx("worker_put", "msg=\"header too long\"");
	if (hlen == 0)
		hdr = run;	/* a result: the run is all the header */
	else {
		memcpy(head, run, sizeof(*run));
		memcpy(head + sizeof(*run), hdr, hlen);
		hdr = head;
	}
	hlen += sizeof(*run);
	if (type == FP_REC_RESULT && blen > WIRE_BLOB_MIN) {
		w->trimmed = 0;
		brun = *run;
		brun.flags |= WR_BLOB;
		put_msg(w, &w->tx, type, id, &brun, sizeof(brun), NULL, 0);
		put_msg(w, &w->btx, type, id, NULL, 0, body, blen);
		return;
	}
	put_msg(w, &w->tx, type, id, hdr, hlen, body, blen);
}

static void
put_error(struct wctx *w, uint64_t id, const struct wire_run *run, int code,
    const char *msg)
{
	struct wire_error we = { .code = (uint32_t)code };
	size_t	 n = strlen(msg);

	if (n > WIRE_ERRMSG_MAX)
		n = WIRE_ERRMSG_MAX;
	put_result(w, FP_REC_ERROR, id, run, &we, sizeof(we), msg, n);
}

/*
 * The test handler violate (forkpoold(8)): break the protocol as asked,
 * instead of sending the result.  Only reachable with test-handlers.
 */
static void
violate(struct wctx *w, uint64_t id, const struct wire_run *run,
    const struct fp_hctx *hc)
{
	static const char zero[65536];
	struct wire_error we = { .code = FP_OK };
	struct wire_run	 brun;
	struct timespec	 ts;
	uint64_t	 v;
	size_t		 n, i;
	uint8_t		 hdr[5];

	switch (hc->violate) {
	case VIOLATE_OVERSIZE:
		/* A bin 32 of result_max + arg bytes in all. */
		n = hc->result_max + hc->violate_arg;
		msgpack_sbuffer_clear(&w->sb);
		hdr[0] = 0xc6;
		hdr[1] = (uint8_t)((n - 5) >> 24);
		hdr[2] = (uint8_t)((n - 5) >> 16);
		hdr[3] = (uint8_t)((n - 5) >> 8);
		hdr[4] = (uint8_t)(n - 5);
		msgpack_sbuffer_write(&w->sb, (const char *)hdr, 5);
		for (i = 5; i < n; i += sizeof(zero))
			msgpack_sbuffer_write(&w->sb, zero,
			    n - i < sizeof(zero) ? n - i : sizeof(zero));
		put_result(w, FP_REC_RESULT, id, run, NULL, 0, w->sb.data,
		    w->sb.size);
		break;
	case VIOLATE_BLOB_SPOOF:
		/* The record announces a blob; the blob is another task's. */
		brun = *run;
		brun.flags |= WR_BLOB;
		put_msg(w, &w->tx, FP_REC_RESULT, id, &brun, sizeof(brun),
		    NULL, 0);
		put_msg(w, &w->btx, FP_REC_RESULT, id + ((uint64_t)1 << 32),
		    NULL, 0, zero, WIRE_BLOB_MIN + 1);
		break;
	case VIOLATE_SPOOF:
		/* Same index, another sequence number: no task has it. */
		put_result(w, FP_REC_RESULT, id + ((uint64_t)1 << 32), run,
		    NULL, 0, "\xc0", 1);
		break;
	case VIOLATE_MALFORMED:
		put_result(w, FP_REC_RESULT, id, run, NULL, 0, "\xc1", 1);
		break;
	case VIOLATE_BADERROR:
		put_result(w, FP_REC_ERROR, id, run, &we, sizeof(we), "x", 1);
		break;
	case VIOLATE_CORRUPT:
		w->tx.pos += 3;
		break;
	case VIOLATE_LIE:
		/* Claim to be idle, then die: the task must still count. */
		atomic_store_explicit(&w->stats->running, 0,
		    memory_order_relaxed);
		wire_cur_set(w->stats, 0, 0, 0);
		_exit(3);
	case VIOLATE_LIE_HANG:
		/* Claim to be idle, then never answer: the deadline holds. */
		atomic_store_explicit(&w->stats->running, 0,
		    memory_order_relaxed);
		wire_cur_set(w->stats, 0, 0, 0);
		for (;;)
			pause();
	case VIOLATE_LATE_CORRUPT:
		/*
		 * Answer, then break the result ring once the supervisor has
		 * taken the answer (its index on the ring) and the next task
		 * is in the task ring (arg ms at most), before claiming it:
		 * the violation comes after this task, before that one.
		 */
		put_result(w, FP_REC_RESULT, id, run, NULL, 0, "\xc0", 1);
		if (fp_ring_publish(&w->tx) == -1)
			fatal("worker_publish", NULL);
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000;
		for (i = 0; i < hc->violate_arg && (fp_ring_empty(&w->rx) ||
		    __atomic_load_n((uint64_t *)(void *)((uint8_t *)w->tx.ctl +
		    FP_RING_OFF_TAIL), __ATOMIC_ACQUIRE) != w->tx.published);
		    i++)
			(void)nanosleep(&ts, NULL);
		/* Show the broken index, and never claim the next task. */
		w->tx.pos += 3;
		(void)fp_ring_publish(&w->tx);
		for (;;)
			pause();
	case VIOLATE_CLAIM_FAR:
		/*
		 * Mark every task to come as claimed and revoked, then
		 * answer: the worker loop would skip them all, and the
		 * supervisor must not wait for them (dispatch_tick).
		 */
		v = atomic_load(&w->stats->claim);
		atomic_store(&w->stats->claim, WCLAIM(WCLAIM_CLAIMED(v) +
		    100000, WCLAIM_CLAIMED(v) + 100000));
		put_result(w, FP_REC_RESULT, id, run, NULL, 0, "\xc0", 1);
		break;
	case VIOLATE_RUN_REVOKED:
		/*
		 * Hold the tasks prefetched behind this one until the
		 * supervisor has taken them back (the revoked mark passes
		 * this task's seq; at most arg ms), then run them all the
		 * same: their results are for tasks it no longer holds.
		 * This task is answered nil only after them (worker_loop,
		 * when the ring is empty), so that it is the one the
		 * violation is charged to: answered first, it would leave
		 * the worker idle, and a task given to it again in between
		 * would be.
		 */
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000;
		for (i = 0; i < hc->violate_arg; i++) {
			v = atomic_load(&w->stats->claim);
			if (WSEQ_AFTER(WCLAIM_REVOKED(v), WCLAIM_CLAIMED(v)))
				break;
			(void)nanosleep(&ts, NULL);
		}
		ignore_revoke = 1;
		revoked_answer_id = id;
		revoked_answer_run = *run;
		break;
	}
}

/*
 * Count a run of handler h in the block: the outcome, the time, then `n'
 * last (wire.h).  A task for a handler past the table counts nowhere.
 */
static void
count_run(struct wctx *w, uint32_t h, int code, uint64_t run_ns)
{
	struct wstats_handler	*hs;
	uint64_t		 us = run_ns / 1000;

	if (h >= w->nhandlers)
		return;
	hs = wire_handler(w->stats, h);
	if (code == FP_OK)
		WIRE_BUMP32(&hs->ok, 1);
	else if (code > 0 && code < FP_E__COUNT)
		WIRE_BUMP32(&hs->failed[code], 1);
	WIRE_BUMP64(&hs->sum_us, us);
	WIRE_BUMP32(&hs->hist[fp_hist_index(us)], 1);
	WIRE_BUMP32(&hs->n, 1);
}

/*
 * The params of task id, on the blob ring (wire.h): in place if they are
 * one record, else reassembled.  Waits for them: the supervisor writes
 * the blob after the task's record.
 */
static void
blob_params(struct wctx *w, uint64_t id, const uint8_t **p, size_t *len)
{
	struct fp_rec	 rec;
	int		 r;

	for (;;) {
		r = fp_ring_peek(&w->brx, &rec);
		if (r == -1)
			fatalx("worker_ring", "msg=\"task blob ring corrupt\"");
		if (r == FP_AGAIN) {
			if (fp_ring_publish_idle(&w->tx) == -1)
				fatal("worker_publish", NULL);
			if (fp_ring_sleep_prepare(&w->brx) == 0) {
				wait_wakeup(w);
				fp_ring_sleep_cancel(&w->brx);
			}
			continue;
		}
		if (rec.type != FP_REC_TASK || rec.id != id)
			fatalx("worker_ring", "msg=\"blob of another task\"");
		if ((rec.flags & FP_RECF_MORE) == 0 && !w->bas.active) {
			w->bpeeked = 1;
			*p = rec.data;
			*len = rec.len;
			return;
		}
		r = fp_asm_add(&w->bas, &rec);
		fp_ring_consume(&w->brx);
		if (fp_ring_release(&w->brx) == -1)
			fatal("worker_release", NULL);
		WIRE_BUMP64(&w->stats->copy_bytes, rec.len);
		if (r == FP_AGAIN)
			continue;
		if (r == -1)
			fatal("worker_assemble", NULL);
		*p = w->bas.buf;
		*len = w->bas.len;
		return;
	}
}

/* Done with the params of the blob ring: their room goes back. */
static void
blob_release(struct wctx *w)
{
	if (!w->bpeeked)
		return;
	w->bpeeked = 0;
	fp_ring_consume(&w->brx);
	if (fp_ring_release(&w->brx) == -1)
		fatal("worker_release", NULL);
}

static void
run_task(struct wctx *w, uint64_t id, const uint8_t *data, size_t len)
{
	struct wire_task	 wt;
	struct wire_run		 run;
	const struct handler	*h = NULL;
	struct fp_hctx		 hc;
	msgpack_object		 params;
	const uint8_t		*praw;
	size_t			 off = 0, plen;
	uint64_t		 t0, t1;
	int			 rc = -1, called = 0, ran = 1, unchecked;

	if (len < sizeof(wt))
		fatalx("worker_ring", "msg=\"short task record\"");
	memcpy(&wt, data, sizeof(wt));
	/* The correlation id, then the params; corrlen is bounded by len. */
	if (wt.corrlen > len - sizeof(wt))
		fatalx("worker_ring", "msg=\"short task record\"");
	praw = data + sizeof(wt) + wt.corrlen;
	plen = len - sizeof(wt) - wt.corrlen;
	unchecked = (wt.flags & WT_UNCHECKED) != 0;
	if ((wt.flags & WT_BLOB) != 0) {
		if (plen != 0)
			fatalx("worker_ring", "msg=\"bad blob task\"");
		blob_params(w, id, &praw, &plen);
	}
	/*
	 * Claimed before `running' says so (wire.h, struct wstats).  A task
	 * taken back for another worker is dropped, its blob with it.
	 */
	if (!wire_claim(w->stats, wt.seq) && !ignore_revoke) {
		blob_release(w);
		return;
	}
	atomic_store_explicit(&w->stats->running, id, memory_order_relaxed);
	t0 = fp_now_ns();
	wire_cur_set(w->stats, id, wt.handler, t0);
	atomic_store_explicit(&w->stats->state, WS_BUSY, memory_order_relaxed);
	if (wt.corrlen > 0) {
		cur_corr = (const char *)data + sizeof(wt);
		cur_corrlen = wt.corrlen;
	}
	memset(&hc, 0, sizeof(hc));
	hc.pk = &w->pk;
	hc.sb = &w->sb;
	hc.deadline_ns = wt.deadline_ns;
	hc.raw = praw;
	hc.rawlen = plen;
	hc.result_max = w->result_max;
	msgpack_sbuffer_clear(&w->sb);
	msgpack_zone_clear(&w->zone);
	if (wt.deadline_ns != 0 && t0 >= wt.deadline_ns) {
		/* Expired while prefetched: the supervisor answered it already. */
		hctx_error(&hc, FP_E_TIMEOUT, "the deadline passed before the "
		    "task started; it never ran");
		ran = 0;
	} else if ((h = handler_get(wt.handler)) == NULL)
		hctx_error(&hc, FP_E_NO_SUCH_METHOD, "no such handler");
	else if (unchecked && (h->flags & HF_CHECKS) == 0 &&
	    !fp_mp_one_array(praw, plen)) {
		/*
		 * From a client's arena: checked here, not by the supervisor,
		 * and before msgpack-c sees them (it allocates what an array
		 * header claims); a raw handler that checks them itself
		 * (HF_CHECKS) does it then.
		 */
		hctx_error(&hc, FP_E_BAD_REQUEST, WIRE_SHM_PARAMS_BAD);
		ran = 0;
	} else if ((h->flags & HF_RAW) == 0 &&
	    msgpack_unpack((const char *)praw, plen, &off, &w->zone,
	    &params) != MSGPACK_UNPACK_SUCCESS)
		hctx_error(&hc, FP_E_INVALID_PARAMS,
		    "params nest too deeply or are malformed");
	else {
		/* A raw handler reads hc.raw and skips the unpacking. */
		if ((h->flags & HF_RAW) != 0)
			params.type = MSGPACK_OBJECT_NIL;
		if ((h->flags & HF_PLUGIN) != 0)
			rc = plugin_call(h, &hc, &params, &w->sb);
		else
			rc = h->fn(&hc, &params);
		called = 1;
	}
	/* The run: from t0 to the handler's return, before any ring work. */
	t1 = fp_now_ns();
	memset(&run, 0, sizeof(run));
	run.started_ns = t0;
	run.run_ns = t1 - t0;
	if (called && rc == 0 && hc.err == 0) {
		if (hc.violate != VIOLATE_NONE) {
			violate(w, id, &run, &hc);
			goto done;
		}
		/*
		 * The supervisor kills a worker that sends more than
		 * RESULT_MAX: refuse it here, as an answer.
		 */
		if (w->sb.size > hc.result_max)
			hctx_error(&hc, FP_E_TOO_LARGE, "the result is %zu "
			    "bytes, more than the %zu a result may hold "
			    "(4 x max-request-size)", w->sb.size,
			    hc.result_max);
		else {
			count_run(w, wt.handler, FP_OK, run.run_ns);
			put_result(w, FP_REC_RESULT, id, &run, NULL, 0,
			    w->sb.data, w->sb.size);
			goto done;
		}
	}
	if (hc.err == 0)
		hctx_error(&hc, FP_E_INTERNAL, "handler failed");
	if (ran)
		count_run(w, wt.handler, hc.err, run.run_ns);
	put_error(w, id, &run, hc.err, hc.errmsg);
done:
	/*
	 * Publish before clearing `running': a worker that dies between the
	 * two leaves a result the supervisor finds, never a task it would
	 * call crashed although it finished.  The blob first: its record
	 * announces it.
	 */
	blob_release(w);
	if (fp_ring_publish(&w->btx) == -1 || fp_ring_publish(&w->tx) == -1)
		fatal("worker_publish", NULL);
	atomic_store_explicit(&w->stats->running, 0, memory_order_relaxed);
	wire_cur_set(w->stats, 0, 0, 0);
	atomic_store_explicit(&w->stats->state, WS_IDLE, memory_order_relaxed);
	WIRE_BUMP64(&w->stats->busy_ns, t1 - t0);
	cur_corr = NULL;
	cur_corrlen = 0;
	/*
	 * A result buffer grown by one large result (or by a text that
	 * stopped at RESULT_MAX) is not kept for the life of the worker: up
	 * to RESULT_KEEP while tasks come (growing one again costs a page
	 * fault a page, dearer than the copy on these VMs), RESULT_IDLE_KEEP
	 * once idle (wait_wakeup).
	 */
	if (w->sb.alloc > RESULT_KEEP) {
		msgpack_sbuffer_destroy(&w->sb);
		msgpack_sbuffer_init(&w->sb);
	}
}

/*
 * The task ring is empty after a task: poll it (no syscall) for the budget
 * the supervisor allows while a CPU is free (spin.h) before sleeping, so
 * that the next task costs no wake-up.  1 if one came.
 */
static int
spin_ring(struct wctx *w)
{
	uint32_t	 max;
	uint64_t	 end;
	unsigned	 i;
	int		 found = 0;

	max = atomic_load_explicit(&w->stats->spin_us, memory_order_relaxed);
	if (max > FP_SPIN_MAX_US)
		max = FP_SPIN_MAX_US;
	if ((end = spin_budget(&w->spin, max)) == 0)
		return 0;
	end += fp_now_ns();
	/* The supervisor counts it as the daemon's own load, not another's. */
	atomic_store_explicit(&w->stats->state, WS_SPIN, memory_order_relaxed);
	for (i = 1;; i++) {
		if (!fp_ring_empty(&w->rx)) {
			found = 1;
			break;
		}
		if ((i & 63) == 0) {
			if (fp_now_ns() >= end)
				break;
			/* A client woken on this CPU runs now (spin.c). */
			sched_yield();
		}
		spin_relax();
	}
	atomic_store_explicit(&w->stats->state, WS_IDLE, memory_order_relaxed);
	if (found)
		spin_won(&w->spin, max);
	else
		spin_lost(&w->spin, max);
	return found;
}

static void __attribute__((noreturn))
worker_loop(struct wctx *w)
{
	struct fp_rec	 rec;
	uint64_t	 slept;
	int		 r, ran = 0;

	for (;;) {
		r = fp_ring_peek(&w->rx, &rec);
		if (r == -1)
			fatalx("worker_ring", "msg=\"task ring corrupt\"");
		if (r == FP_AGAIN) {
			if (revoked_answer_id != 0) {
				/* violate run-revoked, after the tasks. */
				put_result(w, FP_REC_RESULT, revoked_answer_id,
				    &revoked_answer_run, NULL, 0, "\xc0", 1);
				revoked_answer_id = 0;
			}
			/*
			 * Nothing more to do: a supervisor that sleeps
			 * until we are idle (it takes our results in
			 * batches while we work) must know now, before we
			 * spin.
			 */
			if (fp_ring_publish_idle(&w->tx) == -1)
				fatal("worker_publish", NULL);
			/* Only right after work: an idle worker just sleeps. */
			if (ran && spin_ring(w)) {
				ran = 0;
				continue;
			}
			ran = 0;
			if (fp_ring_sleep_prepare(&w->rx) == 0) {
				slept = fp_now_ns();
				wait_wakeup(w);
				fp_ring_sleep_cancel(&w->rx);
				spin_slept(&w->spin, atomic_load_explicit(
				    &w->stats->spin_us, memory_order_relaxed),
				    fp_now_ns() - slept);
			}
			continue;
		}
		ran = 1;
		if (rec.type != FP_REC_TASK)
			fatalx("worker_ring", "msg=\"unexpected record\" type=%u",
			    rec.type);
		if ((rec.flags & FP_RECF_MORE) || w->as.active) {
			r = fp_asm_add(&w->as, &rec);
			fp_ring_consume(&w->rx);
			if (fp_ring_release(&w->rx) == -1)
				fatal("worker_release", NULL);
			if (r == FP_AGAIN)
				continue;
			if (r == -1)
				fatal("worker_assemble", NULL);
			run_task(w, w->as.id, w->as.buf, w->as.len);
			continue;
		}
		/* The supervisor never rewrites a published record: run in place. */
		run_task(w, rec.id, rec.data, rec.len);
		fp_ring_consume(&w->rx);
		if (fp_ring_release(&w->rx) == -1)
			fatal("worker_release", NULL);
	}
}

void
worker_child(const struct worker_spec *ws)
{
	struct wctx	 w;
	sigset_t	 all;
	char		 errmsg[512], q[600];

	memset(&w, 0, sizeof(w));
	w.ppid = ws->ppid;
	/*
	 * From here on its log lines go to the log ring (the supervisor
	 * formatted it before fork).  Standard error stays a pipe to the
	 * supervisor for what does not come through log_* (crash output,
	 * sanitizer reports).
	 */
	w.nhandlers = handler_count();
	if (fp_ring_attach(&logring, wire_log_ring(ws->stats, w.nhandlers),
	    WLOG_RING_SIZE, 1, -1) == -1)
		fatal("worker_attach", NULL);
	logstats = ws->stats;
	log_set_sink(log_to_ring);
	/* Die with the supervisor; check it did not die before prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal("worker_prctl", NULL);
	check_parent(&w);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);	/* ^C reaches the supervisor, which drains */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	setproctitle("worker %d", ws->slot);

	w.efd = ws->wrk_efd;
	w.stats = ws->stats;
	w.result_max = RESULT_MAX(ws->conf);
	/* A ring message holds UINT32_MAX bytes, the run's header too. */
	if (w.result_max > UINT32_MAX - sizeof(struct wire_run))
		w.result_max = UINT32_MAX - sizeof(struct wire_run);
	if (fp_ring_attach(&w.rx, fp_seg_ring(ws->seg, 0),
	    ws->seg->ringsize, 0, ws->sup_efd) == -1 ||
	    fp_ring_attach(&w.tx, fp_seg_ring(ws->seg, 1),
	    ws->seg->ringsize, 1, ws->sup_efd) == -1 ||
	    fp_ring_attach(&w.brx, fp_seg_ring(ws->seg, 2),
	    ws->seg->blobsize, 0, ws->sup_efd) == -1 ||
	    fp_ring_attach(&w.btx, fp_seg_ring(ws->seg, 3),
	    ws->seg->blobsize, 1, ws->sup_efd) == -1)
		fatal("worker_attach", NULL);
	fp_ring_set_rewind(&w.btx);
	fp_ring_set_rewind(&w.brx);
	/*
	 * Its segment is mapped and its descriptors are all it keeps: give
	 * up root before any plug-in code or client byte runs here.  A
	 * failure is the configuration's or the system's: exit, and the
	 * respawn back-off keeps it from looping fast.
	 */
	if (priv_drop(ws->conf, errmsg, sizeof(errmsg)) == -1) {
		char	 qu[4 * FP_CONF_NAME + 3];

		log_error("worker_privdrop_failed", "user=%s msg=%s",
		    log_quote(ws->conf->user, qu, sizeof(qu)),
		    log_quote(errmsg, q, sizeof(q)));
		_exit(1);
	}
	/* Changing ids cleared the parent-death signal. */
	if (ws->conf->user[0] != '\0') {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
			fatal("worker_prctl", NULL);
		check_parent(&w);
	}
	/*
	 * The supervisor's malloc settings came with fork; a worker cannot
	 * trim when idle, so it keeps less freed memory for the next task.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 16 << 20);
	msgpack_sbuffer_init(&w.sb);
	msgpack_packer_init(&w.pk, &w.sb, msgpack_sbuffer_write);
	if (!msgpack_zone_init(&w.zone, 8192))
		fatalx("worker_init", "msg=\"out of memory\"");
	/*
	 * Tasks come from the supervisor, which checked their size when it
	 * accepted them, maybe under the max-request-size of an older
	 * configuration: bound them by the largest one allowed.
	 */
	fp_asm_init(&w.as, ((size_t)1 << 30) + 4096);
	fp_asm_init(&w.bas, ((size_t)1 << 30) + 4096);
	/* The crash-loop test hook (forkpoold(8)): die right after start. */
	if (ws->test_crash)
		abort();
	/* A plug-in that cannot start here: exit, and be restarted later. */
	if (plugins_worker_init(errmsg, sizeof(errmsg)) == -1) {
		log_error("worker_init_failed", "msg=%s",
		    log_quote(errmsg, q, sizeof(q)));
		_exit(1);
	}
	atomic_store(&w.stats->ready, 1);
	atomic_store(&w.stats->state, WS_IDLE);
	log_debug("worker_ready", NULL);
	worker_loop(&w);
}
