/*
 * dispatch.c -- the global FIFO queue, dispatch of tasks to workers'
 * rings, and results coming back.  Ring commits and wake-ups are batched:
 * records are allocated as tasks are dispatched and published once per
 * loop iteration.  Answers go out through control.c
 * (control_reply_result, control_reply_error), or source.c for a stream
 * entry's task (source_reply_result, source_reply_error); exactly one per
 * request.
 */
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "forkpool.h"
#include "breaker_table.h"
#include "control.h"
#include "daemon.h"
#include "dispatch.h"
#include "handlers.h"
#include "log.h"
#include "pool.h"
#include "source.h"
#include "stats.h"

#define RETRY_BASE_MS	100	/* first retry after this, doubling */
#define RETRY_MAX_MS	5000
#define HEAD_GRACE_NS	(1000ULL * 1000000)	/* see dispatch_tick */
#define TASK_EVENTS_PER_S 100	/* task_timeout ... lines a second, each */
#define LAZY_RECENT_NS	(2 * 1000000ULL)	/* see lazy_ok */

/*
 * How long the supervisor may sleep while it takes results in batches
 * (lazy_ok, dispatch_lazy_ns): each wake-up costs it, and the clients it
 * then writes to, tens of microseconds of processor that saturated
 * workers lack (W2 of the peers harness, 100 us tasks, 128 in flight:
 * 5,600 wake-ups a second with a fixed 200 us, efficiency 0.90; 0.95
 * with 2 ms).  So the batch grows with how long answers wait anyway: a
 * quarter of the mean time from request to result of the tasks answered
 * in the last tick, from LAZY_MIN_NS to LAZY_MAX_NS.  A result is then
 * delayed by at most a quarter of what tasks already wait.
 */
#define LAZY_MIN_NS	(200 * 1000ULL)
#define LAZY_MAX_NS	(2 * 1000000ULL)
static uint64_t	 lazy_ns = LAZY_MIN_NS;
static uint64_t	 e2e_sum_ns, e2e_n;	/* results since the last tick */

/*
 * Lines of task events a client can cause at will (a flood of calls with
 * timeout_ms 1 behind busy workers, of calls that crash their worker):
 * rate-limited per event like task_failed (stats.c), and the next line
 * of a kind says how many were held back.
 */
static struct log_limit	 lim_timeout, lim_interrupted, lim_crashed,
			 lim_retry;

/* Whether a line of limit l may go out now; sup: its suppressed= field. */
static int
task_event_ok(struct log_limit *l, uint64_t now, char *sup, size_t len)
{
	uint64_t	 held;

	if (!log_limited_n(l, TASK_EVENTS_PER_S, now, &held))
		return 0;
	sup[0] = '\0';
	if (held > 0)
		snprintf(sup, len, " suppressed=%llu",
		    (unsigned long long)held);
	return 1;
}

/*
 * A new task.  Its deadline is either the configured one (timeout, or
 * handler NAME timeout) or one its caller chose (forkpool.call
 * timeout_ms).  A caller who asks for less time than the configuration
 * gives must not make the handler look broken to everyone else: such a
 * task's timeout does not count towards the handler's circuit breaker
 * (forkpool-rpc(7)).  A caller's deadline at least as long as the
 * configured one counts as the configured one would have.
 */
static void
enqueue(struct task *t)
{
	uint64_t	 conf_ms;

	conf_ms = config_handler_timeout_ms(&sv->conf, t->handler);
	t->own_deadline = t->deadline_ns != 0 && (conf_ms == 0 ||
	    t->deadline_ns - t->enqueued_ns < conf_ms * 1000000ULL);
	t->state = T_QUEUED;
	t->worker = -1;
	TAILQ_INSERT_TAIL(&sv->queue, t, entry);
	sv->nqueued++;
}

static void
requeue_front(struct task *t)
{
	t->state = T_QUEUED;
	t->kill_code = 0;
	t->worker = -1;
	t->started = 0;
	TAILQ_INSERT_HEAD(&sv->queue, t, entry);
	sv->nqueued++;
}

/* Answers: to the client's connection, or to the entry's source. */
static int
reply_result(struct task *t, const uint8_t *data, size_t len)
{
	if (t->src != 0)
		return source_reply_result(t, data, len);
	return control_reply_result(t, data, len);
}

static void
reply_error(struct task *t, int code, const char *msg,
    const struct err_kv *kv, int n)
{
	if (t->src != 0)
		source_reply_error(t, code, msg, kv, n);
	else
		control_reply_error(t, code, msg, kv, n);
}

static void	outcome(struct task *, int);
static void	answer_err(struct task *, int, const char *,
		    const struct err_kv *, int);
static void	finish_err(struct task *, int, const char *);
static void	release(struct task *);

int
dispatch_admit(struct task *t)
{
	enqueue(t);
	sv->nactive++;
	/* Entries were read for room there was (source.c): never refused. */
	if (sv->nqueued <= sv->conf.queue_limit || t->src != 0)
		return 0;
	/*
	 * The queue holds only what no worker can take yet: let the
	 * workers take what they can before turning this one away.
	 */
	dispatch_run();
	if (t->state != T_QUEUED || sv->nqueued <= sv->conf.queue_limit)
		return 0;
	TAILQ_REMOVE(&sv->queue, t, entry);
	sv->nqueued--;
	if (t->probe)
		breaker_table_abandon(t->handler);
	sv->cnt.rejected_full++;
	/* Not a task that failed: one that was never taken. */
	reply_error(t, FP_E_QUEUE_FULL, "the queue is full", NULL, 0);
	stats_task_done(t, FP_E_QUEUE_FULL, NULL, sv->now_ns);
	release(t);
	return -1;
}

/*
 * The task a worker's misbehaviour is charged to: task `id' if this
 * worker holds it and was handed all of it, else the first task of its
 * in-flight list if that one was handed over in full and claimed (the
 * worker runs its tasks in order: that is the one it runs), else NULL.
 */
