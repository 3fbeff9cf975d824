/*
 * ring.c -- single-producer single-consumer record rings in shared memory,
 * message fragmentation (fp_msg_write) and reassembly (fp_asm_*).
 *
 * Shared layout of one ring, FP_RING_CTLLEN + size bytes:
 *
 *	0	head		producer index (bytes ever published)
 *	64	need_wakeup	consumer sleeps on its eventfd
 *	128	tail		consumer index (bytes ever released)
 *	192	need_space	producer sleeps on its eventfd
 *	256	data[size]	records
 *
 * Each field has a cache line of its own so that the producer's stores to
 * head do not invalidate the line the consumer stores tail into, and the
 * flags, which are read on every publish or release but written only
 * around sleeps, stay shared-clean in both caches.  The lines are paired
 * by the side that works on them (head with the flag the producer reads
 * on publish, tail with the flag the consumer reads on release), so that
 * head and tail are also in different 128-byte blocks, the unit that
 * x86's adjacent-line prefetcher fetches.
 *
 * The indices grow monotonically (u64 bytes never wrap in practice) and are
 * reduced modulo size to address data.  A record is a 16-byte header
 * {u32 len, u16 type, u16 flags, u64 id} followed by len payload bytes,
 * padded to 8.  A record never straddles the end of the data area: when it
 * does not fit before the end, the producer writes a PAD header (only its
 * first 8 bytes, {len, type, flags}, need room, and there always are at
 * least 8 because records are 8-aligned) and continues at offset 0.
 *
 * Each side keeps its own index in private memory (struct fp_ring) and
 * never reads it back from shared memory; the peer's index is read once per
 * check with acquire ordering and validated against the private state, and
 * every record header is read once into locals and validated before use.
 */

#include <sys/mman.h>

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fpshm.h"

#define CACHELINE	64

struct fp_ring_ctl {
	_Alignas(CACHELINE) _Atomic uint64_t	head;
	_Alignas(CACHELINE) _Atomic uint32_t	need_wakeup;
	_Alignas(CACHELINE) _Atomic uint64_t	tail;
	_Alignas(CACHELINE) _Atomic uint32_t	need_space;
};

_Static_assert(sizeof(struct fp_ring_ctl) == FP_RING_CTLLEN,
    "control block size");
_Static_assert(offsetof(struct fp_ring_ctl, head) == FP_RING_OFF_HEAD,
    "head offset");
_Static_assert(offsetof(struct fp_ring_ctl, tail) == FP_RING_OFF_TAIL,
    "tail offset");
_Static_assert(offsetof(struct fp_ring_ctl, need_wakeup) ==
    FP_RING_OFF_WAKEUP, "need_wakeup offset");
_Static_assert(offsetof(struct fp_ring_ctl, need_space) == FP_RING_OFF_SPACE,
    "need_space offset");
_Static_assert(FP_REC_HDRLEN == 16 && FP_REC_ALIGN == 8, "record header");
_Static_assert(FP_RING_CTLLEN % CACHELINE == 0, "data alignment");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
    "64-bit atomics must be lock-free to work across processes");

/* The first 8 bytes of a record header, decoded from one load. */
struct rec_word {
	uint32_t	len;
	uint16_t	type;
	uint16_t	flags;
};
_Static_assert(sizeof(struct rec_word) == 8, "record word");

/* Assembler buffers larger than this are freed between messages. */
#define ASM_KEEP	(64 * 1024)

static int
ring_size_ok(size_t size)
{
	return size >= FP_RING_MIN && size <= FP_RING_MAX &&
	    (size & (size - 1)) == 0;
}

static inline uint64_t
rec_space(uint32_t len)
{
	return FP_REC_HDRLEN + (((uint64_t)len + FP_REC_ALIGN - 1) &
	    ~(uint64_t)(FP_REC_ALIGN - 1));
}

/*
 * Shared data is read with relaxed atomic loads rather than plain ones so
 * that the compiler reads each header word exactly once: with a plain load
 * it would be entitled to read shared memory again after the checks (a
 * double fetch), and a hostile peer could change the value in between.
 */
static inline uint64_t
load_word(const uint8_t *p)
{
	return __atomic_load_n((const uint64_t *)(const void *)p,
	    __ATOMIC_RELAXED);
}

