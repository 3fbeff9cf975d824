/*
 * dispatch.c -- the global FIFO queue, dispatch of tasks to workers'
 * rings, and results coming back.  Ring commits and wake-ups are batched:
 * records are allocated as tasks are dispatched and published once per
 * loop iteration.
 */
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "forkpool.h"
#include "daemon.h"
#include "handlers.h"
#include "log.h"

#define RETRY_BASE_MS	100	/* first retry after this, doubling */
#define RETRY_MAX_MS	5000
#define HEAD_GRACE_NS	(1000ULL * 1000000)	/* see dispatch_tick */

/*
 * A new task.  Its deadline is either the configured one (timeout, or
 * handler NAME timeout) or one its caller chose (forkpool.call
 * timeout_ms).  A caller who asks for less time than the configuration
 * gives must not make the handler look broken to everyone else: such a
 * task's timeout does not count towards the handler's circuit breaker
 * (forkpool-rpc(7)).  A caller's deadline at least as long as the
 * configured one counts as the configured one would have.
 */
void
dispatch_enqueue(struct task *t)
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

void
dispatch_requeue_front(struct task *t)
{
	t->state = T_QUEUED;
	t->kill_code = 0;
	t->worker = -1;
	t->started = 0;
	TAILQ_INSERT_HEAD(&sv->queue, t, entry);
	sv->nqueued++;
}

static void	outcome(struct task *, int);
static void	answer_err(struct task *, int, const char *,
		    const struct err_kv *, int);

/*
 * The task a worker's misbehaviour is charged to: task `id' if this
 * worker holds it and was handed all of it, else the first task of its
 * in-flight list if that one was handed over in full (the worker runs
 * its tasks in order: that is the one it runs or ran last), else NULL.
 */
static struct task *
culprit(struct worker *w, uint64_t id)
{
	struct task	*t;

	if ((t = task_lookup(id)) != NULL && t->state == T_DISPATCHED &&
	    t->worker == w->slot && t->started)
		return t;
	t = TAILQ_FIRST(&w->inflight);
	return t != NULL && t->started ? t : NULL;
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
	w->violation = why;
	w->state = W_STOPPING;
	if (w->kill_ns != UINT64_MAX) {
		kill(w->pid, SIGKILL);
		w->kill_ns = UINT64_MAX;
	}
	if (t == NULL)
		return;
	t->kill_code = (uint8_t)code;
	outcome(t, 1);
	if (t->answered)
		return;
	if (code == FP_E_TOO_LARGE)
		snprintf(msg, sizeof(msg), "the result is larger than the %zu "
		    "bytes a result may hold (4 x max-request-size); its "
		    "worker was killed", w->as.limit);
	else
		snprintf(msg, sizeof(msg), "worker %d (pid %d) broke the "
		    "protocol (%s) and was killed", w->slot, (int)w->pid, why);
	if (t->conn_gen == 0)
		/* A notification: nobody to answer, say it here. */
		log_warnx("task_dropped", "worker=%d pid=%d handler=%s "
		    "error=%s reason=\"%s\"%s%s", w->slot, (int)w->pid,
		    hn != NULL ? hn : "none", fp_err_name(code), why,
		    t->corr ? " corr=" : "", t->corr ? t->corr : "");
	answer_err(t, code, msg, NULL, 0);
}

/*
 * Kill a worker that holds a task past its deadline (or cancelled with
 * cancel-running kill): SIGTERM then SIGKILL after kill-grace, or SIGKILL
 * at once.  It takes no new tasks meanwhile; its results so far are good.
 */
void
dispatch_kill_worker(struct worker *w, const char *why)
{
	if (w->kill_ns != 0)
		return;
	log_info("worker_kill", "worker=%d pid=%d reason=%s grace_ms=%llu",
	    w->slot, (int)w->pid, why,
	    (unsigned long long)sv->conf.kill_grace_ms);
	if (sv->conf.kill_grace_ms > 0) {
		kill(w->pid, SIGTERM);
		w->kill_ns = now_ns() + sv->conf.kill_grace_ms * 1000000ULL;
	} else {
		kill(w->pid, SIGKILL);
		w->kill_ns = UINT64_MAX;
	}
}

