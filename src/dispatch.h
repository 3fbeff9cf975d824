/*
 * dispatch.h -- the queue, dispatch of tasks to workers, results,
 * deadlines, retries and cancellation (dispatch.c).  dispatch.c owns the
 * queues and the count of active tasks (sv->queue, nqueued, retryq,
 * nactive): others only read them.  Every answer it makes goes out
 * through control_reply_result() and control_reply_error().
 */
#ifndef FP_DISPATCH_H
#define FP_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "tasks.h"

struct worker;

/*
 * dispatch_admit: take a new task, already linked to its connection if
 * it is a request: queued, and handed to a worker at once if the queue is
 * over queue-limit and one can take it.  0, or -1 if the queue is still
 * full: t was answered queue_full (rejected_queue_full), its breaker
 * probe given back, and freed.
 */
/*
 * dispatch_worker_reset: w's slot holds a new process (or none yet): it
 * holds no task, and a result it sends may be result_max bytes long.
 * dispatch_worker_free: the process is gone; what it held is released.
 */
void	 dispatch_worker_reset(struct worker *, size_t result_max);
void	 dispatch_worker_free(struct worker *);
int	 dispatch_admit(struct task *);
void	 dispatch_run(void);
/* dispatch_publish: make the tasks written this iteration visible. */
void	 dispatch_publish(void);
/* dispatch_publish_worker: the same for one worker, at once. */
void	 dispatch_publish_worker(struct worker *);
/* dispatch_results: deliver the results w has published; how many. */
int	 dispatch_results(struct worker *);
/* dispatch_results_all: the same for every live worker. */
void	 dispatch_results_all(void);
/*
 * dispatch_sleep_prepare: tell the workers the supervisor is about to
 * sleep; 1 if it may not (a ring has something, a worker can take a
 * queued task), else 0.  *lazy is set if some worker was told to wake it
 * only when it runs out of work: then sleep at most dispatch_lazy_ns(),
 * chosen on each tick from how long answers wait (200 us to 2 ms).
 * dispatch_sleep_cancel: it woke up.
 */
int	 dispatch_sleep_prepare(int *lazy);
uint64_t dispatch_lazy_ns(void);
void	 dispatch_sleep_cancel(void);
/* dispatch_trim: the daemon is idle: shrink the task blob rings. */
void	 dispatch_trim(void);
/* dispatch_busy: how many workers hold a task. */
int	 dispatch_busy(void);
void	 dispatch_worker_lost(struct worker *, int status);
void	 dispatch_fail_all(int code, const char *msg);
void	 dispatch_tick(uint64_t now);
/*
 * dispatch_cancel: answer t with code and msg now; a queued task is
 * dropped, a running one's result will be (and with kill_ok and
 * cancel-running kill, its worker is killed).  1 if t was answered, 0 if
 * it had been already.
 */
int	 dispatch_cancel(struct task *, int code, const char *msg,
	    int kill_ok);

#endif /* FP_DISPATCH_H */