size_t
fp_ring_bytes(size_t size)
{
	if (!ring_size_ok(size))
		return 0;
	return FP_RING_CTLLEN + size;
}

int
fp_ring_format(void *mem, size_t size)
{
	struct fp_ring_ctl	*ctl = mem;

	if (mem == NULL || ((uintptr_t)mem & (CACHELINE - 1)) != 0 ||
	    !ring_size_ok(size)) {
		errno = EINVAL;
		return -1;
	}
	memset(mem, 0, FP_RING_CTLLEN);
	atomic_store_explicit(&ctl->head, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->need_wakeup, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->need_space, 0, memory_order_relaxed);
	/* Whoever attaches after fork or a later handshake sees this. */
	atomic_thread_fence(memory_order_seq_cst);
	return 0;
}

int
fp_ring_attach(struct fp_ring *r, void *mem, size_t size, int writer,
    int wakefd)
{
	if (r == NULL || mem == NULL ||
	    ((uintptr_t)mem & (CACHELINE - 1)) != 0 || !ring_size_ok(size) ||
	    (writer != 0 && writer != 1) || wakefd < -1) {
		errno = EINVAL;
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->ctl = mem;
	r->data = (uint8_t *)mem + FP_RING_CTLLEN;
	r->size = size;
	r->pos = 0;
	r->peer = 0;
	r->published = 0;
	r->pending = 0;
	r->maxrec = (uint32_t)(size / 4);
	r->wakefd = wakefd;
	r->writer = writer;
	return 0;
}

uint32_t
fp_ring_maxrec(const struct fp_ring *r)
{
	return r->maxrec;
}

/*
 * Writer side.
 */

/*
 * Bytes the writer needs to put a record of `len' payload bytes at its
 * current position, counting the PAD that skips to offset 0 if the record
 * does not fit before the end of the data area.
 */
static inline uint64_t
ring_need(const struct fp_ring *r, uint32_t len)
{
	uint64_t	need, toend;

	need = rec_space(len);
	toend = r->size - (r->pos & (r->size - 1));
	return need <= toend ? need : toend + need;
}

/*
 * Read and validate the consumer's index.  The consumer can only have
 * released what we published, and its index only grows: last seen tail <=
 * tail <= published head (which also gives head - size <= tail, since the
 * writer never gets more than size bytes ahead of the last tail it saw).
 * The comparisons are done on differences so that they would still hold
 * across a u64 wrap.  The acquire load orders the consumer's reads of the
 * released records before our writes into that space.
 */
static int
ring_load_tail(struct fp_ring *r)
{
	uint64_t	tail;

	tail = atomic_load_explicit(&r->ctl->tail, memory_order_acquire);
	if ((tail & (FP_REC_ALIGN - 1)) != 0 ||
	    tail - r->peer > r->published - r->peer) {
		errno = EPROTO;
		return -1;
	}
	r->peer = tail;
	return 0;
}

/* Room for `need' bytes?  1 yes, 0 no, -1 corrupt tail. */
static inline int
ring_room(struct fp_ring *r, uint64_t need)
{
	if (r->size - (r->pos - r->peer) >= need)
		return 1;
	if (ring_load_tail(r) == -1)
		return -1;
	return r->size - (r->pos - r->peer) >= need;
}

/*
 * May a rewinding writer at offset `off' put a record of `need' bytes at
 * offset 0, padding the rest of the lap?  Yes when what the reader still
 * holds (from its index to ours) starts at or past max(2 x need, REWIND_MIN) in
 * this lap, or the ring is empty and we are past it: the start of the
 * ring is free, and the PAD, which holds the rest of the ring until the
 * reader passes it, leaves room for one more such record.  So the bytes
 * in use stay near the start of the ring, about three records' worth (the
 * one the reader holds, the one that goes past that mark, the next),
 * whatever the ring's size.
 */
#define REWIND_MIN	((uint64_t)1 << 20)

static int
ring_rewind_ok(struct fp_ring *r, uint64_t off, uint64_t need)
{
	uint64_t	 toff, want;

	if (ring_load_tail(r) == -1)
		return 0;	/* the next alloc reports it */
	toff = r->peer & (r->size - 1);
	if (r->peer != r->pos && toff > off)
		return 0;	/* what it holds wraps: we are near 0 */
	want = need * 2 > REWIND_MIN ? need * 2 : REWIND_MIN;
	if (want > r->size / 2)
		want = r->size / 2;
	if (want < need)
		want = need;
	return (r->peer == r->pos ? off : toff) >= want;
}

void
fp_ring_set_rewind(struct fp_ring *r)
{
	r->rewind = 1;
}

int
fp_ring_trim(struct fp_ring *r, size_t keep)
{
	uintptr_t	 start, end;
	long		 page;

	if (!r->writer) {
		errno = EINVAL;
		return -1;
	}
	if (keep >= r->size || r->pos != r->published)
		return FP_AGAIN;
	if (ring_load_tail(r) == -1)
		return -1;
	if (r->peer != r->pos)
		return FP_AGAIN;
	/* Whole pages of the data only: what is around may be another's. */
	if ((page = sysconf(_SC_PAGESIZE)) <= 0)
		page = 4096;
	start = ((uintptr_t)r->data + keep + (uintptr_t)page - 1) &
	    ~((uintptr_t)page - 1);
	end = ((uintptr_t)r->data + r->size) & ~((uintptr_t)page - 1);
	if (end <= start)
		return 0;
	return madvise((void *)start, end - start, MADV_REMOVE);
}

void *
fp_ring_alloc(struct fp_ring *r, uint16_t type, uint16_t flags, uint64_t id,
    uint32_t len)
{
	struct rec_word	 w;
	uint64_t	 need, toend, off;
	uint8_t		*p;
	int		 room;

	if (!r->writer || type == FP_REC_PAD || type > FP_REC_MAXTYPE ||
	    (flags & ~FP_RECF_ALL) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (len > r->maxrec) {
		errno = EMSGSIZE;
		return NULL;
	}
	need = rec_space(len);
	if ((room = ring_room(r, ring_need(r, len))) != 1) {
		if (room == 0)
			errno = EAGAIN;
		return NULL;
	}

	off = r->pos & (r->size - 1);
	toend = r->size - off;
	if (need > toend || (r->rewind && off != 0 &&
	    ring_rewind_ok(r, off, need))) {
		/*
		 * Pad to the end.  Only the first word is written: toend may
		 * be 8, and the reader never reads a PAD's id.
		 */
		w.len = (uint32_t)toend;
		w.type = FP_REC_PAD;
		w.flags = 0;
		memcpy(r->data + off, &w, sizeof(w));
		r->pos += toend;
		off = 0;
	}
	p = r->data + off;
	w.len = len;
	w.type = type;
	w.flags = flags;
	memcpy(p, &w, sizeof(w));
	memcpy(p + sizeof(w), &id, sizeof(id));
	r->pos += need;
	return p + FP_REC_HDRLEN;
}

/*
 * Publication and the need-wakeup handshake (io_uring's SQ_NEED_WAKEUP idea,
 * used in both directions).
 *
 *	writer (publish)			reader (sleep_prepare)
 *	store head (release)			store need_wakeup = 1
 *	fence seq_cst				fence seq_cst
 *	load need_wakeup			load head
 *
 * This is the store-buffering (Dekker) pattern.  Without the fences both
 * loads may be satisfied before the other side's store leaves its store
 * buffer (x86 allows this StoreLoad reordering too): the writer sees no
 * sleeper, the reader sees no data, and the reader sleeps with a record in
 * the ring until the writer happens to publish again, which in a
 * request-reply exchange is never.  With a seq_cst fence between the store and the load
 * on both sides, the two fences are totally ordered, and whichever side's
 * fence comes second is guaranteed to see the other side's store: either
 * the writer sees the flag and signals, or the reader sees the new head and
 * does not sleep (or both, which costs one spurious wake-up).  The same
 * holds mirrored for tail / need_space between fp_ring_release and
 * fp_ring_space_wait.  (GCC emits `lock or' for the fence on x86-64.
 * test_ring_stress's race pass drives both handshakes in lock step; with
 * either side's fence removed it finds lost wake-ups.)
 *
 * The flag is cleared with an exchange by whoever acts on it, so that one
 * sleep produces at most one eventfd write from the peer.
 *
 * ring_expose is the left-hand side for both: fp_ring_publish passes head
 * and need_wakeup, fp_ring_release tail and need_space.
 */
static inline int
ring_expose_idle(struct fp_ring *r, _Atomic uint64_t *idx,
    _Atomic uint32_t *flag, int idle)
{
	uint32_t	 f;

	/*
	 * Release order: the writer's record contents, or the reader's reads
	 * of the records it consumed, come before the index that exposes
	 * them (or lets the writer overwrite them).
	 */
	atomic_store_explicit(idx, r->pos, memory_order_release);
	r->published = r->pos;
	atomic_thread_fence(memory_order_seq_cst);
	/* A lazy sleeper (fp_ring_sleep_prepare_lazy) waits for idleness. */
	if ((f = atomic_load_explicit(flag, memory_order_relaxed)) != 0 &&
	    (f != FP_WAKE_IDLE || idle) &&
	    atomic_exchange_explicit(flag, 0, memory_order_relaxed) != 0 &&
	    r->wakefd != -1)
		return fp_notify_signal(r->wakefd);
	return 0;
}

static inline int
ring_expose(struct fp_ring *r, _Atomic uint64_t *idx, _Atomic uint32_t *flag)
{
	return ring_expose_idle(r, idx, flag, 0);
}

int
fp_ring_publish(struct fp_ring *r)
{
	if (r->pos == r->published)
		return 0;
	if (!r->writer) {
		errno = EINVAL;
		return -1;
	}
	return ring_expose(r, &r->ctl->head, &r->ctl->need_wakeup);
}

int
fp_ring_publish_idle(struct fp_ring *r)
{
	if (!r->writer) {
		errno = EINVAL;
		return -1;
	}
	/* Even with nothing new: what was published lazily waits. */
	return ring_expose_idle(r, &r->ctl->head, &r->ctl->need_wakeup, 1);
}

static int	ring_load_head(struct fp_ring *);	/* reader side, below */

/* Take back a flag set for a sleep that will not happen. */
static inline void
ring_flag_clear(_Atomic uint32_t *flag)
{
	if (atomic_load_explicit(flag, memory_order_relaxed) != 0)
		atomic_exchange_explicit(flag, 0, memory_order_relaxed);
}

/*
 * The right-hand side of the handshake, for the reader before it sleeps
 * (flag need_wakeup: is a record there?) and for the writer (flag
 * need_space: is there room for `need' bytes?): set the flag, fence, then
 * look at the peer's index again.  0 to sleep; FP_AGAIN, the flag taken
 * back, if what we wait for came meanwhile; -1 on a bad peer index.
 */
static int
ring_arm(struct fp_ring *r, _Atomic uint32_t *flag, uint64_t need,
    uint32_t how)
{
	int	 came;

	atomic_store_explicit(flag, how, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	if ((r->writer ? ring_load_tail(r) : ring_load_head(r)) == -1)
		return -1;
	came = r->writer ? r->size - (r->pos - r->peer) >= need :
	    r->pos != r->peer;
	if (came) {
		ring_flag_clear(flag);
		return FP_AGAIN;
	}
	return 0;
}

int
fp_ring_space_wait(struct fp_ring *r, uint32_t len)
{
	uint64_t	need;
	int		room;

	if (!r->writer) {
		errno = EINVAL;
		return -1;
	}
	if (len > r->maxrec) {
		errno = EMSGSIZE;
		return -1;
	}
	need = ring_need(r, len);
	if ((room = ring_room(r, need)) != 0)
		return room == 1 ? FP_AGAIN : -1;
	/*
	 * The reader must see what we wrote, or it may sleep on an empty
	 * ring while we sleep on a full one.
	 */
	if (fp_ring_publish(r) == -1)
		return -1;
	return ring_arm(r, &r->ctl->need_space, need, FP_WAKE_ANY);
}

void
fp_ring_space_cancel(struct fp_ring *r)
{
	ring_flag_clear(&r->ctl->need_space);
}

/*
 * Reader side.
 */

/*
 * Read and validate the producer's index: it only grows (last seen head
 * <= head) and is never more than size bytes ahead of what we consumed
 * (head <= tail + size; r->pos is our private tail, which is at least the
 * tail the writer has seen).  The acquire load orders our reads of the
 * records after the writer's stores of them.
 */
static int
ring_load_head(struct fp_ring *r)
{
	uint64_t	head;

	head = atomic_load_explicit(&r->ctl->head, memory_order_acquire);
	if ((head & (FP_REC_ALIGN - 1)) != 0 ||
	    head - r->peer > r->pos + r->size - r->peer) {
		errno = EPROTO;
		return -1;
	}
	r->peer = head;
	return 0;
}

int
fp_ring_peek(struct fp_ring *r, struct fp_rec *rec)
{
	struct rec_word	 w;
	uint64_t	 off, toend, avail, need;
	const uint8_t	*p;

	if (r->writer) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		if (r->pos == r->peer) {
			if (ring_load_head(r) == -1)
				return -1;
			if (r->pos == r->peer)
				return FP_AGAIN;
		}
		off = r->pos & (r->size - 1);
		toend = r->size - off;
		avail = r->peer - r->pos;
		p = r->data + off;
		/* avail >= 8 because both indices are 8-aligned. */
		memcpy(&w, &(uint64_t){ load_word(p) }, sizeof(w));

		if (w.type != FP_REC_PAD)
			break;
		/*
		 * A PAD is legal only where the writer could have needed
		 * one: the largest record would not fit before the end, or
		 * anywhere on a rewinding ring.  It always covers exactly
		 * the rest of the data area.
		 */
		if (w.flags != 0 || w.len != toend ||
		    (!r->rewind && toend >= rec_space(r->maxrec)) ||
		    toend > avail) {
			errno = EPROTO;
			return -1;
		}
		r->pos += toend;
		r->pending = r->pos;
		/*
		 * On a rewinding ring a PAD is how the writer starts over:
		 * it holds the whole rest of the ring, which the writer
		 * cannot use until we release it.  Do it now, not after
		 * the record behind it.
		 */
		if (r->rewind)
			(void)ring_expose(r, &r->ctl->tail,
			    &r->ctl->need_space);
	}

	if (w.type > FP_REC_MAXTYPE || (w.flags & ~FP_RECF_ALL) != 0 ||
	    w.len > r->maxrec) {
		errno = EPROTO;
		return -1;
	}
	need = rec_space(w.len);
	/* Does not cross the end of the data, nor the published head. */
	if (need > toend || need > avail) {
		errno = EPROTO;
		return -1;
	}
	rec->id = load_word(p + 8);
	rec->data = p + FP_REC_HDRLEN;
	rec->len = w.len;
	rec->type = w.type;
	rec->flags = w.flags;
	r->pending = r->pos + need;
	return 0;
}

void
fp_ring_consume(struct fp_ring *r)
{
	if (!r->writer)
		r->pos = r->pending;
}

int
fp_ring_release(struct fp_ring *r)
{
	if (r->pos == r->published)
		return 0;
	if (r->writer) {
		errno = EINVAL;
		return -1;
	}
	return ring_expose(r, &r->ctl->tail, &r->ctl->need_space);
}

int
fp_ring_release_to(struct fp_ring *r, uint64_t idx)
{
	uint64_t	 pos = r->pos;
	int		 rc;

	if (r->writer || idx - r->published > pos - r->published) {
		errno = EINVAL;
		return -1;
	}
	if (idx == r->published)
		return 0;
	r->pos = idx;
	rc = ring_expose(r, &r->ctl->tail, &r->ctl->need_space);
	r->pos = pos;
	return rc;
}

uint64_t
fp_ring_index(const struct fp_ring *r)
{
	return r->pos;
}

static int
sleep_prepare(struct fp_ring *r, uint32_t how)
{
	if (r->writer) {
		errno = EINVAL;
		return -1;
	}
	if (r->pos != r->peer)
		return FP_AGAIN;
	/*
	 * Hand back what we consumed first: the writer may be waiting for
	 * it, and we are about to sleep until it writes.
	 */
	if (fp_ring_release(r) == -1)
		return -1;
	return ring_arm(r, &r->ctl->need_wakeup, 0, how);
}

int
fp_ring_sleep_prepare(struct fp_ring *r)
{
	return sleep_prepare(r, FP_WAKE_ANY);
}

int
fp_ring_sleep_prepare_lazy(struct fp_ring *r)
{
	return sleep_prepare(r, FP_WAKE_IDLE);
}

void
fp_ring_sleep_cancel(struct fp_ring *r)
{
	ring_flag_clear(&r->ctl->need_wakeup);
}

int
fp_ring_empty(struct fp_ring *r)
{
	if (r->pos != r->peer)
		return 0;
	if (ring_load_head(r) == -1)
		return 0;	/* let fp_ring_peek report it */
	return r->pos == r->peer;
}

/*
 * Messages.
 */

/* Copy [from, from + n) of the concatenation hdr | body to dst. */
static void
msg_copy(uint8_t *dst, const void *hdr, size_t hlen, const void *body,
    size_t from, size_t n)
{
	size_t	k;

	if (from < hlen) {
		k = hlen - from < n ? hlen - from : n;
		memcpy(dst, (const uint8_t *)hdr + from, k);
		dst += k;
		from += k;
		n -= k;
	}
	if (n > 0)
		memcpy(dst, (const uint8_t *)body + (from - hlen), n);
}

int
fp_msg_write(struct fp_ring *r, uint16_t type, uint64_t id, const void *hdr,
    size_t hlen, const void *body, size_t blen, size_t *done)
{
	size_t		 total, n;
	uint16_t	 flags;
	uint8_t		*p;

	if (hlen > UINT32_MAX || blen > UINT32_MAX - hlen) {
		errno = EMSGSIZE;
		return -1;
	}
	total = hlen + blen;
	if (*done > total || (hlen > 0 && hdr == NULL) ||
	    (blen > 0 && body == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (total <= r->maxrec) {
		/* One record; *done is 0 or total (already written). */
		if (*done == total && total > 0)
			return 0;
		if ((p = fp_ring_alloc(r, type, 0, id, (uint32_t)total)) ==
		    NULL)
			return errno == EAGAIN ? FP_AGAIN : -1;
		msg_copy(p, hdr, hlen, body, 0, total);
		*done = total;
		return 0;
	}
	while (*done < total) {
		n = total - *done;
		flags = 0;
		if (n > r->maxrec) {
			n = r->maxrec;
			flags = FP_RECF_MORE;
		}
		if ((p = fp_ring_alloc(r, type, flags, id, (uint32_t)n)) ==
		    NULL)
			return errno == EAGAIN ? FP_AGAIN : -1;
		msg_copy(p, hdr, hlen, body, *done, n);
		*done += n;
	}
	return 0;
}

void
fp_asm_init(struct fp_asm *a, size_t limit)
{
	memset(a, 0, sizeof(*a));
	a->limit = limit;
}

static void
asm_reset(struct fp_asm *a)
{
	a->active = 0;
	a->len = 0;
	if (a->cap > ASM_KEEP) {
		free(a->buf);
		a->buf = NULL;
		a->cap = 0;
	}
}

static int
asm_fail(struct fp_asm *a, int error)
{
	asm_reset(a);
	errno = error;
	return -1;
}

int
fp_asm_add(struct fp_asm *a, const struct fp_rec *rec)
{
	size_t	 want, ncap;
	uint8_t	*nbuf;

	if (!a->active) {
		/* A new message; a big buffer of the last one goes. */
		asm_reset(a);
		a->active = 1;
		a->id = rec->id;
		a->type = rec->type;
	} else if (rec->id != a->id || rec->type != a->type)
		return asm_fail(a, EPROTO);

	if (rec->len > a->limit || a->len > a->limit - rec->len)
		return asm_fail(a, EMSGSIZE);
	want = a->len + rec->len;
	if (want > a->cap || a->buf == NULL) {
		ncap = a->cap > 0 ? a->cap : 256;
		while (ncap < want)
			ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
		/* A partial message must not reserve more than the limit. */
		if (ncap > a->limit && a->limit >= want)
			ncap = a->limit > 0 ? a->limit : 1;
		if ((nbuf = realloc(a->buf, ncap)) == NULL)
			return asm_fail(a, ENOMEM);
		a->buf = nbuf;
		a->cap = ncap;
	}
	if (rec->len > 0)
		memcpy(a->buf + a->len, rec->data, rec->len);
	a->len = want;
	if (rec->flags & FP_RECF_MORE)
		return FP_AGAIN;
	a->active = 0;
	return 0;
}

void
fp_asm_free(struct fp_asm *a)
{
	free(a->buf);
	a->buf = NULL;
	a->cap = 0;
	a->len = 0;
	a->active = 0;
}