/* Continue writing the task at the tail of w's in-flight list. */
static void
write_partial(struct worker *w)
{
	struct task	*t = w->partial;
	struct wire_task wt;
	int		 r;

	memset(&wt, 0, sizeof(wt));
	wt.handler = t->handler;
	wt.deadline_ns = t->deadline_ns;
	r = fp_msg_write(&w->tx, FP_REC_TASK, t->id, &wt, sizeof(wt),
	    t->params, t->plen, &w->partial_done);
	w->dirty = 1;
	if (r == 0) {
		w->partial = NULL;
		w->blocked = 0;
		t->started = 1;
	} else if (r == FP_AGAIN)
		w->blocked = 1;
	else
		worker_violation(w, 0, FP_E_INTERNAL, "task ring index corrupt");
}

static void
send_task(struct worker *w, struct task *t)
{
	task_newid(t);
	t->state = T_DISPATCHED;
	t->worker = w->slot;
	t->started = 0;
	t->attempts++;
	TAILQ_INSERT_TAIL(&w->inflight, t, entry);
	w->ninflight++;
	w->partial = t;
	w->partial_done = 0;
	write_partial(w);
}

/* The ready worker with the fewest tasks in flight, below prefetch. */
static struct worker *
pick_worker(void)
{
	struct worker	*w, *best = NULL;
	int		 i;

	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (w->state != W_READY || w->partial != NULL ||
		    w->kill_ns != 0 || w->ninflight >= sv->conf.prefetch)
			continue;
		if (best == NULL || w->ninflight < best->ninflight)
			best = w;
		if (w->ninflight == 0)
			break;
	}
	return best;
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
		    w->partial != NULL)
			write_partial(w);
	}
	while ((t = TAILQ_FIRST(&sv->queue)) != NULL &&
	    (w = pick_worker()) != NULL) {
		TAILQ_REMOVE(&sv->queue, t, entry);
		sv->nqueued--;
		send_task(w, t);
	}
}

void
dispatch_publish(void)
{
	struct worker	*w;
	int		 i;

	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if ((w->state != W_READY && w->state != W_RETIRING) ||
		    !w->dirty)
			continue;
		w->dirty = 0;
		if (fp_ring_publish(&w->tx) == -1)
			log_warn("worker_wake", "worker=%d", w->slot);
	}
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
answer_err(struct task *t, int code, const char *msg, const struct err_kv *kv,
    int n)
{
	struct conn	*c;

	if (t->answered)
		return;
	t->answered = 1;
	count_error(code);
	if (t->probe)
		breakers_abandon(t->handler);
	if ((c = control_conn(t->conn, t->conn_gen)) == NULL || !t->in_conn) {
		task_detach_conn(t);
		return;
	}
	task_detach_conn(t);
	if (proto_put_error_kv(&c->out, t->msgid, code, msg, kv, n) == -1)
		control_reply_failed(c);
	control_completed(c);
}

void
task_finish_err(struct task *t, int code, const char *msg, const char *key,
    int64_t val)
{
	struct err_kv kv = { key, val };

	answer_err(t, code, msg, &kv, key != NULL ? 1 : 0);
	release(t);
}

/* Breaker bookkeeping for a task whose worker finished or lost it. */
static void
outcome(struct task *t, int failure)
{
	breakers_result(t->handler, failure, t->probe);
	t->probe = 0;
}

/*
 * Deliver one result message.  The bytes are the worker's: check the
 * task id, the type and the payload before a client sees any of it.
 */
