/*
 * wire.h -- what the supervisor and a worker put in their shared segment:
 * record bodies on the rings, the worker's stats block and its log ring.
 * Everything a worker writes here is untrusted input to the supervisor.
 */
#ifndef FP_WIRE_H
#define FP_WIRE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "forkpool.h"
#include "fpshm.h"
#include "hist.h"

/*
 * FP_REC_TASK body: this header, then `corrlen' bytes of the task's
 * correlation id (as the supervisor logs it: a logfmt value), then the
 * params array (MessagePack).
 */
struct wire_task {
	uint32_t	 handler;	/* index into the handler table */
	uint16_t	 corrlen;	/* bytes of correlation id that follow */
	uint16_t	 flags;		/* WT_* */
	uint64_t	 deadline_ns;	/* CLOCK_MONOTONIC, 0 for none */
	uint32_t	 seq;		/* this worker's task number, from 1:
					   the claim protocol (struct wstats
					   `claim') */
	uint32_t	 reserved;	/* 0, not read */
};
#define WT_BLOB		0x0001	/* the params are the next record of the
				   task blob ring, not in this record */
#define WT_UNCHECKED	0x0002	/* the params come from a client's arena
				   and the supervisor did not check them:
				   the worker does (one MessagePack array,
				   all of it), else answers bad_request
				   WIRE_SHM_PARAMS_BAD without running */
#define WIRE_SHM_PARAMS_BAD "params in shared memory are not one " \
	"MessagePack array"
#define WIRE_CORR_MAX	512	/* correlation id bytes sent, at most */

/*
 * What a worker says of the run, at the head of FP_REC_RESULT and
 * FP_REC_ERROR bodies: when the handler started (CLOCK_MONOTONIC) and how
 * long it ran.  Claims: the supervisor checks them against its own clock
 * and ignores them when they cannot be true.
 */
struct wire_run {
	uint64_t	 started_ns;
	uint64_t	 run_ns;
	uint32_t	 flags;		/* WR_* */
	uint32_t	 reserved;	/* 0, not read */
};
#define WR_BLOB		0x0001	/* the result is the next message of the
				   result blob ring, not in this record */

/*
 * FP_REC_RESULT body: struct wire_run, then exactly one MessagePack object
 * (or nothing, with WR_BLOB).
 *
 * Blob rings (fpshm.h fp_seg_create: rings 2 and 3, blob-size each, pages
 * allocated as touched): a task's params larger than WIRE_BLOB_MIN bytes,
 * and a result larger than that, travel there as one message of type
 * FP_REC_TASK or FP_REC_RESULT with the task's id (one record when it is
 * at most a quarter of the blob ring, in fragments beyond), and the
 * record on the task or result ring says so (WT_BLOB, WR_BLOB).  The
 * ring record is written first and the blob message after it: a reader
 * that finds the flag reads the blob ring next, waiting for it if need
 * be.  One record in place means one copy less on each side: no
 * fragments on the small rings, no reassembly, no wake-up per fragment.
 */
#define WIRE_BLOB_MIN	(16 << 10)
/* Bytes of a blob ring kept when it is trimmed, idle (fp_ring_trim). */
#define BLOB_KEEP	(1 << 20)

/*
 * FP_REC_ERROR body: struct wire_run, this header, then the message (not
 * NUL-terminated) of WIRE_ERRMSG_MAX bytes at most: the supervisor refuses
 * a longer one, or a code that is not an error, as a protocol violation.
 */
struct wire_error {
	uint32_t	 code;		/* enum fp_err, not FP_OK */
	uint32_t	 reserved;	/* 0, not read */
};
#define WIRE_ERRMSG_MAX	1024

/*
 * The stats block, at the start of the worker's segment: struct wstats,
 * then one struct wstats_handler per handler of the table (handler_count(),
 * fixed at start-up), then the log ring (WLOG_RING_SIZE bytes of data, an
 * fp_ring).  No pointers: the same bytes mean the same in both processes.
 *
 * The worker owns it and the supervisor never writes it after fork, but
 * for `claim' and `spin_us' (below).  Every other
 * field is written by the worker alone (single writer: a load and a store,
 * never a read-modify-write), counters with release stores so that a
 * reader that loads `n' with acquire sees the buckets that `n' counts.
 * The supervisor reads `running' for deadlines, crashes and cancellation
 * (a claim it checks), and folds the rest into its totals on the 100 ms
 * tick and once more when the worker is gone (stats.c); never for control.
 */
enum wstate {
	WS_STARTING = 0,	/* forked, its plug-ins' worker_init not done */
	WS_IDLE,		/* waits for a task */
	WS_BUSY,		/* runs the task of `cur' */
	WS_SPIN			/* polls its empty task ring (spin.h): the
				   daemon's own load, not another's */
};