static struct task *
culprit(struct worker *w, uint64_t id)
{
	struct task	*t;
	uint64_t	 v;

	if ((t = task_lookup(id)) != NULL && t->state == T_DISPATCHED &&
	    t->worker == w->slot && t->started)
		return t;
	t = TAILQ_FIRST(&w->ld.inflight);
	if (t == NULL || !t->started)
		return NULL;
	/*
	 * Not yet claimed (wire.h): the worker broke the protocol after the
	 * task before it was answered, not while it ran this one, which
	 * must not be answered internal nor count against its handler's
	 * breaker.  A worker's word, so it only spares a task blame: whether
	 * the task ran, and what that costs it, stays dispatch_worker_lost's.
	 */
	v = atomic_load_explicit(&w->stats->claim, memory_order_acquire);
	if (WSEQ_AFTER(WCLAIM_CLAIMED(v), w->ld.seq))
		return NULL;	/* no claim it could have made: no culprit */
	return WSEQ_AFTER(t->wseq, WCLAIM_CLAIMED(v)) ? NULL : t;
}

/*
 * A worker broke the ring protocol: stop listening to it and kill it.
 * The task it was at is answered at once (`code': too_large for a result
 * past RESULT_MAX, internal naming the violation otherwise) and counts as
 * a failure of its handler; the death counts like a crash for the
 * respawn back-off (pool.c).  A notification's task is dropped.  Never
 * retried: a task that makes its worker misbehave would do it again.
 */
static void
worker_violation(struct worker *w, uint64_t id, int code, const char *why)
{
	struct task	*t;
	const char	*hn;
	char		 msg[WIRE_ERRMSG_MAX + 1];

	if (w->state != W_READY && w->state != W_RETIRING)
		return;
	sv->cnt.worker_protocol_errors++;
	t = culprit(w, id);
	hn = t != NULL ? handler_name(t->handler) : NULL;
	log_warnx("worker_protocol", "worker=%d pid=%d handler=%s msg=\"%s\"",
	    w->slot, (int)w->pid, hn != NULL ? hn : "none", why);
	pool_kill_violator(w, why);
	if (t == NULL)
		return;
	t->kill_code = (uint8_t)code;
	outcome(t, 1);
	if (t->answered)
		return;
	if (code == FP_E_TOO_LARGE)
		snprintf(msg, sizeof(msg), "the result is larger than the %zu "
		    "bytes a result may hold (4 x max-request-size); its "
		    "worker was killed",
		    w->ld.as.limit - sizeof(struct wire_run));
	else
		snprintf(msg, sizeof(msg), "worker %d (pid %d) broke the "
		    "protocol (%s) and was killed", w->slot, (int)w->pid, why);
	if (t->conn_gen == 0 && t->src == 0)
		/* A notification: nobody to answer, say it here. */
		log_warnx("task_dropped", "worker=%d pid=%d handler=%s "
		    "error=%s reason=\"%s\"%s%s", w->slot, (int)w->pid,
		    hn != NULL ? hn : "none", fp_err_name(code), why,
		    t->corr ? " corr=" : "", t->corr ? t->corr : "");
	answer_err(t, code, msg, NULL, 0);
}

/*
 * fp_msg_write of task t with its correlation id after the header: the
 * head is built again on each call, the same bytes each time.  Apart, so
 * that tasks without one do not pay for its buffer.
 */
static int __attribute__((noinline))
write_corr(struct worker *w, struct task *t, struct wire_task *wt, int blob)
{
	uint8_t		 head[sizeof(*wt) + WIRE_CORR_MAX];
	size_t		 clen;
	int		 close;

	clen = log_quoted_cut(t->corr, WIRE_CORR_MAX, &close);
	wt->corrlen = (uint16_t)clen;
	memcpy(head, wt, sizeof(*wt));
	memcpy(head + sizeof(*wt), t->corr, clen);
	if (close)
		head[sizeof(*wt) + clen - 1] = '"';
	return fp_msg_write(&w->tx, FP_REC_TASK, t->id, head,
	    sizeof(*wt) + clen, blob ? NULL : t->params, blob ? 0 : t->plen,
	    &w->ld.partial_done);
}

/*
 * Continue writing the task at the tail of w's in-flight list: struct
 * wire_task, its correlation id (cut to WIRE_CORR_MAX after a whole
 * escape or character, closed with its quote: log_quoted_cut), its params
 * in the same record, or, past WIRE_BLOB_MIN, as the next message of the
 * task blob ring (wire.h).  The record goes first, then the blob.
 */
static void
write_partial(struct worker *w)
{
	struct task	*t = w->ld.partial;
	struct wire_task wt;
	int		 r = 0, blob = t->plen > WIRE_BLOB_MIN;

	w->ld.dirty = 1;
	if (!w->ld.head_done) {
		memset(&wt, 0, sizeof(wt));
		wt.handler = t->handler;
		wt.deadline_ns = t->deadline_ns;
		wt.seq = t->wseq;
		if (blob)
			wt.flags |= WT_BLOB;
		if (t->unchecked)
			wt.flags |= WT_UNCHECKED;
		if (t->corr != NULL)
			r = write_corr(w, t, &wt, blob);
		else
			r = fp_msg_write(&w->tx, FP_REC_TASK, t->id, &wt,
			    sizeof(wt), blob ? NULL : t->params,
			    blob ? 0 : t->plen, &w->ld.partial_done);
		if (r == 0)
			w->ld.head_done = 1;
	}
	if (r == 0 && blob)
		r = fp_msg_write(&w->btx, FP_REC_TASK, t->id, NULL, 0,
		    t->params, t->plen, &w->ld.blob_done);
	if (r == 0) {
		w->ld.partial = NULL;
		w->ld.blocked = 0;
		w->ld.head_done = 0;
		t->started = 1;
		sv->cnt.bytes_copied += t->plen;
		if (t->plen >= EAGER_BYTES)
			dispatch_publish_worker(w);
		if (t->answered)
			task_params_done(t);	/* cancelled while written */
	} else if (r == FP_AGAIN)
		w->ld.blocked = 1;
	else
		worker_violation(w, 0, FP_E_INTERNAL, "task ring index corrupt");
}