static void
handle_result(struct worker *w, uint16_t type, uint64_t id,
    const uint8_t *data, size_t len)
{
	struct task		*t;
	struct conn		*c;
	struct wire_error	 we;
	char			 msg[WIRE_ERRMSG_MAX + 1];
	size_t			 i, start;

	t = task_lookup(id);
	if (t == NULL || t->state != T_DISPATCHED || t->worker != w->slot ||
	    !t->started) {
		worker_violation(w, id, FP_E_INTERNAL,
		    "result for a task it does not hold");
		return;
	}
	if (type == FP_REC_RESULT) {
		c = t->answered || !t->in_conn ? NULL :
		    control_conn(t->conn, t->conn_gen);
		if (c != NULL) {
			/*
			 * Copy first, then validate the copy: the worker may
			 * still write to the ring.  (An append may compact
			 * the buffer: remember the unread length.)
			 */
			start = fp_buf_unread(&c->out);
			if (proto_result_head(&c->out, t->msgid) == -1 ||
			    fp_buf_append(&c->out, data, len) == -1) {
				/* Out of memory: this connection only is lost. */
				control_reply_failed(c);
				c = NULL;
			}
		}
		if (c == NULL) {
			/* Nobody to answer; still check what the worker sent. */
			if (fp_mp_object_len(data, len, 1) == -1) {
				worker_violation(w, id, FP_E_INTERNAL,
				    "malformed result");
				return;
			}
		} else if (fp_mp_object_len(c->out.data + c->out.len - len, len,
		    1) == -1) {
			c->out.len = c->out.off + start;
			worker_violation(w, id, FP_E_INTERNAL,
			    "malformed result");
			return;
		}
		/* A result for a task answered early (cancel, timeout) is dropped. */
		if (!t->answered) {
			t->answered = 1;
			sv->cnt.tasks_ok++;
			task_detach_conn(t);
			if (c != NULL)
				control_completed(c);
		}
		outcome(t, 0);
		goto done;
	}
	if (type != FP_REC_ERROR || len < sizeof(we)) {
		worker_violation(w, id, FP_E_INTERNAL,
		    "unexpected record type");
		return;
	}
	memcpy(&we, data, sizeof(we));
	len -= sizeof(we);
	if (we.code == FP_OK || we.code >= FP_E__COUNT ||
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
	answer_err(t, (int)we.code, msg, NULL, 0);
	/* A handler's own error is the handler working, not failing. */
	outcome(t, 0);
done:
	TAILQ_REMOVE(&w->inflight, t, entry);
	w->ninflight--;
	w->tasks_done++;
	release(t);
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
		if ((rec.flags & FP_RECF_MORE) || w->as.active) {
			r = fp_asm_add(&w->as, &rec);
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
			handle_result(w, w->as.type, w->as.id, w->as.buf,
			    w->as.len);
		} else if (rec.len > w->as.limit) {
			/* One record, but past the limit all the same. */
			worker_violation(w, rec.id, FP_E_TOO_LARGE,
			    "result larger than the limit");
			return -1;
		} else {
			handle_result(w, rec.type, rec.id, rec.data, rec.len);
			fp_ring_consume(&w->rx);
		}
		n++;
	}
	if (fp_ring_release(&w->rx) == -1)
		log_warn("worker_wake", "worker=%d", w->slot);
	return n;
}

/* ---- retries -------------------------------------------------------------- */

