/*
 * daemon.h -- the supervisor's private state: tasks, workers,
 * connections.  All of it lives in the supervisor's private memory; only
 * rings and stats blocks are shared with workers.
 */
#ifndef FP_DAEMON_H
#define FP_DAEMON_H

#include <sys/queue.h>
#include <sys/types.h>
#include <limits.h>
#include <stdint.h>

#include "fpshm.h"
#include "buf.h"
#include "config.h"
#include "proto.h"
#include "wire.h"

#define TASK_INLINE	96	/* params up to this size live in the task */
#define TASK_CHUNK	1024	/* tasks are allocated this many at a time */

enum task_state {
	T_FREE = 0,
	T_QUEUED,		/* in the global queue */
	T_RETRY,		/* waiting for its retry back-off (retryq) */
	T_DISPATCHED		/* in a worker's in-flight list */
};

struct task {
	TAILQ_ENTRY(task) entry;	/* queue or worker in-flight list */
	TAILQ_ENTRY(task) centry;	/* owner's list (requests only) */
	uint64_t	 id;		/* seq << 32 | index; new per dispatch */
	uint32_t	 index;
	uint32_t	 msgid;
	uint32_t	 conn;		/* owner's slot */
	uint32_t	 conn_gen;	/* owner's generation; 0: no reply */
	uint16_t	 handler;
	uint8_t		 state;
	uint8_t		 started;	/* fully written to a ring */
	uint8_t		 answered;	/* answered early: drop its result */
	uint8_t		 probe;		/* the breaker's half-open probe */
	uint8_t		 kill_code;	/* why its worker is being killed */
	uint8_t		 in_conn;	/* on the owner's list */
	uint8_t		 own_deadline;	/* the caller's, shorter than the
					   configured one (no breaker) */
	int32_t		 worker;	/* slot, -1 if not dispatched */
	uint32_t	 attempts;	/* runs so far, counting this one */
	uint32_t	 retries_left;
	uint64_t	 enqueued_ns;
	uint64_t	 deadline_ns;	/* 0: none */
	uint64_t	 not_before_ns;	/* retry back-off */
	char		*corr;		/* correlation id, quoted, or NULL */
	uint8_t		*params;	/* inl or heap */
	uint32_t	 plen;
	uint32_t	 pcap;		/* heap capacity, 0 when inline */
	uint8_t		 inl[TASK_INLINE];
};
TAILQ_HEAD(taskq, task);

enum worker_state {
	W_EMPTY = 0,		/* no process; waiting to be (re)spawned */
	W_READY,		/* running, accepts tasks */
	W_RETIRING,		/* takes no new tasks; stops when it holds none */
	W_STOPPING		/* being stopped or killed; its rings are ignored */
};

#define MAX_SLOTS	2048	/* worker slots: workers, plus replacements */

/*
 * The largest result message (the payload of one result or error record,
 * assembled) the supervisor takes from a worker, and the largest a worker
 * sends: a worker refuses a bigger result itself (too_large).  Both sides
 * read it from the configuration the worker was forked with.  A ring
 * message holds at most UINT32_MAX bytes.
 */
#define RESULT_MAX(conf)	((conf)->max_request_size > UINT32_MAX / 4 ? \
	(size_t)UINT32_MAX : (size_t)(conf)->max_request_size * 4)

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
	struct fp_asm	 as;
	struct taskq	 inflight;
	uint32_t	 ninflight;
	struct task	*partial;	/* being written in fragments */
	size_t		 partial_done;
	int		 dirty;		/* records not yet published */
	int		 blocked;	/* task ring full: waits for room */
	uint64_t	 spawned_ns;
	uint64_t	 respawn_ns;	/* when to respawn an empty slot */
	uint32_t	 early_deaths;	/* consecutive, for back-off */
	uint64_t	 tasks_done;
	uint64_t	 task_limit;	/* recycle after this many; 0: never */
	uint64_t	 kill_ns;	/* SIGKILL due (after kill-grace), or 0 */
	uint32_t	 generation;	/* configuration generation */
	int		 respawn;	/* replace this slot when it empties */
	const char	*violation;	/* killed for breaking the protocol:
					   why (counts like a crash) */
};

