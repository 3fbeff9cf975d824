/*
 * stats.h -- what the supervisor knows of the work done (stats.c): per
 * handler, calls and answers by code, wait, run and end-to-end histograms
 * over all time and the last 1 and 5 minutes; per worker slot, what its
 * stats block says (folded every 100 ms); the slow-task log; the per-task
 * log (task-log).  stats.c owns all of it; dispatch.c and pool.c tell it
 * what happened, admin.c and metrics.c read it.
 *
 * Times are in microseconds.  Every value that comes from a worker's block
 * is a claim: bounded before it is added, and never used for control.
 */
#ifndef FP_STATS_H
#define FP_STATS_H

#include <sys/types.h>
#include <stdint.h>

#include "forkpool.h"
#include "hist.h"

struct task;
struct worker;

/* stats_init: once, after the handler table is complete.  0, or -1. */
int	 stats_init(void);

/* ---- what happened (dispatch.c, pool.c) ------------------------------ */

/* How a worker ran a task, from its result record (checked claims). */
struct task_run {
	int		 worker;	/* slot */
	pid_t		 pid;
	uint64_t	 started_ns;	/* CLOCK_MONOTONIC; 0: unknown */
	uint64_t	 run_ns;
};

/*
 * stats_task_done: t is answered now (code FP_OK or an error; exactly
 * once per accepted request or notification, queue_full included), `run'
 * how the worker that answered ran it, or NULL when no worker did (expired
 * in the queue, cancelled, crashed, shutting down).  Counts the call by
 * handler and code, the wait (enqueued_ns to started_ns) and the
 * end-to-end time (enqueued_ns to now); writes the slow-task log entry
 * when run_ns passed slowlog-threshold, and the task-log line.
 */
void	 stats_task_done(const struct task *t, int code,
	    const struct task_run *run, uint64_t now_ns);

/*
 * stats_rejected: a call of handler h answered with `code' before it
 * became a task (circuit_open, ...): counted as a call, no times.
 */
void	 stats_rejected(uint32_t h, int code, uint64_t now_ns);

/*
 * stats_worker_started: a new process runs in w's slot (its block is
 * zero); stats_fold: add what w's block grew by since the last fold
 * (pool.c calls it on each 100 ms tick for every live worker, and once
 * more when the process is gone, before its segment is unmapped); also
 * logs a task running past slowlog-threshold, once.  The fold reads the
 * clock itself (tick_ns is the caller's, older by the logs drained since):
 * the block's claims are checked against the process's age, and its runs
 * against the results dispatch.c took from it plus the tasks it holds
 * (w->ld), so it must come before dispatch_worker_lost.
 */
void	 stats_worker_started(const struct worker *w);
void	 stats_fold(const struct worker *w, uint64_t tick_ns);
/* stats_tick: the 100 ms tick, after the folds (the 10 s snapshots). */
void	 stats_tick(uint64_t now_ns);

/* ---- what it knows (admin.c, metrics.c) ------------------------------ */

enum stats_window { SW_ALL = 0, SW_1M, SW_5M };
/* stats_window_parse: "all", "1m", "5m" -> SW_*, or -1. */
int	 stats_window_parse(const char *s, size_t n);
const char *stats_window_name(enum stats_window);

/* One handler over a window.  The histograms are the caller's memory. */
struct stats_handler {
	uint64_t	 calls;		/* answered */
	uint64_t	 ok;
	uint64_t	 failed;
	uint64_t	 errors[FP_E__COUNT];	/* by code; [FP_OK] unused */
	struct fp_hist	 wait;		/* accepted -> started by a worker */
	struct fp_hist	 run;		/* the handler's run (workers' blocks) */
	struct fp_hist	 e2e;		/* accepted -> answered */
};

/*
 * stats_handler_get: handler h (index in the handler table) over the
 * window into *out; 0, or -1 past the table.
 */
int	 stats_handler_get(uint32_t h, enum stats_window, struct stats_handler *out);

/* One worker slot, as its block and the supervisor know it. */
struct stats_worker {
	/*
	 * Its block says it runs a task, and that task is one the supervisor
	 * gave this worker and still waits for, of that handler; a claim of
	 * any other task is not believed: not busy (its state, which the
	 * block says, may still be "busy").
	 */
	int		 busy;
	uint32_t	 handler;	/* then: the task's handler */
	uint64_t	 running_us;	/* then: for how long */
	uint64_t	 tasks;		/* run by this process */
	uint64_t	 failures;	/* of those, answered with an error */
	uint64_t	 busy_us;
};
void	 stats_worker_get(const struct worker *w, uint64_t now_ns,
	    struct stats_worker *out);

/* Pool-wide totals kept here. */
struct stats_totals {
	uint64_t	 log_dropped;	/* workers' log records lost: ring full */
	uint64_t	 claims_refused;	/* folds of a block refused */
	uint64_t	 copy_bytes;	/* payload bytes the workers copied */
	uint64_t	 oldest_running_us;	/* longest task in flight now */
	uint64_t	 slowlog_len;
	uint64_t	 slowlog_total;	/* entries ever written */
};
void	 stats_totals_get(uint64_t now_ns, struct stats_totals *out);

/* The slow-task log, newest first. */
#define SLOWLOG_PARAMS_MAX 128	/* bytes of MessagePack kept of params */
#define SLOWLOG_CORR_MAX 132	/* bytes of correlation id, with NUL */
struct slowlog_entry {
	uint64_t	 id;		/* 1, 2, ... */
	double		 ts;		/* wall clock, seconds */
	uint32_t	 handler;
	char		 corr[SLOWLOG_CORR_MAX];	/* as logged; "" if none */
	uint64_t	 wait_us;
	uint64_t	 run_us;
	int		 worker;
	pid_t		 pid;
	int		 running;	/* logged while it ran */
	uint8_t		 params[SLOWLOG_PARAMS_MAX];	/* one MessagePack object */
	uint32_t	 plen;
};
/* stats_slowlog: the i-th newest entry (0 = newest), or NULL. */
const struct slowlog_entry *stats_slowlog(uint32_t i);
void	 stats_slowlog_reset(void);

#endif /* FP_STATS_H */