static void
schedule_retry(struct task *t, uint64_t now)
{
	struct task	*p;
	uint64_t	 delay;
	uint32_t	 shift = t->attempts > 0 ? t->attempts - 1 : 0;

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
	log_info("task_retry", "msgid=%u attempt=%u delay_ms=%llu%s%s",
	    t->msgid, t->attempts, (unsigned long long)delay,
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
	uint64_t	 running, now = now_ns();
	char		 msg[200], imsg[200];
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
	head = TAILQ_FIRST(&w->inflight);
	if (head != NULL && !head->started)
		head = NULL;
	/* Walk backwards so that requeueing at the front keeps FIFO order. */
	for (t = TAILQ_LAST(&w->inflight, taskq); t != NULL; t = prev) {
		prev = TAILQ_PREV(t, taskq, entry);
		TAILQ_REMOVE(&w->inflight, t, entry);
		if (t->answered) {
			/* Answered already (cancel, timeout, violation). */
			release(t);
			continue;
		}
		if (!t->started || (t != head && t->id != running &&
		    t->kill_code == 0)) {
			/* Did not run: attempts counts runs. */
			t->attempts--;
			dispatch_requeue_front(t);
			continue;
		}
		kv[1].val = t->attempts;
		if (t->kill_code == FP_E_TIMEOUT) {
			/* The caller's own deadline: not the handler's fault. */
			if (!t->own_deadline)
				outcome(t, 1);
			log_info("task_timeout", "worker=%d pid=%d msgid=%u "
			    "attempts=%u%s%s", w->slot, (int)w->pid, t->msgid,
			    t->attempts, t->corr ? " corr=" : "",
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
				breakers_abandon(t->handler);
			t->probe = 0;
			log_info("task_interrupted", "worker=%d pid=%d msgid=%u "
			    "attempts=%u%s%s", w->slot, (int)w->pid, t->msgid,
			    t->attempts, t->corr ? " corr=" : "",
			    t->corr ? t->corr : "");
			if (t->retries_left > 0 && sv->state != SV_STOPPING) {
				t->retries_left--;
				sv->cnt.tasks_retried++;
				dispatch_requeue_front(t);
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
		log_info("task_crashed", "worker=%d pid=%d msgid=%u %s=%d "
		    "attempts=%u%s%s", w->slot, (int)w->pid, t->msgid,
		    kv[0].key, val, t->attempts, t->corr ? " corr=" : "",
		    t->corr ? t->corr : "");
		if (t->retries_left > 0 && sv->state != SV_STOPPING) {
			schedule_retry(t, now);
			continue;
		}
		answer_err(t, FP_E_WORKER_CRASHED, msg, kv, 2);
		release(t);
	}
	w->ninflight = 0;
	w->partial = NULL;
	w->blocked = 0;
	w->dirty = 0;
}

/* ---- deadlines, the 100 ms tick -------------------------------------------- */

static void
expire(struct task *t, uint64_t now, const char *msg)
{
	log_info("task_timeout", "msgid=%u waited_ms=%llu%s%s", t->msgid,
	    (unsigned long long)((now - t->enqueued_ns) / 1000000),
	    t->corr ? " corr=" : "", t->corr ? t->corr : "");
	answer_err(t, FP_E_TIMEOUT, msg, NULL, 0);
}

void
dispatch_tick(uint64_t now)
{
	struct taskq	 due;
	struct task	*t, *next;
	struct worker	*w;
	uint64_t	 running;
	int		 i;

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
		if (w->kill_ns != 0) {
			if (now >= w->kill_ns && w->kill_ns != UINT64_MAX) {
				log_warnx("worker_kill", "worker=%d pid=%d "
				    "msg=\"kill-grace passed\"", w->slot,
				    (int)w->pid);
				kill(w->pid, SIGKILL);
				w->kill_ns = UINT64_MAX;
			}
			continue;
		}
		running = atomic_load_explicit(&w->stats->running,
		    memory_order_relaxed);
		TAILQ_FOREACH(t, &w->inflight, entry) {
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
			    (t == TAILQ_FIRST(&w->inflight) &&
			    now - t->deadline_ns >= HEAD_GRACE_NS))) {
				if (!t->answered)
					t->kill_code = FP_E_TIMEOUT;
				dispatch_kill_worker(w, "deadline");
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
		if (kill_ok && sv->conf.cancel_running == FP_CANCEL_KILL && t->started &&
		    t->id == running) {
			t->kill_code = FP_E_CANCELLED;
			dispatch_kill_worker(w, "cancel");
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
		task_finish_err(t, code, msg, NULL, 0);
	}
	while ((t = TAILQ_FIRST(&sv->queue)) != NULL) {
		TAILQ_REMOVE(&sv->queue, t, entry);
		sv->nqueued--;
		task_finish_err(t, code, msg, NULL, 0);
	}
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		while ((t = TAILQ_FIRST(&w->inflight)) != NULL) {
			TAILQ_REMOVE(&w->inflight, t, entry);
			task_finish_err(t, code, msg, NULL, 0);
		}
		w->ninflight = 0;
		w->partial = NULL;
	}
}