static void
send_task(struct worker *w, struct task *t)
{
	task_newid(t);
	t->state = T_DISPATCHED;
	t->worker = w->slot;
	/* A bound for the worker's claims: it cannot start before this. */
	t->sent_ns = sv->now_ns;
	t->started = 0;
	t->attempts++;
	t->wseq = ++w->ld.seq;
	TAILQ_INSERT_TAIL(&w->ld.inflight, t, entry);
	w->ld.ninflight++;
	w->ld.partial = t;
	w->ld.partial_done = 0;
	w->ld.blob_done = 0;
	w->ld.head_done = 0;
	write_partial(w);
}

/*
 * Whether w may be handed a task now: ready, not being killed, nothing
 * half written, below prefetch, and not a worker tasks were taken back
 * from (ld.slow) unless it holds none any more: it runs something long.
 */
static int
can_take(const struct worker *w)
{
	return w->state == W_READY && w->ld.partial == NULL &&
	    w->kill_ns == 0 && w->ld.ninflight < sv->conf.prefetch &&
	    (!w->ld.slow || w->ld.ninflight == 0);
}

/* The ready worker with the fewest tasks in flight, below prefetch. */
static struct worker *
pick_worker(void)
{
	struct worker	*w, *best = NULL;
	int		 i;

	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (!can_take(w))
			continue;
		if (best == NULL || w->ld.ninflight < best->ld.ninflight)
			best = w;
		if (w->ld.ninflight == 0)
			break;
	}
	return best;
}

/*
 * Take back from w the tasks it holds and has not claimed (wire.h,
 * struct wstats `claim'): those after the last one it claimed, up to the
 * last one written to its ring in full (one still being written in
 * fragments stays: its record is not whole).  wire_revoke: one
 * compare-and-swap of the revoked mark, retried while the worker claims
 * meanwhile: whoever swaps first has the task.  A claim the worker could
 * not have made (past the last seq sent, or before the oldest it holds)
 * counts as everything claimed: a hostile worker can keep its own tasks,
 * no more.  Tasks taken back go to the front of the queue in their
 * order, attempt not counted; one answered meanwhile (cancelled, timed
 * out) is released.  Returns how many were taken back.  With `dry', only
 * counts them.
 */
static uint32_t
take_back(struct worker *w, int dry)
{
	struct task	*t, *prev, *head;
	uint32_t	 mark, pos, n;

	head = TAILQ_FIRST(&w->ld.inflight);
	if (head == NULL)
		return 0;
	mark = w->ld.partial != NULL ? w->ld.seq - 1 : w->ld.seq;
	n = wire_revoke(w->stats, head->wseq, w->ld.seq, mark, dry, &pos);
	if (dry || n == 0)
		return n;
	n = 0;
	/* Walk backwards so that requeueing at the front keeps FIFO order. */
	for (t = TAILQ_LAST(&w->ld.inflight, taskq); t != NULL; t = prev) {
		prev = TAILQ_PREV(t, taskq, entry);
		if (WSEQ_AFTER(t->wseq, mark))
			continue;	/* being written: stays */
		if (!WSEQ_AFTER(t->wseq, pos))
			break;
		TAILQ_REMOVE(&w->ld.inflight, t, entry);
		w->ld.ninflight--;
		n++;
		if (t->answered) {
			release(t);
			continue;
		}
		/* It did not run: attempts counts runs. */
		t->attempts--;
		requeue_front(t);
	}
	sv->cnt.tasks_revoked += n;
	return n;
}

/*
 * No task waits behind another while a worker is idle: with the queue
 * empty and a worker idle, take back the prefetched tasks of the worker
 * that holds most of them and dispatch them again.  That worker gets no
 * more tasks until it has none (ld.slow): it runs something long.  A
 * worker holding one task it has not started keeps it: moving it would
 * gain nothing.  Bounded: each round moves tasks to an idle worker.
 */
static void
rebalance(void)
{
	struct worker	*w, *victim;
	struct task	*t;
	uint32_t	 n, most;
	int		 i, idle, rounds;

	for (rounds = 0; rounds < sv->nslots; rounds++) {
		if (!TAILQ_EMPTY(&sv->queue))
			return;
		idle = 0;
		for (i = 0; i < sv->nslots && !idle; i++) {
			w = &sv->workers[i];
			idle = w->ld.ninflight == 0 && can_take(w);
		}
		if (!idle)
			return;
		victim = NULL;
		most = 0;
		for (i = 0; i < sv->nslots; i++) {
			w = &sv->workers[i];
			/* Cheap tests first: the claim word is shared. */
			if ((w->state != W_READY && w->state != W_RETIRING) ||
			    w->kill_ns != 0 || w->ld.ninflight < 2 ||
			    w->ld.ninflight - 1 <= most)
				continue;
			n = take_back(w, 1);
			if (n >= w->ld.ninflight)
				n = w->ld.ninflight - 1; /* keeps one, as above */
			if (n > most) {
				most = n;
				victim = w;
			}
		}
		if (victim == NULL || take_back(victim, 0) == 0)
			return;
		/*
		 * Slow while it runs what it kept; not if it kept nothing
		 * (it had started none of them).
		 */
		victim->ld.slow = victim->ld.ninflight > 0;
		while ((t = TAILQ_FIRST(&sv->queue)) != NULL &&
		    (w = pick_worker()) != NULL) {
			TAILQ_REMOVE(&sv->queue, t, entry);
			sv->nqueued--;
			send_task(w, t);
		}
	}
}

void
dispatch_run(void)
{
	struct worker	*w;
	struct task	*t;
	int		 i;

	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		/* A retiring worker still gets the rest of a task it holds. */
		if ((w->state == W_READY || w->state == W_RETIRING) &&
		    w->ld.partial != NULL)
			write_partial(w);
	}
	while ((t = TAILQ_FIRST(&sv->queue)) != NULL &&
	    (w = pick_worker()) != NULL) {
		TAILQ_REMOVE(&sv->queue, t, entry);
		sv->nqueued--;
		send_task(w, t);
	}
	rebalance();
}