struct wstats {
	_Atomic uint64_t running;	/* task id being run, 0 when idle */
	_Atomic uint32_t ready;		/* 1 once its plug-ins' worker_init
					   ran, before its loop */
	_Atomic uint32_t state;		/* enum wstate */
	/*
	 * The task in flight, written under the sequence counter `seq' (odd
	 * while the three fields change): wire_cur_begin/end and
	 * wire_cur_read, below.
	 */
	_Atomic uint32_t seq;
	_Atomic uint32_t cur_handler;
	_Atomic uint64_t cur_id;	/* 0 when idle */
	_Atomic uint64_t cur_start_ns;	/* CLOCK_MONOTONIC */
	_Atomic uint64_t busy_ns;	/* time spent in handlers */
	_Atomic uint64_t log_dropped;	/* log records dropped: ring full */
	_Atomic uint64_t copy_bytes;	/* payload bytes it copied (memcpy,
					   packing): make bench's copies/byte */

	/*
	 * The exception to "the worker writes, the supervisor reads": the
	 * two words below, on a line of their own.
	 *
	 * claim: the claim protocol that lets the supervisor take back
	 * tasks a worker holds but has not started (prefetch), so that no
	 * task waits behind another while a worker is idle.  Low 32 bits:
	 * the seq (struct wire_task) of the last task the worker claimed;
	 * high 32 bits: tasks with a seq up to this one that are not
	 * claimed are revoked.  The worker claims task s with one
	 * compare-and-swap (low -> s, and the high half, if behind, up to
	 * s-1 so that it never falls 2^31 behind the seqs compared with
	 * it) before it runs it, and skips it if s is at or below the
	 * revoked mark; the supervisor revokes with one compare-and-swap
	 * of the high half, the low half as read.  Whoever swaps first
	 * wins; seqs compare modulo 2^32 (at most `prefetch' apart).  A
	 * worker that writes garbage here can only keep tasks it was given
	 * (the supervisor then treats them as claimed) or run a revoked
	 * one, whose result is a protocol violation.
	 *
	 * spin_us: written by the supervisor alone: how long the worker
	 * may poll its task ring before it sleeps (0: do not spin), set
	 * while a CPU is free.
	 */
	_Atomic uint64_t claim __attribute__((aligned(64)));
	_Atomic uint32_t spin_us;
	uint32_t	 reserved;
};

#define WCLAIM_CLAIMED(v)	((uint32_t)(v))
#define WCLAIM_REVOKED(v)	((uint32_t)((v) >> 32))
#define WCLAIM(revoked, claimed) \
	(((uint64_t)(revoked) << 32) | (uint32_t)(claimed))
/* Serial-number order of two seqs (RFC 1982 style): a is after b. */
#define WSEQ_AFTER(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)

/*
 * wire_claim: the worker claims task seq before it runs it: 1 if it is
 * its own, 0 if the supervisor revoked it first (skip it, answer
 * nothing).  One compare-and-swap, retried only when the supervisor
 * moved the revoked mark meanwhile.  The mark is brought up to seq - 1
 * with the claim: every task before this one is claimed or revoked
 * already, so nothing changes for them, and the mark stays within
 * prefetch of the seqs it is compared with.
 */
static inline int
wire_claim(struct wstats *s, uint32_t seq)
{
	uint64_t	 v;

	v = atomic_load_explicit(&s->claim, memory_order_acquire);
	do {
		if (!WSEQ_AFTER(seq, WCLAIM_REVOKED(v)))
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(&s->claim, &v,
	    WCLAIM(seq - 1, seq), memory_order_acq_rel, memory_order_acquire));
	return 1;
}

/*
 * wire_revoke: the supervisor revokes the tasks it sent to a worker, up
 * to seq `mark' (the last written to its ring in full), that the worker
 * has not claimed.  `oldest' is the seq of the oldest task the worker
 * holds, `last' the last seq sent to it.  *pos is set to where the
 * worker is: its last claim, or the last task it will skip as revoked;
 * the tasks after *pos up to mark are the supervisor's again, and their
 * number is returned.  A claim the worker could not have made (after
 * `last', or before `oldest' - 1) is taken as everything claimed: 0.
 * With `dry', only counts them and changes nothing.
 */