struct conn {
	int		 fd;
	uint32_t	 slot;
	uint32_t	 gen;
	struct fp_buf	 in;
	struct fp_buf	 out;
	struct fp_mp_skip	 sk;		/* measures the message at in's head */
	size_t		 skfed;		/* bytes of it fed to sk */
	int		 discarding;	/* skipping an oversized message */
	uint32_t	 outstanding;
	uint32_t	 events;	/* registered with epoll */
	int		 closing;	/* close once output is flushed */
	int		 in_flushq;
	TAILQ_ENTRY(conn) flushq;
	struct taskq	 tasks;		/* its requests not yet answered */
	uid_t		 uid;		/* the peer's, from SO_PEERCRED at */
	gid_t		 gid;		/* accept; (uid_t)-1 and (gid_t)-1 */
	pid_t		 pid;		/* if unreadable */
	int		 denied_logged;	/* permission_denied said once */
	/*
	 * Answers in `out' not yet written, as offsets in the stream where
	 * each ends (a ring): a request stays outstanding until its answer
	 * has been written to the socket.
	 */
	uint64_t	 sent;		/* bytes written to the socket, ever */
	uint64_t	*ends;
	uint32_t	 ends_cap, ends_head, nends;
	int		 broken;	/* an answer could not be buffered */
	size_t		 acct;		/* bytes counted in sv->buffered */
};
TAILQ_HEAD(connq, conn);

enum sv_state {
	SV_RUNNING = 0,
	SV_DRAINING,		/* SIGTERM: finish what was accepted */
	SV_STOPPING		/* answering the rest, stopping workers */
};

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
};

struct supervisor {
	struct fp_config conf;
	pid_t		 pid;
	int		 epfd;
	int		 lfd;
	int		 sigfd;
	int		 tfd;
	int		 state;
	uint64_t	 started_ns;
	uint64_t	 now_ns;	/* read once per loop iteration */
	uint64_t	 drain_deadline_ns;

	struct worker	*workers;	/* MAX_SLOTS of them */
	int		 nslots;	/* slots ever used (loop bound) */
	uint32_t	 generation;	/* bumped by each good reload */

	struct taskq	 queue;
	uint32_t	 nqueued;
	struct taskq	 retryq;	/* crashed tasks waiting for back-off */
	uint32_t	 nactive;	/* queued + dispatched */

	struct conn	**conns;
	uint32_t	 conncap;
	uint32_t	 nconns;
	uint32_t	 conngen;
	struct connq	 flushq;
	size_t		 buffered;	/* connection buffers and params */

	struct counters	 cnt;
};

extern struct supervisor *sv;

/* Tags for epoll data: kind in the high 32 bits, slot in the low. */
enum ev_kind { EV_LISTEN = 1, EV_SIGNAL, EV_TIMER, EV_CONN, EV_WORKER,
	EV_PIDFD };
#define EV_TAG(k, i)	(((uint64_t)(k) << 32) | (uint32_t)(i))

uint64_t now_ns(void);

/* tasks.c: the task table. */
struct task	*task_alloc(void);
void		 task_free(struct task *);
void		 task_attach_conn(struct task *, struct conn *);
void		 task_detach_conn(struct task *);
int		 task_set_corr(struct task *, const char *, size_t);
struct task	*task_lookup(uint64_t id);
int		 task_set_params(struct task *, const uint8_t *, size_t);
void		 task_newid(struct task *);

/* dispatch.c: queue, dispatch, results, deadlines, retries, cancel. */
void	 dispatch_enqueue(struct task *);
void	 dispatch_requeue_front(struct task *);
void	 dispatch_run(void);
void	 dispatch_publish(void);
int	 dispatch_results(struct worker *);
void	 dispatch_worker_lost(struct worker *, int status);
void	 dispatch_fail_all(int code, const char *msg);
void	 dispatch_tick(uint64_t now);
int	 dispatch_cancel(struct task *, int code, const char *msg,
	    int kill_ok);
void	 dispatch_kill_worker(struct worker *, const char *why);
void	 task_finish_err(struct task *, int code, const char *msg,
	    const char *key, int64_t val);

/* breakers.c: one circuit breaker per handler. */
void	 breakers_init(void);
int	 breakers_admit(uint32_t handler, int *probe);
void	 breakers_result(uint32_t handler, int failure, int probe);
void	 breakers_abandon(uint32_t handler);
void	 breakers_report(struct fp_buf *);
void	 breakers_reconfigure(void);

/* pool.c: worker processes. */
void	 pool_init(void);
int	 pool_spawn(struct worker *);
void	 pool_reap(struct worker *);
void	 pool_reap_children(void);
int	 pool_have_pidfd(void);
void	 pool_tick(void);
void	 pool_stop(void);
void	 pool_kill(void);
int	 pool_alive(void);
int	 pool_ready(void);
int	 pool_retiring(void);
/* pool_check: recycle workers at their task limit, stop idle retirees. */
void	 pool_check(void);
/* pool_reload: retire every worker of an older generation, start new ones. */
void	 pool_reload(void);
/* pool_backoff_ms: the longest respawn delay a slot is backing off with. */
uint64_t pool_backoff_ms(void);
/* pool_test_crash: FORKPOOL_TEST_WORKER_CRASH=1 is set. */
int	 pool_test_crash(void);