void
dispatch_publish_worker(struct worker *w)
{
	if ((w->state != W_READY && w->state != W_RETIRING) || !w->ld.dirty)
		return;
	w->ld.dirty = 0;
	/* Cheap when the blob ring has nothing new. */
	if (fp_ring_publish(&w->btx) == -1 || fp_ring_publish(&w->tx) == -1)
		log_warn("worker_wake", "worker=%d", w->slot);
}

void
dispatch_publish(void)
{
	int	 i;

	for (i = 0; i < sv->nslots; i++)
		dispatch_publish_worker(&sv->workers[i]);
}

/* ---- answers: exactly one per request ---------------------------------- */

static void
release(struct task *t)
{
	sv->nactive--;
	task_free(t);
}

static void
count_error(int code)
{
	sv->cnt.tasks_failed++;
	if (code == FP_E_TIMEOUT)
		sv->cnt.tasks_timeout++;
	else if (code == FP_E_CANCELLED)
		sv->cnt.tasks_cancelled++;
}

/*
 * Answer t with an error unless it was answered already.  The task itself
 * stays where it is: a worker may still hold it, and its result is then
 * dropped when it comes.
 */
static void
answer_err_kv(struct task *t, int code, const char *msg,
    const struct err_kv *kv, int n, const struct task_run *run)
{
	if (t->answered)
		return;
	t->answered = 1;
	count_error(code);
	if (t->probe)
		breaker_table_abandon(t->handler);
	reply_error(t, code, msg, kv, n);
	stats_task_done(t, code, run, sv->now_ns);
}

static void
answer_err(struct task *t, int code, const char *msg, const struct err_kv *kv,
    int n)
{
	answer_err_kv(t, code, msg, kv, n, NULL);
}

/* The same for an error a worker answered, which ran as `run' says. */
static void
answer_err_run(struct task *t, int code, const char *msg,
    const struct task_run *run)
{
	answer_err_kv(t, code, msg, NULL, 0, run);
}

static void
finish_err(struct task *t, int code, const char *msg)
{
	answer_err(t, code, msg, NULL, 0);
	release(t);
}

/* Breaker bookkeeping for a task whose worker finished or lost it. */
static void
outcome(struct task *t, int failure)
{
	breaker_table_result(t->handler, failure, t->probe);
	t->probe = 0;
}

/*
 * What the worker says of t's run (struct wire_run at the head of its
 * answer), checked against our clock: it started after we sent the task
 * and before now, and ran no longer than since then; else unknown
 * (started_ns 0).  `now' is the loop's clock, or a later reading when a
 * claim is past it (the task started or ended during this iteration):
 * one reading serves the rest of the results read with it.
 */
static void
check_run(const struct worker *w, const struct task *t,
    const struct wire_run *wr, struct task_run *run)
{
	static uint64_t	 later;
	uint64_t	 now = later > sv->now_ns ? later : sv->now_ns;

	run->worker = w->slot;
	run->pid = w->pid;
	run->started_ns = 0;
	run->run_ns = 0;
	if (wr->started_ns > now || wr->run_ns > now - wr->started_ns)
		now = later = fp_now_ns();
	if (wr->started_ns < t->sent_ns || wr->started_ns > now ||
	    wr->run_ns > now - wr->started_ns)
		return;
	run->started_ns = wr->started_ns;
	run->run_ns = wr->run_ns;
}

/*
 * Deliver one result message: `wr' (the worker's, copied) and the body
 * that followed it in the record, or came from the blob ring.  The bytes
 * are the worker's: check the task id, the type and the payload before a
 * client sees any of it.
 */
