/*
 * fpshm -- shared-memory segments, SPSC record rings and eventfd wake-ups.
 *
 * This library never logs, never exits and touches no daemon globals.
 * Functions return 0 on success and -1 with errno set on failure; a third
 * normal outcome is the named code FP_AGAIN.
 *
 * Trust model: each side keeps its own index in private memory and reads the
 * peer's index and every record header from shared memory exactly once,
 * checking every bound before use.  A peer that breaks the format is reported
 * with -1/EPROTO; nothing it wrote is trusted.
 */
#ifndef FPSHM_H
#define FPSHM_H

#include <stddef.h>
#include <stdint.h>

#define FP_AGAIN	1	/* ring empty (reader) or full (writer) */

/* Record types.  PAD is internal to the ring and never returned. */
#define FP_REC_PAD	0
#define FP_REC_TASK	1	/* supervisor -> worker: run a task */
#define FP_REC_RESULT	2	/* worker -> supervisor: task succeeded */
#define FP_REC_ERROR	3	/* worker -> supervisor: task failed */
#define FP_REC_CTRL	4	/* either way: control message */
#define FP_REC_MAXTYPE	4

/* Record flags. */
#define FP_RECF_MORE	0x0001	/* fragment: more of this message follows */
#define FP_RECF_ALL	0x0001

/* need_wakeup values: how a sleeping reader wants to be woken. */
#define FP_WAKE_ANY	1	/* by any publish */
#define FP_WAKE_IDLE	2	/* by fp_ring_publish_idle only */

#define FP_REC_HDRLEN	16	/* u32 len, u16 type, u16 flags, u64 id */
#define FP_REC_ALIGN	8
#define FP_RING_CTLLEN	256	/* control block that precedes the data */
#define FP_RING_MIN	4096
#define FP_RING_MAX	(1UL << 30)

/*
 * Offsets of the shared fields in the control block, each on a 64-byte
 * line of its own (for tests and debuggers; the library uses its own
 * struct, checked against these at compile time).
 */
#define FP_RING_OFF_HEAD	0	/* u64 producer index */
#define FP_RING_OFF_WAKEUP	64	/* u32 consumer sleeps (need-wakeup) */
#define FP_RING_OFF_TAIL	128	/* u64 consumer index */
#define FP_RING_OFF_SPACE	192	/* u32 producer waits for room */

/* One record as seen by a reader; data points into the ring. */
struct fp_rec {
	uint64_t	 id;
	const uint8_t	*data;
	uint32_t	 len;
	uint16_t	 type;
	uint16_t	 flags;
};

struct fp_ring_ctl;	/* lives in shared memory; layout private to ring.c */

/* One side's private view of a ring. */
struct fp_ring {
	struct fp_ring_ctl	*ctl;
	uint8_t			*data;
	uint64_t		 size;		/* bytes of data, a power of two */
	uint64_t		 pos;		/* own index: head (writer) or tail (reader) */
	uint64_t		 peer;		/* last validated peer index */
	uint64_t		 published;	/* last index stored to shared memory */
	uint64_t		 pending;	/* reader: end of the peeked record */
	uint32_t		 maxrec;	/* largest record payload */
	int			 wakefd;	/* eventfd of the peer, or -1 */
	int			 writer;	/* 1 if this side produces */
	int			 rewind;	/* fp_ring_set_rewind */
};

/*
 * fp_ring_bytes: shared-memory bytes needed for a ring with `size' data
 * bytes (control block included).  `size' must be a power of two in
 * [FP_RING_MIN, FP_RING_MAX]; returns 0 otherwise.
 */
size_t	fp_ring_bytes(size_t size);

/*
 * fp_ring_format: initialise the shared control block at `mem' (64-byte
 * aligned) for a ring of `size' data bytes: both indices and both flags 0.
 * Only call while no process uses the ring; both sides must attach again
 * afterwards.  Returns -1/EINVAL if size or alignment is not acceptable.
 */
int	fp_ring_format(void *mem, size_t size);

/*
 * fp_ring_attach: set up one side's private view `r' of the formatted ring
 * at `mem'.  `writer' is 1 for the producer, 0 for the consumer; `wakefd' is
 * the eventfd this side writes to wake its peer (the consumer's fd for a
 * producer, the producer's fd for a consumer), or -1 for none.  The size is
 * taken from the caller, never from shared memory, and so is the starting
 * index: the ring must be freshly formatted (each side starts at 0; the
 * order in which the two sides attach does not matter).  Reads no shared
 * memory.  Returns -1/EINVAL on a bad size, alignment or argument.
 */