/* reload.c: the command line, kept for reloads; SIGHUP, forkpool.reload. */
struct cmdline {
	char		 file[PATH_MAX];	/* absolute */
	int		 fflag;			/* -f given: must exist */
	const char	*socket;		/* -s, or NULL */
	const char	*pidfile;		/* -p, or NULL */
	int		 workers;		/* -w, or 0 */
	int		 test;			/* -T */
	int		 verbose;		/* -v */
};
extern struct cmdline cmdline;

#define RELOAD_MAXWARN	8
struct reload_result {
	uint32_t	 generation;	/* the one now running */
	int		 nwarn;
	char		 warn[RELOAD_MAXWARN][160];
};

/*
 * cmdline_apply: the command-line options over a configuration read from
 * the file (their lengths were checked at start-up).
 */
void	 cmdline_apply(struct fp_config *);
/*
 * reload: re-read the configuration file.  0: applied, a new generation
 * of workers started and the old ones retiring; rr (if not NULL) has the
 * generation and the warnings (settings that cannot change at run time,
 * ignored).  -1: the file is bad ("FILE:LINE: problem" in msg), nothing
 * changed.  -2: the daemon is shutting down (message in msg), nothing
 * changed.  Everything is logged.
 */
int	 reload(struct reload_result *rr, char *msg, size_t msglen);
/*
 * reload_admit: whether a forkpool.reload may run now (RELOAD_BURST at
 * once, then one every RELOAD_INTERVAL_MS); if not, how many ms until one
 * may in *wait_ms.  SIGHUP is not limited: only root and the daemon's own
 * user can send it.
 */
#define RELOAD_BURST		5
#define RELOAD_INTERVAL_MS	1000
int	 reload_admit(uint64_t now_ns, uint64_t *wait_ms);

/* paths.c: the socket's and pidfile's directories, stale sockets. */
/*
 * paths_dir_check: the directory of path (made with mode whatever the
 * umask, one level, if missing and create is set, and given to group gid
 * unless it is -1; without create, a missing one must be one that could be
 * made) must be a directory that no other user controls: owned by us or
 * root, not writable by group or others unless sticky, reached from /
 * through directories and symbolic links of root's or ours only
 * (fp_path_check).  0, or -1 with "PATH: reason" in err, PATH the
 * component refused.  A directory made is removed by paths_dirs_remove
 * until
 * paths_dirs_keep (control_listen, once it succeeds).
 */
int	 paths_dir_check(const char *path, mode_t mode, gid_t gid, int create,
	    char *err, size_t errlen);
/*
 * paths_socket_dir: paths_dir_check for c's socket path: made 0700,
 * or 0750 and given to socket-group when there is one.  Without create
 * (-n), a file at the path that is not a socket is refused too.
 */
int	 paths_socket_dir(const struct fp_config *c, int create, char *err,
	    size_t errlen);
/* paths_dirs_remove: a failed start removes the directories it made. */
void	 paths_dirs_remove(void);
/* paths_dirs_keep: the start succeeded; the directories made stay. */
void	 paths_dirs_keep(void);
/*
 * paths_stale_socket: refuse to replace a socket that another daemon still
 * answers on, or a file that is not a socket; remove a socket nobody
 * listens on.  0, or -1 with "PATH: reason" in err.
 */
int	 paths_stale_socket(const char *path, char *err, size_t errlen);

/* control.c: client connections and admin methods. */
/* control_listen: bind and listen; 0, or -1 with "PATH: reason" in err. */
int	 control_listen(char *err, size_t errlen);
/* control_unlisten: close; remove the socket if it is still the one bound. */
void	 control_unlisten(void);
void	 control_accept(void);
void	 control_event(struct conn *, uint32_t events);
void	 control_flush_all(void);
void	 control_close_all(void);
struct conn *control_conn(uint32_t slot, uint32_t gen);
void	 control_completed(struct conn *);
void	 control_resume_all(void);
size_t	 control_pending_output(void);
/*
 * control_reply_failed: an answer for c could not be buffered (out of
 * memory): c is closed at the end of this loop iteration, with a log line.
 */
void	 control_reply_failed(struct conn *);

/* worker.c: the worker process. */
void	 worker_main(struct worker *) __attribute__((noreturn));

/* supervisor.c */
/* supervisor_setup: 0, or -1 with "PATH: reason" in err (the socket). */
int	 supervisor_setup(char *err, size_t errlen);
void	 supervisor(void) __attribute__((noreturn));

#endif /* FP_DAEMON_H */