static void
handle_result(struct worker *w, struct task *t, uint16_t type, uint64_t id,
    const struct wire_run *wr, const uint8_t *data, size_t len)
{
	struct wire_error	 we;
	struct task_run		 run;
	char			 msg[WIRE_ERRMSG_MAX + 1];
	size_t			 i;

	check_run(w, t, wr, &run);
	if (type == FP_REC_RESULT) {
		/*
		 * A task answered early (cancel, timeout) is no longer on
		 * its connection: its result is only checked, and dropped.
		 */
		if (reply_result(t, data, len) == -1) {
			worker_violation(w, id, FP_E_INTERNAL,
			    "malformed result");
			return;
		}
		if (!t->answered) {
			t->answered = 1;
			sv->cnt.tasks_ok++;
			stats_task_done(t, FP_OK, &run, sv->now_ns);
			if (sv->now_ns > t->enqueued_ns) {
				e2e_sum_ns += sv->now_ns - t->enqueued_ns;
				e2e_n++;
			}
		}
		outcome(t, 0);
		goto done;
	}
	if (len < sizeof(we)) {
		worker_violation(w, id, FP_E_INTERNAL,
		    "unexpected record type");
		return;
	}
	memcpy(&we, data, sizeof(we));
	len -= sizeof(we);
	/* dead_lettered is the sources' own (source.c). */
	if (we.code == FP_OK || we.code >= FP_E_DEAD_LETTERED ||
	    len > WIRE_ERRMSG_MAX) {
		worker_violation(w, id, FP_E_INTERNAL, "bad error record");
		return;
	}
	/* Messages reach clients as MessagePack str: keep them printable. */
	for (i = 0; i < len; i++) {
		uint8_t ch = data[sizeof(we) + i];
		msg[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	msg[len] = '\0';
	answer_err_run(t, (int)we.code, msg, &run);
	/* A handler's own error is the handler working, not failing. */
	outcome(t, 0);
done:
	TAILQ_REMOVE(&w->ld.inflight, t, entry);
	if (--w->ld.ninflight == 0)
		w->ld.slow = 0;
	w->ld.tasks_done++;
	release(t);
}

/*
 * The body of task id's result from the result blob ring: *body, *blen in
 * place (one record, consumed by blob_done) or reassembled from
 * fragments.  0, FP_AGAIN if it is not all there yet (what is there was
 * taken, and room given back), or -1 after a violation.
 */
static int
blob_take(struct worker *w, uint64_t id, const uint8_t **body, size_t *blen)
{
	struct fp_rec	 rec;
	int		 r;

	while (!w->ld.bas_ready) {
		r = fp_ring_peek(&w->brx, &rec);
		if (r == FP_AGAIN) {
			w->ld.bwait = 1;
			if (fp_ring_release(&w->brx) == -1)
				log_warn("worker_wake", "worker=%d", w->slot);
			return FP_AGAIN;
		}
		if (r == -1) {
			worker_violation(w, id, FP_E_INTERNAL,
			    "result blob ring corrupt");
			return -1;
		}
		if (rec.id != id || rec.type != FP_REC_RESULT) {
			worker_violation(w, id, FP_E_INTERNAL,
			    "blob of another result");
			return -1;
		}
		if ((rec.flags & FP_RECF_MORE) == 0 && !w->ld.bas.active) {
			if (rec.len > w->ld.bas.limit) {
				worker_violation(w, id, FP_E_TOO_LARGE,
				    "result larger than the limit");
				return -1;
			}
			w->ld.bpeeked = 1;
			w->ld.bwait = 0;
			*body = rec.data;
			*blen = rec.len;
			return 0;
		}
		r = fp_asm_add(&w->ld.bas, &rec);
		fp_ring_consume(&w->brx);
		if (r == -1) {
			worker_violation(w, id, errno == EMSGSIZE ?
			    FP_E_TOO_LARGE : FP_E_INTERNAL, errno == EMSGSIZE ?
			    "result larger than the limit" : errno == ENOMEM ?
			    "out of memory for a result" : "bad result fragment");
			return -1;
		}
		if (r == 0) {
			w->ld.bas_ready = 1;
			sv->cnt.bytes_copied += w->ld.bas.len;
		}
	}
	w->ld.bwait = 0;
	*body = w->ld.bas.buf;
	*blen = w->ld.bas.len;
	return 0;
}

/* The blob blob_take gave is delivered: let the worker reuse its room. */
static void
blob_done(struct worker *w)
{
	if (w->ld.bpeeked)
		fp_ring_consume(&w->brx);
	w->ld.bpeeked = 0;
	w->ld.bas_ready = 0;
}

/*
 * One message of the result ring: check who it is for and its header,
 * find its body (after the header, or on the blob ring), deliver it.
 * FP_AGAIN: its blob is not all there yet, keep the message for later.
 */
static int
result_msg(struct worker *w, uint16_t type, uint64_t id, const uint8_t *data,
    size_t len)
{
	struct task	*t;
	struct wire_run	 wr;
	const uint8_t	*body;
	size_t		 blen;
	int		 r;

	t = task_lookup(id);
	if (t == NULL || t->state != T_DISPATCHED || t->worker != w->slot ||
	    !t->started) {
		worker_violation(w, id, FP_E_INTERNAL,
		    "result for a task it does not hold");
		return -1;
	}
	if ((type != FP_REC_RESULT && type != FP_REC_ERROR) ||
	    len < sizeof(wr)) {
		worker_violation(w, id, FP_E_INTERNAL,
		    "unexpected record type");
		return -1;
	}
	memcpy(&wr, data, sizeof(wr));
	if ((wr.flags & WR_BLOB) == 0) {
		handle_result(w, t, type, id, &wr, data + sizeof(wr),
		    len - sizeof(wr));
		return 0;
	}
	if (type != FP_REC_RESULT || len != sizeof(wr)) {
		worker_violation(w, id, FP_E_INTERNAL, "bad blob result");
		return -1;
	}
	if ((r = blob_take(w, id, &body, &blen)) != 0)
		return r;
	handle_result(w, t, type, id, &wr, body, blen);
	blob_done(w);
	return 0;
}

int
dispatch_results(struct worker *w)
{
	struct fp_rec	 rec;
	int		 r, n = 0;

	while (w->state == W_READY || w->state == W_RETIRING) {
		r = fp_ring_peek(&w->rx, &rec);
		if (r == FP_AGAIN)
			break;
		if (r == -1) {
			worker_violation(w, 0, FP_E_INTERNAL,
			    "result ring corrupt");
			return -1;
		}
		if ((rec.flags & FP_RECF_MORE) || w->ld.as.active) {
			r = fp_asm_add(&w->ld.as, &rec);
			fp_ring_consume(&w->rx);
			if (r == FP_AGAIN)
				continue;
			if (r == -1 && errno == EMSGSIZE) {
				worker_violation(w, rec.id, FP_E_TOO_LARGE,
				    "result larger than the limit");
				return -1;
			}
			if (r == -1) {
				worker_violation(w, rec.id, FP_E_INTERNAL,
				    errno == ENOMEM ? "out of memory for a "
				    "result" : "bad result fragment");
				return -1;
			}
			sv->cnt.bytes_copied += w->ld.as.len;
			/* Fragments are never a blob's record: no FP_AGAIN. */
			if (result_msg(w, w->ld.as.type, w->ld.as.id,
			    w->ld.as.buf, w->ld.as.len) == FP_AGAIN) {
				worker_violation(w, rec.id, FP_E_INTERNAL,
				    "bad blob result");
				return -1;
			}
		} else if (rec.len > w->ld.as.limit) {
			/* One record, but past the limit all the same. */
			worker_violation(w, rec.id, FP_E_TOO_LARGE,
			    "result larger than the limit");
			return -1;
		} else {
			r = result_msg(w, rec.type, rec.id, rec.data, rec.len);
			if (r == FP_AGAIN)
				break;
			fp_ring_consume(&w->rx);
		}
		n++;
	}
	if (fp_ring_release(&w->rx) == -1 || fp_ring_release(&w->brx) == -1)
		log_warn("worker_wake", "worker=%d", w->slot);
	if (n > 0)
		w->ld.result_ns = sv->now_ns;
	return n;
}

/*
 * Tell workers we are about to sleep; returns 0 if we may block, 1 if a
 * ring already has something for us.
 */
/* The next worker from slot *i on whose rings are read, or NULL. */
static struct worker *
next_live(int *i)
{
	struct worker	*w;

	while (*i < sv->nslots) {
		w = &sv->workers[(*i)++];
		if (w->state == W_READY || w->state == W_RETIRING)
			return w;
	}
	return NULL;
}

/*
 * Whether the supervisor may take w's results in batches, waking every
 * lazy_ns instead of at each one: w has tasks queued behind the one it
 * runs (it does not wait for us) and its results came recently (they come
 * often: a worker busy with a long task is not polled).  Saves a wake-up,
 * with its syscalls and the socket writes to clients, per result when
 * workers are saturated; costs each result up to lazy_ns of delay; the
 * worker wakes us at once when it runs out of work (fp_ring_publish_idle).
 */
static int
lazy_ok(const struct worker *w)
{
	return w->ld.ninflight >= 2 && w->ld.partial == NULL &&
	    sv->now_ns - w->ld.result_ns < LAZY_RECENT_NS;
}

uint64_t
dispatch_lazy_ns(void)
{
	return lazy_ns;
}

int
dispatch_sleep_prepare(int *lazy)
{
	struct worker	*w;
	int		 i = 0, busy = 0, queued = !TAILQ_EMPTY(&sv->queue), l;

	*lazy = 0;
	/* Every live worker is told, whatever the others say. */
	while ((w = next_live(&i)) != NULL) {
		l = lazy_ok(w);
		*lazy |= l;
		if ((l ? fp_ring_sleep_prepare_lazy(&w->rx) :
		    fp_ring_sleep_prepare(&w->rx)) != 0)
			busy = 1;
		/* A result's blob comes after its record. */
		if (w->ld.bwait && fp_ring_sleep_prepare(&w->brx) != 0)
			busy = 1;
		if (w->ld.partial != NULL) {
			struct fp_ring *r = w->ld.head_done ? &w->btx : &w->tx;

			if (fp_ring_space_wait(r, fp_ring_maxrec(r)) != 0)
				busy = 1;
		} else if (queued && can_take(w))
			busy = 1;	/* it can take a queued task now */
	}
	return busy;
}

void
dispatch_sleep_cancel(void)
{
	struct worker	*w;
	int		 i = 0;

	while ((w = next_live(&i)) != NULL) {
		fp_ring_sleep_cancel(&w->rx);
		if (w->ld.bwait)
			fp_ring_sleep_cancel(&w->brx);
	}
}

void
dispatch_results_all(void)
{
	struct worker	*w;
	int		 i = 0;

	while ((w = next_live(&i)) != NULL)
		(void)dispatch_results(w);
}

void
dispatch_worker_reset(struct worker *w, size_t result_max)
{
	struct worker_load *ld = &w->ld;

	fp_asm_init(&ld->as, result_max);
	/* A blob is the body alone: no struct wire_run before it. */
	fp_asm_init(&ld->bas, result_max > sizeof(struct wire_run) ?
	    result_max - sizeof(struct wire_run) : 0);
	ld->bas_ready = ld->bpeeked = ld->bwait = 0;
	TAILQ_INIT(&ld->inflight);
	ld->ninflight = 0;
	ld->partial = NULL;
	ld->partial_done = ld->blob_done = 0;
	ld->head_done = 0;
	ld->dirty = ld->blocked = 0;
	ld->tasks_done = 0;
	ld->seq = 0;
	ld->slow = 0;
}

void
dispatch_worker_free(struct worker *w)
{
	fp_asm_free(&w->ld.as);
	fp_asm_free(&w->ld.bas);
}

/*
 * The daemon is idle: give back the pages of the task blob rings past
 * their first megabyte (fp_ring_trim), which a burst of large params
 * filled; a worker does the same for its result blob ring after a second
 * without work (worker.c).
 */
void
dispatch_trim(void)
{
	struct worker	*w;
	int		 i = 0;

	while ((w = next_live(&i)) != NULL)
		if (w->ld.partial == NULL && fp_ring_trim(&w->btx,
		    BLOB_KEEP) == -1 && errno != EINVAL)
			log_warn("blob_trim", "worker=%d", w->slot);
}

/* Workers that hold a task (forkpool.stats workers_busy). */
int
dispatch_busy(void)
{
	int	 i, n;

	for (i = n = 0; i < sv->nslots; i++)
		n += sv->workers[i].ld.ninflight > 0;
	return n;
}

/* ---- retries -------------------------------------------------------------- */

static void
schedule_retry(struct task *t, uint64_t now)
{
	struct task	*p;
	uint64_t	 delay;
	uint32_t	 shift = t->attempts > 0 ? t->attempts - 1 : 0;
	char		 sup[40];

	delay = RETRY_BASE_MS << (shift > 16 ? 16 : shift);
	if (delay > RETRY_MAX_MS)
		delay = RETRY_MAX_MS;
	t->retries_left--;
	t->state = T_RETRY;
	t->worker = -1;
	t->started = 0;
	t->kill_code = 0;
	t->not_before_ns = now + delay * 1000000ULL;
	sv->cnt.tasks_retried++;
	/* Keep retryq sorted by due time; it is short. */
	TAILQ_FOREACH_REVERSE(p, &sv->retryq, taskq, entry)
		if (p->not_before_ns <= t->not_before_ns)
			break;
	if (p == NULL)
		TAILQ_INSERT_HEAD(&sv->retryq, t, entry);
	else
		TAILQ_INSERT_AFTER(&sv->retryq, p, t, entry);
	if (task_event_ok(&lim_retry, now, sup, sizeof(sup)))
		log_info("task_retry", "msgid=%u attempt=%u delay_ms=%llu%s%s%s",
		    t->msgid, t->attempts, (unsigned long long)delay, sup,
		    t->corr ? " corr=" : "", t->corr ? t->corr : "");
}

/* ---- worker death ----------------------------------------------------------- */

/*
 * Worker w is gone.  Which of the tasks it held did it run?
 *
 * The supervisor knows what it wrote: a task not yet handed over in full
 * (the one being written in fragments) cannot have started.  It also
 * knows that a worker runs its tasks in ring order, one at a time, and
 * that the results it published were taken before we get here (lost()
 * reads them first).  So the first task still in the list, if it was
 * handed over in full, is the one the worker was running, or was about to
 * run: it is charged an attempt.  The stats block's `running' is the
 * worker's claim: it may charge another task too, but it never clears
 * one: a worker that lies or dies at a bad moment cannot make a task run
 * again without using up an attempt.  Every other task was prefetched
 * and did not run: back to the front of the queue, attempt not counted.
 *
 * A charged task is answered, or retried if it has retries left: so no
 * task runs more than 1 + retries times, whatever the worker does.
 * Timeout and cancel (the worker was killed for this task) answer
 * timeout and cancelled; a protocol violation answered it already; a
 * crash is the handler's failure (breaker) and is retried after a
 * back-off; a worker the supervisor stopped for another reason (killed
 * for another task, a race with a deadline) is retried at once without
 * counting against the handler, or answered worker_crashed when the task
 * has no retry left.
 */
void
dispatch_worker_lost(struct worker *w, int status)
{
	struct task	*t, *prev, *head;
	struct err_kv	 kv[2];
	uint64_t	 running, now = fp_now_ns();
	char		 msg[200], imsg[200], sup[40];
	int		 val, killed = w->kill_ns != 0;

	running = atomic_load_explicit(&w->stats->running,
	    memory_order_relaxed);
	if (w->violation != NULL) {
		kv[0].key = "signal";
		val = SIGKILL;
		snprintf(msg, sizeof(msg), "worker %d (pid %d) was killed: it "
		    "broke the protocol (%s)", w->slot, (int)w->pid,
		    w->violation);
	} else if (WIFSIGNALED(status)) {
		kv[0].key = "signal";
		val = WTERMSIG(status);
		snprintf(msg, sizeof(msg),
		    "worker %d (pid %d) was killed by signal %d (%s)",
		    w->slot, (int)w->pid, val, strsignal(val));
	} else {
		kv[0].key = "status";
		val = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		snprintf(msg, sizeof(msg),
		    "worker %d (pid %d) exited with status %d", w->slot,
		    (int)w->pid, val);
	}
	kv[0].val = val;
	kv[1].key = "attempts";
	head = TAILQ_FIRST(&w->ld.inflight);
	if (head != NULL && !head->started)
		head = NULL;
	/* Walk backwards so that requeueing at the front keeps FIFO order. */
	for (t = TAILQ_LAST(&w->ld.inflight, taskq); t != NULL; t = prev) {
		prev = TAILQ_PREV(t, taskq, entry);
		TAILQ_REMOVE(&w->ld.inflight, t, entry);
		if (t->answered) {
			/* Answered already (cancel, timeout, violation). */
			release(t);
			continue;
		}
		if (!t->started || (t != head && t->id != running &&
		    t->kill_code == 0)) {
			/* Did not run: attempts counts runs. */
			t->attempts--;
			requeue_front(t);
			continue;
		}
		kv[1].val = t->attempts;
		if (t->kill_code == FP_E_TIMEOUT) {
			/* The caller's own deadline: not the handler's fault. */
			if (!t->own_deadline)
				outcome(t, 1);
			if (task_event_ok(&lim_timeout, now, sup, sizeof(sup)))
				log_info("task_timeout", "worker=%d pid=%d "
				    "msgid=%u attempts=%u%s%s%s", w->slot,
				    (int)w->pid, t->msgid, t->attempts, sup,
				    t->corr ? " corr=" : "",
				    t->corr ? t->corr : "");
			answer_err(t, FP_E_TIMEOUT, "the deadline passed while "
			    "the task ran; its worker was killed", &kv[1], 1);
			release(t);
			continue;
		}
		if (t->kill_code == FP_E_CANCELLED) {
			answer_err(t, FP_E_CANCELLED, "cancelled", NULL, 0);
			release(t);
			continue;
		}
		if (killed) {
			/*
			 * Stopped by the supervisor, not for this task: not
			 * the handler's failure, but it may have run.
			 */
			if (t->probe)
				breaker_table_abandon(t->handler);
			t->probe = 0;
			if (task_event_ok(&lim_interrupted, now, sup,
			    sizeof(sup)))
				log_info("task_interrupted", "worker=%d pid=%d "
				    "msgid=%u attempts=%u%s%s%s", w->slot,
				    (int)w->pid, t->msgid, t->attempts, sup,
				    t->corr ? " corr=" : "",
				    t->corr ? t->corr : "");
			if (t->retries_left > 0 && sv->state != SV_STOPPING) {
				t->retries_left--;
				sv->cnt.tasks_retried++;
				requeue_front(t);
				continue;
			}
			snprintf(imsg, sizeof(imsg), "worker %d (pid %d) was "
			    "stopped while it ran the task, which has no retry "
			    "left", w->slot, (int)w->pid);
			answer_err(t, FP_E_WORKER_CRASHED, imsg, &kv[1], 1);
			release(t);
			continue;
		}
		outcome(t, 1);
		if (task_event_ok(&lim_crashed, now, sup, sizeof(sup)))
			log_info("task_crashed", "worker=%d pid=%d msgid=%u "
			    "%s=%d attempts=%u%s%s%s", w->slot, (int)w->pid,
			    t->msgid, kv[0].key, val, t->attempts, sup,
			    t->corr ? " corr=" : "", t->corr ? t->corr : "");
		if (t->retries_left > 0 && sv->state != SV_STOPPING) {
			schedule_retry(t, now);
			continue;
		}
		answer_err(t, FP_E_WORKER_CRASHED, msg, kv, 2);
		release(t);
	}
	w->ld.ninflight = 0;
	w->ld.slow = 0;
	w->ld.partial = NULL;
	w->ld.head_done = 0;
	w->ld.blocked = 0;
	w->ld.dirty = 0;
}

/* ---- deadlines, the 100 ms tick -------------------------------------------- */

static void
expire(struct task *t, uint64_t now, const char *msg)
{
	char	 sup[40];

	if (task_event_ok(&lim_timeout, now, sup, sizeof(sup)))
		log_info("task_timeout", "msgid=%u waited_ms=%llu%s%s%s",
		    t->msgid,
		    (unsigned long long)((now - t->enqueued_ns) / 1000000),
		    sup, t->corr ? " corr=" : "", t->corr ? t->corr : "");
	answer_err(t, FP_E_TIMEOUT, msg, NULL, 0);
}

void
dispatch_tick(uint64_t now)
{
	struct taskq	 due;
	struct task	*t, *next;
	struct worker	*w;
	uint64_t	 running, claim;
	int		 i;

	lazy_ns = e2e_n == 0 ? LAZY_MIN_NS : e2e_sum_ns / e2e_n / 4;
	if (lazy_ns < LAZY_MIN_NS)
		lazy_ns = LAZY_MIN_NS;
	else if (lazy_ns > LAZY_MAX_NS)
		lazy_ns = LAZY_MAX_NS;
	e2e_sum_ns = 0;
	e2e_n = 0;
	if (sv->state == SV_STOPPING)
		return;
	for (t = TAILQ_FIRST(&sv->queue); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		if (t->deadline_ns == 0 || now < t->deadline_ns)
			continue;
		TAILQ_REMOVE(&sv->queue, t, entry);
		sv->nqueued--;
		expire(t, now, "the deadline passed while the task was queued; "
		    "it never ran");
		release(t);
	}
	TAILQ_INIT(&due);
	for (t = TAILQ_FIRST(&sv->retryq); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		if (t->deadline_ns != 0 && now >= t->deadline_ns) {
			TAILQ_REMOVE(&sv->retryq, t, entry);
			expire(t, now, "the deadline passed while the task "
			    "waited to be retried");
			release(t);
		} else if (t->not_before_ns <= now) {
			TAILQ_REMOVE(&sv->retryq, t, entry);
			t->state = T_QUEUED;
			sv->nqueued++;
			TAILQ_INSERT_TAIL(&due, t, entry);
		}
	}
	/* Retries go first, in the order they became due. */
	TAILQ_CONCAT(&due, &sv->queue, entry);
	TAILQ_CONCAT(&sv->queue, &due, entry);

	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (w->state != W_READY && w->state != W_RETIRING)
			continue;
		/* Being killed (pool_tick sends SIGKILL past the grace). */
		if (w->kill_ns != 0)
			continue;
		/*
		 * A claim word past the last task sent can only be written by
		 * a worker that breaks the protocol: it would skip every task
		 * to come as revoked while the supervisor counts them as its.
		 */
		claim = atomic_load_explicit(&w->stats->claim,
		    memory_order_acquire);
		if (WSEQ_AFTER(WCLAIM_CLAIMED(claim), w->ld.seq) ||
		    WSEQ_AFTER(WCLAIM_REVOKED(claim), w->ld.seq)) {
			worker_violation(w, 0, FP_E_INTERNAL,
			    "claim word past the tasks sent");
			continue;
		}
		running = atomic_load_explicit(&w->stats->running,
		    memory_order_relaxed);
		TAILQ_FOREACH(t, &w->ld.inflight, entry) {
			if (t->deadline_ns == 0 || now < t->deadline_ns)
				continue;
			/*
			 * The task the worker says it runs, or the oldest it
			 * holds once HEAD_GRACE_NS past its deadline: a worker
			 * runs its ring in order, so one that claims to run
			 * nothing while that task is overdue is stuck or lies
			 * (its stats block is a claim).  An answered task
			 * (cancelled, its client gone) is no exception: the
			 * deadline is the operator's ceiling on the worker's
			 * time, whoever still waits for the result.
			 */
			if (t->started && (t->id == running ||
			    (t == TAILQ_FIRST(&w->ld.inflight) &&
			    now - t->deadline_ns >= HEAD_GRACE_NS))) {
				if (!t->answered)
					t->kill_code = FP_E_TIMEOUT;
				pool_kill_worker(w, "deadline");
				break;
			}
			/* Handed over but not started: the worker skips it. */
			if (!t->answered)
				expire(t, now, "the deadline passed before a "
				    "worker started the task; it never ran");
		}
	}
}

/* ---- cancellation ---------------------------------------------------------- */

int
dispatch_cancel(struct task *t, int code, const char *msg, int kill_ok)
{
	struct worker	*w;
	uint64_t	 running;

	switch (t->state) {
	case T_QUEUED:
		TAILQ_REMOVE(&sv->queue, t, entry);
		sv->nqueued--;
		answer_err(t, code, msg, NULL, 0);
		release(t);
		return 1;
	case T_RETRY:
		TAILQ_REMOVE(&sv->retryq, t, entry);
		answer_err(t, code, msg, NULL, 0);
		release(t);
		return 1;
	case T_DISPATCHED:
		if (t->answered)
			return 0;
		w = &sv->workers[t->worker];
		running = atomic_load_explicit(&w->stats->running,
		    memory_order_relaxed);
		answer_err(t, code, msg, NULL, 0);
		/* Never run again: its params (an arena's too) can go. */
		if (t->started)
			task_params_done(t);
		if (kill_ok && sv->conf.cancel_running == FP_CANCEL_KILL && t->started &&
		    t->id == running) {
			t->kill_code = FP_E_CANCELLED;
			pool_kill_worker(w, "cancel");
		}
		return 1;
	}
	return 0;
}

void
dispatch_fail_all(int code, const char *msg)
{
	struct task	*t;
	struct worker	*w;
	int		 i;

	while ((t = TAILQ_FIRST(&sv->retryq)) != NULL) {
		TAILQ_REMOVE(&sv->retryq, t, entry);
		finish_err(t, code, msg);
	}
	while ((t = TAILQ_FIRST(&sv->queue)) != NULL) {
		TAILQ_REMOVE(&sv->queue, t, entry);
		sv->nqueued--;
		finish_err(t, code, msg);
	}
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		while ((t = TAILQ_FIRST(&w->ld.inflight)) != NULL) {
			TAILQ_REMOVE(&w->ld.inflight, t, entry);
			finish_err(t, code, msg);
		}
		w->ld.ninflight = 0;
		w->ld.slow = 0;
		w->ld.partial = NULL;
	}
}