int	fp_ring_attach(struct fp_ring *r, void *mem, size_t size, int writer,
	    int wakefd);

/*
 * fp_ring_maxrec: the largest payload one record can carry in this ring
 * (a quarter of the ring, so that a record never waits for more than a
 * quarter of the ring to drain).
 */
uint32_t fp_ring_maxrec(const struct fp_ring *r);

/*
 * fp_ring_set_rewind: the writer starts a record at offset 0, padding the
 * rest of the lap, whenever the start of the ring is free (the reader
 * holds nothing before max(2 records of this size, 1M), or nothing at
 * all and we are past that), instead of going on round the ring.  For
 * rings much larger than what is usually in them (blob rings): the pages
 * touched, and so the memory resident, follow the bytes in flight rather
 * than the ring's size.  Costs one read of the reader's index per record.  Both sides
 * call it: the reader then accepts such a PAD anywhere, and releases it
 * as soon as fp_ring_peek skips it (with what was consumed before it), so
 * that the writer has the whole ring again while the record after it is
 * in use.
 */
void	fp_ring_set_rewind(struct fp_ring *r);

/*
 * fp_ring_trim: the writer gives the pages of its empty ring past the
 * first `keep' bytes back to the system (madvise MADV_REMOVE: the ring
 * must be in shared memory that allows it, a memfd's), for both sides:
 * they come back, zeroed, when written again.  For a large ring that a
 * burst of big records filled and that is idle now (blob rings).  0,
 * FP_AGAIN if the ring is not empty (the reader holds records, or
 * records are allocated and not published), -1 with errno (madvise's,
 * EPROTO for a corrupt reader index, EINVAL on a reader's view).
 */
int	fp_ring_trim(struct fp_ring *r, size_t keep);

/*
 * Writer.  fp_ring_alloc reserves a record of `len' payload bytes and
 * returns a pointer to its payload (8-byte aligned), which the caller fills
 * before the next ring call.  The record becomes visible to the reader only
 * at the next fp_ring_publish.  The reader's index is read only when the
 * room known from the last read does not suffice.  Returns NULL with errno
 * EAGAIN if the ring lacks room now, EMSGSIZE if len > maxrec, EPROTO if
 * the reader's index is corrupt, EINVAL for type PAD or > FP_REC_MAXTYPE,
 * unknown flags, or a reader's view.
 */
void	*fp_ring_alloc(struct fp_ring *r, uint16_t type, uint16_t flags,
	    uint64_t id, uint32_t len);

/*
 * fp_ring_publish: make every allocated record visible (one release store)
 * and, if the reader said it sleeps, clear that flag and write its eventfd.
 * Cheap when nothing is new.  Returns -1 only if the eventfd write fails
 * (or EINVAL on a reader's view).
 */
int	fp_ring_publish(struct fp_ring *r);

/*
 * fp_ring_space_wait: the writer found the ring full and wants to sleep
 * until the reader frees room for `len' payload bytes.  Publishes what was
 * allocated (else the reader might sleep too), sets the writer-waiting flag
 * with a full fence and checks again.  Returns 0 if the caller may sleep on
 * its own eventfd, FP_AGAIN if room appeared meanwhile (the flag is
 * cleared), -1/EPROTO on a corrupt reader index, -1/EMSGSIZE if len >
 * maxrec, or -1 if the publish's eventfd write failed.  The reader's
 * fp_ring_release clears the flag and signals whenever it frees any room,
 * so after waking, try again and wait again if still short; wake-ups may
 * be spurious.
 */
int	fp_ring_space_wait(struct fp_ring *r, uint32_t len);

/*
 * fp_ring_space_cancel: the writer stops waiting for room (woke up by
 * timeout or for another reason); clear its writer-waiting flag.  Optional:
 * a flag left set only costs one spurious wake-up.
 */
void	fp_ring_space_cancel(struct fp_ring *r);

