/*
 * daemon.h -- the supervisor's state, `sv': what each part of the daemon
 * keeps, with one writer for each field (named below); the others only
 * read it.  All of it lives in the supervisor's private memory; only
 * rings and stats blocks are shared with workers.  The structures of each
 * part are in its own header: tasks.h, pool.h, control.h, dispatch.h.
 */
#ifndef FP_DAEMON_H
#define FP_DAEMON_H

#include <sys/queue.h>
#include <sys/types.h>
#include <limits.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "tasks.h"

struct worker;
struct conn;
TAILQ_HEAD(connq, conn);

enum sv_state {
	SV_RUNNING = 0,
	SV_DRAINING,		/* SIGTERM: finish what was accepted */
	SV_STOPPING		/* answering the rest, stopping workers */
};

/* Counters of forkpool.stats, each written by the part it counts. */
struct counters {
	uint64_t	 tasks_ok;
	uint64_t	 tasks_failed;
	uint64_t	 worker_crashes;
	uint64_t	 rejected_full;
	uint64_t	 tasks_timeout;
	uint64_t	 tasks_cancelled;
	uint64_t	 tasks_retried;
	uint64_t	 workers_recycled;
	uint64_t	 worker_protocol_errors;
	uint64_t	 rejected_buffered;	/* queue_full: max-buffered */
	uint64_t	 conns_refused;		/* max-connections */
	uint64_t	 conns_dropped;		/* out of memory for them */
	uint64_t	 conn_pauses;		/* reading paused for output */
	uint64_t	 accept_pauses;		/* accepting paused: no fds */
	uint64_t	 spawn_failures;	/* a step of pool_spawn failed */
	uint64_t	 worker_spawns;		/* processes started (pool.c) */
	uint64_t	 worker_exits[8];	/* by enum worker_exit (pool.c) */
	uint64_t	 tasks_revoked;		/* taken back from a busy worker
						   for an idle one (dispatch.c) */
	uint64_t	 bytes_received;	/* read from client sockets */
	uint64_t	 bytes_sent;		/* written to client sockets */
	uint64_t	 bytes_copied;		/* payload bytes the supervisor
						   copied in memory */
};

struct supervisor {
	/* supervisor.c (and reload.c for conf, generation) */
	struct fp_config conf;
	pid_t		 pid;
	int		 epfd;
	int		 lfd;
	int		 sigfd;
	int		 tfd;
	int		 state;
	uint64_t	 started_ns;
	double		 started_wall;	/* CLOCK_REALTIME at start, seconds */
	uint64_t	 now_ns;	/* read once per loop iteration */
	uint64_t	 drain_deadline_ns;

	/* pool.c (dispatch.c: the tasks in a worker; see pool.h) */
	struct worker	*workers;	/* MAX_SLOTS of them */
	int		 nslots;	/* slots ever used (loop bound) */
	uint32_t	 generation;	/* bumped by each good reload
					   (reload.c) */

	/* dispatch.c */
	struct taskq	 queue;
	uint32_t	 nqueued;
	struct taskq	 retryq;	/* crashed tasks waiting for back-off */
	uint32_t	 nactive;	/* queued + dispatched */

	/* control.c */
	struct conn	**conns;
	uint32_t	 conncap;
	uint32_t	 nconns;
	uint32_t	 conngen;
	struct connq	 flushq;
	size_t		 buffered;	/* connection buffers (with
					   task_params_bytes: max-buffered) */

	struct counters	 cnt;
};

extern struct supervisor *sv;

/* Tags for epoll data: kind in the high 32 bits, slot in the low. */
enum ev_kind { EV_LISTEN = 1, EV_SIGNAL, EV_TIMER, EV_CONN, EV_WORKER,
	EV_PIDFD,
	EV_WSTDERR,		/* a worker's stderr pipe (pool.c), by slot */
	EV_HTTP_LISTEN,		/* metrics-listen (http.c) */
	EV_HTTP_CONN,		/* a metrics scrape (http.c), by its slot */
	EV_REDIS		/* a Redis connection (redis.c), by its tag */
};
#define EV_TAG(k, i)	(((uint64_t)(k) << 32) | (uint32_t)(i))

/*
 * Params or an answer of at least this many bytes are handed on as soon as
 * they are copied (the worker's rings published, the answer sent), not at
 * the end of the loop pass, so that the copy of the next one overlaps the
 * peer's work on this one.  Smaller ones keep the batching.
 */
#define EAGER_BYTES	(64 * 1024)

/* supervisor.c */
/* supervisor_setup: 0, or -1 with "PATH: reason" in err (the socket). */
int	 supervisor_setup(char *err, size_t errlen);
void	 supervisor(void) __attribute__((noreturn));
/* supervisor_malloc_tune: malloc's thresholds for max-buffered (again). */
void	 supervisor_malloc_tune(void);

#endif /* FP_DAEMON_H */
