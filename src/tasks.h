/*
 * tasks.h -- the supervisor's task table (tasks.c).  A task is one
 * request or notification from a client, from the moment it is accepted
 * until it is answered and its worker is done with it.
 *
 * Who writes what: tasks.c hands tasks out and takes them back, and holds
 * their parameters and correlation id; control.c fills in the request
 * (msgid, handler, deadline, retries) and links a task to its connection
 * (centry, conn, conn_gen, in_conn), or source.c to the stream entry it
 * runs (src, ent); dispatch.c moves it through the queues and workers
 * (entry, state, worker and the rest).
 */
#ifndef FP_TASKS_H
#define FP_TASKS_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#define TASK_INLINE	96	/* params up to this size live in the task */
#define TASK_CHUNK	1024	/* tasks are allocated this many at a time */

enum task_state {
	T_FREE = 0,
	T_QUEUED,		/* in the global queue */
	T_RETRY,		/* waiting for its retry back-off (retryq) */
	T_DISPATCHED		/* in a worker's in-flight list */
};

struct shmconn;
struct shm_hold;

struct task {
	TAILQ_ENTRY(task) entry;	/* queue or worker in-flight list */
	TAILQ_ENTRY(task) centry;	/* owner's list (requests only) */
	uint64_t	 id;		/* seq << 32 | index; new per dispatch */
	uint32_t	 index;
	uint32_t	 msgid;
	uint32_t	 conn;		/* owner's slot */
	uint32_t	 conn_gen;	/* owner's generation; 0: no reply */
	uint32_t	 ent;		/* its entry's slot in the source */
	uint16_t	 src;		/* 0: a client's; else a stream
					   entry's, source index + 1 */
	uint16_t	 handler;
	uint8_t		 state;
	uint8_t		 started;	/* fully written to a ring */
	uint8_t		 answered;	/* answered early: drop its result */
	uint8_t		 probe;		/* the breaker's half-open probe */
	uint8_t		 kill_code;	/* why its worker is being killed */
	uint8_t		 in_conn;	/* on the owner's list */
	uint8_t		 own_deadline;	/* the caller's, shorter than the
					   configured one (no breaker) */
	uint8_t		 unchecked;	/* params in a client's arena: any
					   bytes, changing (task_hold_params) */
	int32_t		 worker;	/* slot, -1 if not dispatched */
	uint32_t	 attempts;	/* runs so far, counting this one */
	uint32_t	 retries_left;
	uint64_t	 enqueued_ns;
	uint64_t	 sent_ns;	/* last handed to a worker (dispatch.c) */
	uint32_t	 wseq;		/* its seq on that worker (wire.h) */
	uint64_t	 deadline_ns;	/* 0: none */
	uint64_t	 not_before_ns;	/* retry back-off */
	char		*corr;		/* correlation id, quoted, or NULL */
	uint8_t		*params;	/* inl, in pblock, or in shm */
	uint8_t		*pblock;	/* heap block holding params, or NULL */
	struct shmconn	*shm;		/* arena holding params, or NULL */
	struct shm_hold	*shm_hold;	/* their hold there (shmconn.h) */
	uint32_t	 plen;
	uint32_t	 pcap;		/* pblock's capacity, 0 when inline */
	uint8_t		 inl[TASK_INLINE];
};
TAILQ_HEAD(taskq, task);

/* task_alloc: a free task with a new id, or NULL if out of memory. */
struct task	*task_alloc(void);
/* task_free: give t back; it must be on no list (queue, connection). */
void		 task_free(struct task *);
int		 task_set_corr(struct task *, const char *, size_t);
/* task_lookup: the live task with this id, or NULL. */
struct task	*task_lookup(uint64_t id);
int		 task_set_params(struct task *, const uint8_t *, size_t);
/*
 * task_adopt_params: t's params are len bytes at p, inside the heap block
 * `block' of cap bytes, which t now owns (a request read into a buffer of
 * its own size: no copy).
 */
void		 task_adopt_params(struct task *, uint8_t *block, size_t cap,
		    const uint8_t *p, size_t len);
/*
 * task_hold_params: t's params are len bytes at p in the arena s, held
 * there (`hold', shmconn_hold) until t is freed.  The client may
 * change them at any time: they are only copied to the worker, which
 * checks what it got (WT_UNCHECKED), never parsed here.
 */
void		 task_hold_params(struct task *, struct shmconn *s,
		    struct shm_hold *hold, const uint8_t *p, size_t len);
/*
 * task_params_done: t was answered and handed to its worker in full, so
 * that nothing reads its params again (a task answered early is never run
 * again: not retried, not taken back): free them, or hand them back to
 * the client's arena now rather than when t is freed.
 */
void		 task_params_done(struct task *);
/* task_newid: a new id for t, so that results of an older run miss. */
void		 task_newid(struct task *);
/* task_params_bytes: params held on the heap, counted in max-buffered. */
size_t		 task_params_bytes(void);

#endif /* FP_TASKS_H */