/*
 * Reader.  fp_ring_peek validates and returns the next record without
 * consuming it: 0 with *rec filled, FP_AGAIN if the ring is empty, -1 with
 * EPROTO if the writer broke the format (bad index, length, type, flags or
 * alignment, a record past the head or across the end, a PAD where none
 * can be).  PAD records are skipped, never returned.  The writer's index
 * is read only when every record known from the last read is consumed.
 * The record's data stays valid until fp_ring_consume (in fact until the
 * next fp_ring_release, which is what lets a reader consume a batch of
 * fragments before releasing them).  Because the writer may still
 * scribble on it, copy before parsing.  Peeking twice without consuming
 * returns the same record, read and checked again.  After -1 the ring is
 * unusable.
 */
int	fp_ring_peek(struct fp_ring *r, struct fp_rec *rec);

/*
 * fp_ring_consume: drop the record returned by the last fp_ring_peek (no
 * effect if there is none).  The space returns to the writer only at the
 * next fp_ring_release.
 */
void	fp_ring_consume(struct fp_ring *r);

/*
 * fp_ring_release: publish the reader's index (one release store) so the
 * writer may reuse the space and, if the writer said it waits for room,
 * clear that flag and write its eventfd.  Cheap when nothing was consumed.
 * Returns -1 only if the eventfd write fails (or EINVAL on a writer's
 * view).
 */
int	fp_ring_release(struct fp_ring *r);

/*
 * fp_ring_index: the reader's own index (past what it consumed, published
 * or not).  fp_ring_release_to: publish the reader's index as `idx', an
 * index between the last one published and fp_ring_index, as
 * fp_ring_release does with all that was consumed: for a reader that
 * consumes records to peek at the next ones but keeps using them, and
 * hands them back in order as it is done with them.  Do not mix it with
 * fp_ring_release (or a sleep, which releases) on one ring, nor with
 * fp_ring_set_rewind on the reader (a PAD that fp_ring_peek skips hands
 * back everything consumed).  -1/EINVAL for an index out of that range or
 * a writer's view.
 */
uint64_t fp_ring_index(const struct fp_ring *r);
int	fp_ring_release_to(struct fp_ring *r, uint64_t idx);

/*
 * fp_ring_sleep_prepare: the reader found the ring empty and wants to
 * sleep.  Releases what was consumed (as fp_ring_release, else the writer
 * might wait for room while we wait for data), sets the need-wakeup flag
 * with a full fence and checks again.  Returns 0 if the caller may sleep on
 * its eventfd, FP_AGAIN if data arrived meanwhile (the flag is cleared),
 * -1/EPROTO on a corrupt writer index, or -1 if the release's eventfd write
 * failed.  Wake-ups may be spurious (a stale eventfd count): after waking,
 * call fp_ring_sleep_cancel and peek again.
 */
int	fp_ring_sleep_prepare(struct fp_ring *r);

/*
 * fp_ring_sleep_prepare_lazy: as fp_ring_sleep_prepare, but the writer's
 * fp_ring_publish leaves the reader asleep; only fp_ring_publish_idle,
 * which the writer calls when it is about to wait itself (it has nothing
 * more to do for now), wakes it.  For a reader that sleeps with a timeout
 * of its own, so that a busy writer's records are taken in batches, at
 * the cost of up to that timeout of delay (the supervisor, while workers
 * work through queued tasks).
 */
int	fp_ring_sleep_prepare_lazy(struct fp_ring *r);

/*
 * fp_ring_publish_idle: fp_ring_publish, and wake a lazy sleeper too, even
 * if nothing new was written since the last publish.
 */
int	fp_ring_publish_idle(struct fp_ring *r);

/*
 * fp_ring_sleep_cancel: the reader woke; clear its need-wakeup flag (the
 * writer has already cleared it if it was the writer that woke us).
 */
void	fp_ring_sleep_cancel(struct fp_ring *r);

/*
 * fp_ring_empty: 1 if the reader has nothing to read now, 0 otherwise
 * (also 0 if the writer's index is corrupt, so that fp_ring_peek reports
 * it).
 */
int	fp_ring_empty(struct fp_ring *r);

/*
 * Messages larger than one record travel as fragments: records of the same
 * type and id, every one but the last flagged FP_RECF_MORE.
 *
 * fp_msg_write: write message (type, id) made of `hdr' (hlen bytes, may be
 * 0) followed by `body' (blen bytes) as one record if it fits, else as
 * fragments of maxrec bytes (the last one shorter).  `*done' counts the
 * bytes already written; start at 0.  Returns 0 when the whole message is
 * allocated (publish to send it), FP_AGAIN if the ring filled first (call
 * again with the same arguments once the reader frees room; publish first,
 * or the reader may never free any: fp_ring_space_wait does), -1 on error:
 * EMSGSIZE if the message exceeds UINT32_MAX bytes, EINVAL or EPROTO as
 * for fp_ring_alloc.  A message that needs several fragments must not be
 * interleaved with other records.
 */