static inline uint32_t
wire_revoke(struct wstats *s, uint32_t oldest, uint32_t last, uint32_t mark,
    int dry, uint32_t *pos)
{
	uint64_t	 v;
	uint32_t	 c, r;

	v = atomic_load_explicit(&s->claim, memory_order_acquire);
	for (;;) {
		c = WCLAIM_CLAIMED(v);
		r = WCLAIM_REVOKED(v);
		*pos = WSEQ_AFTER(r, c) ? r : c;
		if (WSEQ_AFTER(c, last) || WSEQ_AFTER(oldest - 1, *pos) ||
		    !WSEQ_AFTER(mark, *pos))
			return 0;
		if (dry)
			return mark - *pos;
		if (atomic_compare_exchange_weak_explicit(&s->claim, &v,
		    WCLAIM(mark, c), memory_order_acq_rel,
		    memory_order_acquire))
			return mark - *pos;
	}
}

/* Per handler: what this worker ran of it. */
struct wstats_handler {
	_Atomic uint32_t n;		/* runs counted in hist; stored last */
	_Atomic uint32_t ok;
	_Atomic uint32_t failed[FP_E__COUNT];	/* by error code */
	_Atomic uint64_t sum_us;	/* run time, for a Prometheus _sum */
	_Atomic uint32_t hist[FP_HIST_BUCKETS];	/* run time (hist.h) */
};

#define WLOG_RING_SIZE	(64 << 10)	/* data bytes of the log ring */
#define WLOG_LINE_MAX	1024		/* bytes of fields in a record */

/* FP_REC_CTRL record body on the log ring: this, then event, then fields. */
struct wire_log {
	uint8_t		 level;		/* enum log_level */
	uint8_t		 evlen;		/* bytes of event name that follow */
	uint16_t	 fieldlen;	/* bytes of logfmt fields after it */
};

#define WIRE_ALIGN(n)	(((n) + 63) & ~(size_t)63)

/* wire_handler_off: offset of handler h's block from the block's start. */
static inline size_t
wire_handler_off(uint32_t h)
{
	return WIRE_ALIGN(sizeof(struct wstats)) +
	    (size_t)h * sizeof(struct wstats_handler);
}

/* wire_log_off: offset of the log ring (64-byte aligned). */
static inline size_t
wire_log_off(uint32_t nhandlers)
{
	return WIRE_ALIGN(wire_handler_off(nhandlers));
}

/* wire_size: bytes of the whole user area: block, handlers, log ring. */
static inline size_t
wire_size(uint32_t nhandlers)
{
	return wire_log_off(nhandlers) + fp_ring_bytes(WLOG_RING_SIZE);
}

static inline struct wstats_handler *
wire_handler(struct wstats *s, uint32_t h)
{
	return (struct wstats_handler *)((uint8_t *)s + wire_handler_off(h));
}

static inline void *
wire_log_ring(struct wstats *s, uint32_t nhandlers)
{
	return (uint8_t *)s + wire_log_off(nhandlers);
}

/* Single-writer counter increment: no read-modify-write needed. */
#define WIRE_BUMP32(p, v) atomic_store_explicit((p),			\
	atomic_load_explicit((p), memory_order_relaxed) + (v),		\
	memory_order_release)
#define WIRE_BUMP64(p, v) WIRE_BUMP32(p, v)

/*
 * The in-flight record, a sequence lock with one writer (the worker):
 * wire_cur_begin makes `seq' odd, the fields change, wire_cur_end makes
 * it even again.  No syscall, no lock.
 */
static inline void
wire_cur_set(struct wstats *s, uint64_t id, uint32_t handler,
    uint64_t start_ns)
{
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->cur_id, id, memory_order_relaxed);
	atomic_store_explicit(&s->cur_handler, handler, memory_order_relaxed);
	atomic_store_explicit(&s->cur_start_ns, start_ns,
	    memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 2, memory_order_release);
}

struct wire_cur {
	uint64_t	 id;		/* 0: idle */
	uint32_t	 handler;	/* unchecked: bound it before use */
	uint64_t	 start_ns;	/* unchecked */
};

/*
 * wire_cur_read: a consistent copy of the in-flight record, or -1 if the
 * writer was changing it `tries' times in a row (a reader never waits
 * for a worker, which may be hostile or stopped mid-write).
 */
static inline int
wire_cur_read(struct wstats *s, struct wire_cur *c, int tries)
{
	uint32_t	 q1, q2;

	while (tries-- > 0) {
		q1 = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (q1 & 1)
			continue;
		c->id = atomic_load_explicit(&s->cur_id, memory_order_relaxed);
		c->handler = atomic_load_explicit(&s->cur_handler,
		    memory_order_relaxed);
		c->start_ns = atomic_load_explicit(&s->cur_start_ns,
		    memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		q2 = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (q1 == q2)
			return 0;
	}
	return -1;
}

#endif /* FP_WIRE_H */
