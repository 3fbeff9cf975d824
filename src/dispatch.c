/*
 * dispatch.c -- the global FIFO queue, dispatch of tasks to workers'
 * rings, and results coming back.  Ring commits and wake-ups are batched:
 * records are allocated as tasks are dispatched and published once per
 * loop iteration.
 */
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "forkpool.h"
#include "daemon.h"
#include "log.h"

void
dispatch_enqueue(struct task *t)
{
	t->state = T_QUEUED;
	t->worker = -1;
	TAILQ_INSERT_TAIL(&sv->queue, t, entry);
	sv->nqueued++;
}

void
dispatch_requeue_front(struct task *t)
{
	t->state = T_QUEUED;
	t->worker = -1;
	t->started = 0;
	TAILQ_INSERT_HEAD(&sv->queue, t, entry);
	sv->nqueued++;
}

/* A worker broke the ring format: stop listening to it and kill it. */
static void
worker_violation(struct worker *w, const char *why)
{
	log_warnx("worker_protocol", "worker=%d pid=%d msg=\"%s\"", w->slot,
	    (int)w->pid, why);
	if (w->state == W_READY) {
		w->state = W_STOPPING;
		kill(w->pid, SIGKILL);
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
		worker_violation(w, "task ring index corrupt");
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
		    w->ninflight >= sv->conf.prefetch)
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
		if (w->state == W_READY && w->partial != NULL)
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
		if (w->state != W_READY || !w->dirty)
			continue;
		w->dirty = 0;
		if (fp_ring_publish(&w->tx) == -1)
			log_warn("worker_wake", "worker=%d", w->slot);
	}
}

void
task_finish_ok(struct task *t, const uint8_t *res, size_t len)
{
	struct conn	*c;

	sv->cnt.tasks_ok++;
	if ((c = control_conn(t->conn, t->conn_gen)) != NULL) {
		if (proto_put_result(&c->out, t->msgid, res, len) == -1)
			fatal("reply", NULL);
		control_completed(c);
	}
	sv->nactive--;
	task_free(t);
}

void
task_finish_err(struct task *t, int code, const char *msg, const char *key,
    int64_t val)
{
	struct conn	*c;

	sv->cnt.tasks_failed++;
	if ((c = control_conn(t->conn, t->conn_gen)) != NULL) {
		if (proto_put_error(&c->out, t->msgid, code, msg, key,
		    val) == -1)
			fatal("reply", NULL);
		control_completed(c);
	}
	sv->nactive--;
	task_free(t);
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
		worker_violation(w, "result for a task it does not hold");
		return;
	}
	if (type == FP_REC_RESULT) {
		if ((c = control_conn(t->conn, t->conn_gen)) == NULL) {
			/* Nobody to answer; still check what the worker sent. */
			if (mp_object_len(data, len, 1) == -1) {
				worker_violation(w, "malformed result");
				return;
			}
			goto ok;
		}
		/*
		 * Copy first, then validate the copy: the worker may still
		 * write to the ring.
		 */
		start = c->out.len;
		if (proto_result_head(&c->out, t->msgid) == -1 ||
		    buf_append(&c->out, data, len) == -1)
			fatal("reply", NULL);
		if (mp_object_len(c->out.data + c->out.len - len, len,
		    1) == -1) {
			c->out.len = start;
			worker_violation(w, "malformed result");
			return;
		}
		control_completed(c);
	ok:
		TAILQ_REMOVE(&w->inflight, t, entry);
		w->ninflight--;
		w->tasks_done++;
		sv->cnt.tasks_ok++;
		sv->nactive--;
		task_free(t);
		return;
	}
	if (type != FP_REC_ERROR || len < sizeof(we)) {
		worker_violation(w, "unexpected record type");
		return;
	}
	memcpy(&we, data, sizeof(we));
	len -= sizeof(we);
	if (we.code == FP_OK || we.code >= FP_E__COUNT ||
	    len > WIRE_ERRMSG_MAX) {
		worker_violation(w, "bad error record");
		return;
	}
	/* Messages reach clients as MessagePack str: keep them printable. */
	for (i = 0; i < len; i++) {
		uint8_t ch = data[sizeof(we) + i];
		msg[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	msg[len] = '\0';
	TAILQ_REMOVE(&w->inflight, t, entry);
	w->ninflight--;
	w->tasks_done++;
	task_finish_err(t, (int)we.code, msg, NULL, 0);
}

int
dispatch_results(struct worker *w)
{
	struct fp_rec	 rec;
	int		 r, n = 0;

	while (w->state == W_READY || w->state == W_STOPPING) {
		r = fp_ring_peek(&w->rx, &rec);
		if (r == FP_AGAIN)
			break;
		if (r == -1) {
			worker_violation(w, "result ring corrupt");
			return -1;
		}
		if ((rec.flags & FP_RECF_MORE) || w->as.active) {
			r = fp_asm_add(&w->as, &rec);
			fp_ring_consume(&w->rx);
			if (r == FP_AGAIN)
				continue;
			if (r == -1) {
				worker_violation(w, "bad result fragment");
				return -1;
			}
			handle_result(w, w->as.type, w->as.id, w->as.buf,
			    w->as.len);
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

void
dispatch_worker_lost(struct worker *w, int status)
{
	struct task	*t, *prev;
	uint64_t	 running;
	char		 msg[160];
	const char	*key;
	int		 val;

	running = atomic_load_explicit(&w->stats->running,
	    memory_order_relaxed);
	if (WIFSIGNALED(status)) {
		key = "signal";
		val = WTERMSIG(status);
		snprintf(msg, sizeof(msg),
		    "worker %d (pid %d) was killed by signal %d (%s)",
		    w->slot, (int)w->pid, val, strsignal(val));
	} else {
		key = "status";
		val = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		snprintf(msg, sizeof(msg),
		    "worker %d (pid %d) exited with status %d", w->slot,
		    (int)w->pid, val);
	}
	/*
	 * Walk backwards so that requeueing at the front keeps FIFO order.
	 * Only the task the worker said it was running failed; the stats
	 * block is untrusted, but it can only pick a task this worker held.
	 */
	for (t = TAILQ_LAST(&w->inflight, taskq); t != NULL; t = prev) {
		prev = TAILQ_PREV(t, taskq, entry);
		TAILQ_REMOVE(&w->inflight, t, entry);
		if (t->started && t->id == running) {
			log_info("task_crashed", "worker=%d pid=%d msgid=%u %s=%d",
			    w->slot, (int)w->pid, t->msgid, key, val);
			task_finish_err(t, FP_E_WORKER_CRASHED, msg, key, val);
		} else
			dispatch_requeue_front(t);
	}
	w->ninflight = 0;
	w->partial = NULL;
	w->blocked = 0;
	w->dirty = 0;
}

void
dispatch_fail_all(int code, const char *msg)
{
	struct task	*t;
	struct worker	*w;
	int		 i;

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