int	fp_msg_write(struct fp_ring *r, uint16_t type, uint64_t id,
	    const void *hdr, size_t hlen, const void *body, size_t blen,
	    size_t *done);

/* Reassembly of fragmented messages on the reading side. */
struct fp_asm {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 limit;		/* largest message accepted */
	uint64_t	 id;
	uint16_t	 type;
	int		 active;	/* a message is partly assembled */
};

/* fp_asm_init: empty assembler accepting messages up to `limit' bytes. */
void	fp_asm_init(struct fp_asm *a, size_t limit);

/*
 * fp_asm_add: append the record `rec' (copied).  Returns 0 when the message
 * is complete (a->buf, a->len, a->type, a->id hold it until the next call;
 * a->buf is not NULL, even for an empty message), FP_AGAIN if more
 * fragments are needed, -1 with EPROTO if the record does not continue the
 * message in progress (other id or type) or EMSGSIZE if it exceeds the
 * limit, or ENOMEM.  After -1 the assembler is reset.  A buffer grown past
 * 64 KiB is freed when the next message starts.
 */
int	fp_asm_add(struct fp_asm *a, const struct fp_rec *rec);

/* fp_asm_free: drop any partial message and free the buffer. */
void	fp_asm_free(struct fp_asm *a);

/*
 * Segments: one anonymous shared mapping (memfd) per worker, created by the
 * supervisor before fork.  Layout: `userlen' bytes for the caller (stats
 * block), then two rings of `ringsize' data bytes each (0: tasks, 1:
 * results), then, if `blobsize' is not 0, two blob rings of `blobsize'
 * data bytes (2: task payloads, 3: result payloads).
 */
struct fp_seg {
	uint8_t		*base;
	size_t		 len;
	size_t		 userlen;
	size_t		 ringsize;
	size_t		 stride;	/* bytes from one ring to the next */
	size_t		 blobsize;	/* 0: no blob rings */
	size_t		 bstride;
};

/*
 * fp_seg_create: map a new zeroed shared segment with room for `userlen'
 * bytes (rounded up to a page; s->userlen holds the rounded size), two
 * formatted rings of `ringsize' bytes and, unless blobsize is 0, two
 * formatted blob rings of `blobsize' bytes, each page-aligned.  `name'
 * labels the memfd for /proc.  The user area and the two rings are
 * allocated up front (fallocate), so that running out of memory is an
 * error here rather than SIGBUS later; the blob rings' pages are
 * allocated when first touched (they are meant to be large and mostly
 * unused).  The descriptor is closed; the mapping survives fork.  Returns
 * 0, or -1 with errno (EINVAL for a bad ringsize or blobsize) and *s
 * zeroed.
 */
int	fp_seg_create(struct fp_seg *s, const char *name, size_t userlen,
	    size_t ringsize, size_t blobsize);

/* fp_seg_destroy: unmap; safe on a zeroed or already destroyed segment. */
void	fp_seg_destroy(struct fp_seg *s);

/* fp_seg_user: the caller's area at the start of the segment. */
void	*fp_seg_user(const struct fp_seg *s);

/*
 * fp_seg_ring: base of ring `i' of the segment, for fp_ring_attach with
 * s->ringsize (i 0 or 1) or s->blobsize (2 or 3); NULL/EINVAL for another
 * i or a blob ring the segment does not have.
 */
void	*fp_seg_ring(const struct fp_seg *s, int i);

/*
 * Eventfd helpers.  fp_notify_open returns a non-blocking, close-on-exec
 * eventfd or -1.  fp_notify_signal adds one (EAGAIN on a saturated counter
 * counts as success: the reader is awake anyway).  fp_notify_drain reads
 * and discards the counter; returns 0, FP_AGAIN if it was zero, -1 on error.
 * fp_notify_wait blocks in poll(2) until the fd is readable or `timeout_ms'
 * passes (-1: forever), then drains it; returns 0, FP_AGAIN on timeout, -1
 * on error (EINTR included).
 */
int	fp_notify_open(void);
int	fp_notify_signal(int fd);
int	fp_notify_drain(int fd);
int	fp_notify_wait(int fd, int timeout_ms);

#endif /* FPSHM_H */
