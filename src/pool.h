/*
 * pool.h -- the worker processes as the supervisor sees them (pool.c
 * starts, replaces, recycles and stops them; dispatch.c feeds them tasks
 * and takes their results).
 *
 * Who writes what in struct worker: pool.c the process and its slot
 * (pid, fds, segment, rings' set-up, state, spawn and respawn times,
 * generation, task_limit, the kills: kill_ns, violation); dispatch.c
 * alone `ld', what the worker holds (dispatch_worker_reset when a
 * process starts in the slot, dispatch_worker_free when it is gone).
 */
#ifndef FP_POOL_H
#define FP_POOL_H

#include <sys/types.h>
#include <stdint.h>

#include "fpshm.h"
#include "log.h"
#include "tasks.h"
#include "wire.h"

enum worker_state {
	W_EMPTY = 0,		/* no process; waiting to be (re)spawned */
	W_READY,		/* running, accepts tasks */
	W_RETIRING,		/* takes no new tasks; stops when it holds none */
	W_STOPPING		/* being stopped or killed; its rings are ignored */
};

/* What a worker holds: written by dispatch.c only, read by pool.c. */
struct worker_load {
	struct fp_asm	 as;		/* a result being reassembled */
	struct fp_asm	 bas;		/* the same, from the result blob ring */
	int		 bas_ready;	/* bas holds a whole result */
	int		 bpeeked;	/* a blob record is in use, in place */
	int		 bwait;		/* a result waits for its blob */
	struct taskq	 inflight;
	uint32_t	 ninflight;
	struct task	*partial;	/* not yet handed over in full: its
					   record or its params (blob ring)
					   wait for room */
	size_t		 partial_done;	/* bytes of its record written */
	size_t		 blob_done;	/* bytes of its params on the blob ring */
	int		 head_done;	/* its record is written */
	int		 dirty;		/* records not yet published */
	int		 blocked;	/* task ring full: waits for room */
	uint64_t	 tasks_done;
	uint32_t	 seq;		/* seq of the last task sent (wire.h) */
	uint64_t	 result_ns;	/* when results last came (loop clock) */
	int		 slow;		/* tasks were taken back from it: no
					   prefetch until its list drains */
};

/*
 * Why a worker process ended, for forkpool_worker_exits_total{reason}
 * (pool_exit_name): counted by pool.c in sv->cnt.worker_exits.
 */
enum worker_exit {
	WX_CRASHED = 0,		/* died on its own: signal or exit status */
	WX_DEADLINE,		/* killed: a task's deadline passed */
	WX_CANCELLED,		/* killed: cancel-running kill */
	WX_PROTOCOL,		/* killed: broke the ring protocol */
	WX_RECYCLED,		/* max-tasks-per-worker, max-worker-rss */
	WX_RETIRED,		/* an older generation after a reload */
	WX_INIT_FAILED,		/* its start-up failed (plug-in, privileges) */
	WX_SHUTDOWN,		/* stopped with the daemon */
	WX__COUNT
};
const char *pool_exit_name(int);

#define MAX_SLOTS	2048	/* worker slots: workers, plus replacements */

struct worker {
	int		 slot;
	int		 state;
	pid_t		 pid;
	int		 pidfd;
	int		 sup_efd;	/* the supervisor sleeps on this */
	int		 wrk_efd;	/* the worker sleeps on this */
	struct fp_seg	 seg;
	struct wstats	*stats;
	struct fp_ring	 tx;		/* tasks, supervisor writes */
	struct fp_ring	 rx;		/* results, supervisor reads */
	struct fp_ring	 btx;		/* large params, supervisor writes */
	struct fp_ring	 brx;		/* large results, supervisor reads */
	struct fp_ring	 logr;		/* its log ring, supervisor reads */
	int		 logbad;	/* it broke the log ring: not read */
	int		 errfd;		/* its stderr (pipe), or -1 */
	uint32_t	 errlen;	/* bytes of a line in errline */
	char		 errline[1024];	/* a stderr line not ended yet */
	struct log_limit errlim;	/* its stderr lines a second */
	struct log_limit loglim;	/* its ring's lines a second */
	struct worker_load ld;		/* dispatch.c's */
	uint64_t	 spawned_ns;
	uint64_t	 rss;		/* pool_rss_bytes' last reading */
	uint64_t	 rss_ns;	/* when (0: none for this process) */
	uint64_t	 respawn_ns;	/* when to respawn an empty slot */
	uint32_t	 early_deaths;	/* consecutive, for back-off */
	uint64_t	 task_limit;	/* recycle after this many; 0: never */
	uint64_t	 kill_ns;	/* SIGKILL due (after kill-grace), or 0 */
	uint32_t	 generation;	/* configuration generation */
	int		 respawn;	/* replace this slot when it empties */
	const char	*violation;	/* killed for breaking the protocol:
					   why (counts like a crash) */
	int		 kill_reason;	/* WX_*: why kill_ns was set */
};

void	 pool_init(void);
/*
 * pool_spawn: start a worker in w's slot: its segment, eventfds and
 * process, which pool.c sets up (only its own descriptors) before
 * worker_child runs.  0, or -1 with a respawn scheduled.
 */
int	 pool_spawn(struct worker *);
/* pool_reap_slot: the pidfd of the worker in slot is readable. */
void	 pool_reap_slot(uint32_t slot);
void	 pool_reap_children(void);
int	 pool_have_pidfd(void);
void	 pool_tick(void);
void	 pool_stop(void);
void	 pool_kill(void);
int	 pool_alive(void);
int	 pool_ready(void);
int	 pool_retiring(void);
/*
 * pool_kill_worker: stop w for a task it holds (why: "deadline",
 * "cancel"): SIGTERM, and SIGKILL once kill-grace has passed, or SIGKILL
 * at once without one.  It takes no new task meanwhile.
 */
void	 pool_kill_worker(struct worker *, const char *why);
/*
 * pool_kill_violator: w broke the ring protocol (why): SIGKILL, its rings
 * are no longer read, and its death counts like a crash.
 */
void	 pool_kill_violator(struct worker *, const char *why);
/* pool_check: recycle workers at their task limit, stop idle retirees. */
void	 pool_check(void);
/* pool_reload: retire every worker of an older generation, start new ones. */
void	 pool_reload(void);
/* pool_backoff_ms: the longest respawn delay a slot is backing off with. */
uint64_t pool_backoff_ms(void);
/*
 * pool_stderr_event: the stderr pipe of the worker in slot is readable:
 * log its lines (worker_stderr).
 */
void	 pool_stderr_event(uint32_t slot);
/*
 * pool_log_suppressed: worker lines (log ring records and stderr lines)
 * read but not written since start-up, past the per-worker limits.
 */
uint64_t pool_log_suppressed(void);
/*
 * pool_rss_bytes: resident set of w's process in bytes, 0 if unknown;
 * read from /proc at most every 100 ms (the tick's max-worker-rss check,
 * forkpool.workers and the metrics called in a loop share one reading).
 */
uint64_t pool_rss_bytes(struct worker *);
/*
 * pool_state_name: "starting", "idle", "busy", "retiring" or "stopping"
 * for a slot with a process (from the pool's state, and the block's
 * claims for the first three); "empty" for one without.
 */
const char *pool_state_name(const struct worker *);
/* pool_test_crash: FORKPOOL_TEST_WORKER_CRASH=1 is set. */
int	 pool_test_crash(void);

#endif /* FP_POOL_H */
