/*
 * test_ring.c -- unit tests of the shared-memory ring library (shm/):
 * record layout, wrap-around and padding, full and empty rings, publish
 * batching, fragments and reassembly, rejection of corrupted rings, the
 * need-wakeup handshake, eventfd helpers and segments.
 *
 * Everything runs in one process except the segment fork check.  Each
 * failed check prints one line on stderr (as tests/unit/check.h does, with
 * the loop's context added); the last line, on stdout, counts passes and
 * failures.
 */

#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fpshm.h"

#define SMALL	4096

static unsigned long	npass, nfail;

static void
check(int ok, const char *file, int line, const char *expr, const char *fmt,
    ...)
{
	va_list	ap;

	if (ok) {
		npass++;
		return;
	}
	nfail++;
	/* The format of check.h, plus what the loop was doing. */
	fprintf(stderr, "%s:%d: FAILED: %s", file, line, expr);
	if (fmt != NULL && *fmt != '\0') {
		fprintf(stderr, " (");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, ")");
	}
	fprintf(stderr, "\n");
}

#define CHECK(c)	check(!!(c), __FILE__, __LINE__, #c, NULL)
#define CHECKF(c, ...)	check(!!(c), __FILE__, __LINE__, #c, __VA_ARGS__)

/* A pair of views of one ring in private memory. */
struct pair {
	uint8_t		*mem;
	size_t		 size;
	struct fp_ring	 w;
	struct fp_ring	 r;
};

static void
pair_open(struct pair *p, size_t size, int wfd, int rfd)
{
	size_t	bytes = fp_ring_bytes(size);

	/* Exactly the ring's bytes, so that ASan sees any overrun. */
	if ((p->mem = aligned_alloc(64, bytes)) == NULL) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(p->mem, 0xa5, bytes);
	p->size = size;
	if (fp_ring_format(p->mem, size) == -1 ||
	    fp_ring_attach(&p->w, p->mem, size, 1, wfd) == -1 ||
	    fp_ring_attach(&p->r, p->mem, size, 0, rfd) == -1) {
		perror("ring setup");
		exit(2);
	}
}

static void
pair_close(struct pair *p)
{
	free(p->mem);
	p->mem = NULL;
}

static uint64_t *
ctl_u64(struct pair *p, size_t off)
{
	return (uint64_t *)(void *)(p->mem + off);
}

static uint32_t *
ctl_u32(struct pair *p, size_t off)
{
	return (uint32_t *)(void *)(p->mem + off);
}

/* Deterministic payload byte i of record `seq'. */
static uint8_t
pat(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 131 + i * 7 + (i >> 8));
}

static void
fill(uint8_t *d, uint64_t seq, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		d[i] = pat(seq, i);
}

static int
verify(const uint8_t *d, uint64_t seq, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (d[i] != pat(seq, i))
			return 0;
	return 1;
}

static uint64_t
rng(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void
test_sizes(void)
{
	uint8_t	 mem[FP_RING_CTLLEN + SMALL] __attribute__((aligned(64)));
	struct fp_ring	r;

	CHECK(fp_ring_bytes(SMALL) == FP_RING_CTLLEN + SMALL);
	CHECK(fp_ring_bytes(1 << 20) == FP_RING_CTLLEN + (1 << 20));
	CHECK(fp_ring_bytes(0) == 0);
	CHECK(fp_ring_bytes(2048) == 0);
	CHECK(fp_ring_bytes(SMALL + 8) == 0);
	CHECK(fp_ring_bytes(FP_RING_MAX) != 0);
	CHECK(fp_ring_bytes(FP_RING_MAX * 2) == 0);

	errno = 0;
	CHECK(fp_ring_format(mem, 3000) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(fp_ring_format(mem + 8, SMALL) == -1 && errno == EINVAL);
	CHECK(fp_ring_format(mem, SMALL) == 0);
	errno = 0;
	CHECK(fp_ring_attach(&r, mem, 5000, 1, -1) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(fp_ring_attach(&r, mem, SMALL, 2, -1) == -1 && errno == EINVAL);
	CHECK(fp_ring_attach(&r, mem, SMALL, 1, -1) == 0);
	CHECK(fp_ring_maxrec(&r) == SMALL / 4);
	CHECK(r.data == mem + FP_RING_CTLLEN);
}

/*
 * For every payload size 0..maxrec: fill the ring until alloc says EAGAIN,
 * publish, drain it checking every record, release; several rounds, so that
 * every size wraps at several offsets with and without padding.
 */
static void
test_wrap_every_size(void)
{
	struct pair	 p;
	struct fp_rec	 rec;
	uint8_t		*d;
	uint64_t	 wseq, rseq;
	uint32_t	 len, maxrec;
	int		 round, rc, bad, npad;

	pair_open(&p, SMALL, -1, -1);
	maxrec = fp_ring_maxrec(&p.w);
	npad = 0;
	for (len = 0; len <= maxrec; len++) {
		bad = 0;
		/* Fresh ring per size, so every size starts from offset 0. */
		fp_ring_format(p.mem, SMALL);
		fp_ring_attach(&p.w, p.mem, SMALL, 1, -1);
		fp_ring_attach(&p.r, p.mem, SMALL, 0, -1);
		wseq = rseq = 0;
		for (round = 0; round < 4 && !bad; round++) {
			uint64_t before = p.w.pos;
			int n = 0;

			while ((d = fp_ring_alloc(&p.w, FP_REC_TASK +
			    wseq % FP_REC_MAXTYPE, 0, wseq, len)) != NULL) {
				if (((uintptr_t)d & 7) != 0)
					bad = 1;
				fill(d, wseq, len);
				wseq++;
				n++;
			}
			CHECKF(errno == EAGAIN, "len %u errno %d", len, errno);
			/* Full: even the record that failed did not fit. */
			CHECKF(n > 0 && p.w.pos - before <= SMALL,
			    "len %u n %d", len, n);
			CHECKF(fp_ring_peek(&p.r, &rec) == FP_AGAIN,
			    "len %u: unpublished record visible", len);
			CHECK(fp_ring_publish(&p.w) == 0);
			while ((rc = fp_ring_peek(&p.r, &rec)) == 0) {
				if (rec.len != len || rec.id != rseq ||
				    rec.type != FP_REC_TASK + rseq %
				    FP_REC_MAXTYPE || rec.flags != 0 ||
				    !verify(rec.data, rseq, len))
					bad = 1;
				fp_ring_consume(&p.r);
				rseq++;
			}
			CHECKF(rc == FP_AGAIN, "len %u rc %d", len, rc);
			CHECKF(rseq == wseq, "len %u read %ju wrote %ju", len,
			    (uintmax_t)rseq, (uintmax_t)wseq);
			CHECKF(p.r.pos == p.w.pos, "len %u", len);
			CHECK(fp_ring_release(&p.r) == 0);
			/* More than the records themselves: a PAD. */
			if (p.w.pos - before != (uint64_t)n * (16 +
			    ((len + 7) & ~7U)))
				npad++;
		}
		CHECKF(!bad, "len %u: record mismatch", len);
	}
	/* Some sizes do not divide the ring: they must have padded. */
	CHECK(npad > 0);
	pair_close(&p);
}

/*
 * Random sizes, random batches on both sides, checked against a shadow
 * FIFO of sequence numbers.
 */
static void
test_random_ops(void)
{
	struct pair	 p;
	struct fp_rec	 rec;
	uint8_t		*d;
	uint64_t	 s = 0x9e3779b97f4a7c15ULL, wseq = 0, rseq = 0, i;
	uint32_t	 len, lens[SMALL];
	int		 bad = 0, k, n, rc;

	pair_open(&p, SMALL, -1, -1);
	for (i = 0; i < 200000 && !bad; i++) {
		n = (int)(rng(&s) % 8);
		for (k = 0; k < n; k++) {
			len = (uint32_t)(rng(&s) % 4 == 0 ?
			    rng(&s) % (p.w.maxrec + 1) : rng(&s) % 64);
			if ((d = fp_ring_alloc(&p.w, FP_REC_RESULT, 0, wseq,
			    len)) == NULL) {
				if (errno != EAGAIN)
					bad = 1;
				break;
			}
			fill(d, wseq, len);
			lens[wseq % SMALL] = len;
			wseq++;
		}
		if (rng(&s) % 2)
			fp_ring_publish(&p.w);
		n = (int)(rng(&s) % 10);
		for (k = 0; k < n; k++) {
			if ((rc = fp_ring_peek(&p.r, &rec)) != 0) {
				if (rc != FP_AGAIN)
					bad = 2;
				break;
			}
			if (rec.id != rseq || rec.len != lens[rseq % SMALL] ||
			    !verify(rec.data, rseq, rec.len))
				bad = 3;
			fp_ring_consume(&p.r);
			rseq++;
		}
		if (rng(&s) % 3 == 0)
			fp_ring_release(&p.r);
	}
	CHECKF(!bad, "bad %d at step %ju", bad, (uintmax_t)i);
	CHECK(wseq > 100000 && rseq > 100000);
	pair_close(&p);
}

static void
test_full_empty_batch(void)
{
	struct pair	 p;
	struct fp_rec	 rec;
	uint8_t		*d;
	int		 n;

	pair_open(&p, SMALL, -1, -1);

	/* Empty. */
	CHECK(fp_ring_empty(&p.r) == 1);
	CHECK(fp_ring_peek(&p.r, &rec) == FP_AGAIN);
	fp_ring_consume(&p.r);		/* nothing peeked: no effect */
	CHECK(p.r.pos == 0);

	/* Bad arguments. */
	errno = 0;
	CHECK(fp_ring_alloc(&p.w, FP_REC_PAD, 0, 1, 8) == NULL &&
	    errno == EINVAL);
	errno = 0;
	CHECK(fp_ring_alloc(&p.w, FP_REC_MAXTYPE + 1, 0, 1, 8) == NULL &&
	    errno == EINVAL);
	errno = 0;
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0x4, 1, 8) == NULL &&
	    errno == EINVAL);
	errno = 0;
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, SMALL / 4 + 1) == NULL &&
	    errno == EMSGSIZE);
	errno = 0;
	CHECK(fp_ring_alloc(&p.r, FP_REC_TASK, 0, 1, 8) == NULL &&
	    errno == EINVAL);
	errno = 0;
	CHECK(fp_ring_peek(&p.w, &rec) == -1 && errno == EINVAL);

	/* Batching: nothing visible before publish, all of it after. */
	for (n = 0; n < 3; n++) {
		d = fp_ring_alloc(&p.w, FP_REC_TASK, 0, n, 40);
		CHECK(d != NULL);
		if (d != NULL)
			fill(d, n, 40);
	}
	CHECK(fp_ring_empty(&p.r) == 1);
	CHECK(fp_ring_peek(&p.r, &rec) == FP_AGAIN);
	CHECK(*ctl_u64(&p, FP_RING_OFF_HEAD) == 0);
	CHECK(fp_ring_publish(&p.w) == 0);
	CHECK(*ctl_u64(&p, FP_RING_OFF_HEAD) == 3 * (16 + 40));
	CHECK(fp_ring_publish(&p.w) == 0);	/* nothing new: no-op */
	CHECK(fp_ring_empty(&p.r) == 0);
	for (n = 0; n < 3; n++) {
		CHECK(fp_ring_peek(&p.r, &rec) == 0);
		/* Peeking again gives the same record. */
		CHECK(fp_ring_peek(&p.r, &rec) == 0 && rec.id == (uint64_t)n);
		CHECK(rec.len == 40 && verify(rec.data, n, 40));
		fp_ring_consume(&p.r);
	}
	CHECK(fp_ring_peek(&p.r, &rec) == FP_AGAIN);
	/* Tail moves only at release. */
	CHECK(*ctl_u64(&p, FP_RING_OFF_TAIL) == 0);
	CHECK(fp_ring_release(&p.r) == 0);
	CHECK(*ctl_u64(&p, FP_RING_OFF_TAIL) == 3 * (16 + 40));

	/*
	 * Release in steps: consumed records stay the reader's until
	 * fp_ring_release_to hands back a prefix; past the own index, or
	 * behind what was handed back, is refused.
	 */
	for (n = 0; n < 3; n++) {
		d = fp_ring_alloc(&p.w, FP_REC_TASK, 0, 10 + n, 40);
		CHECK(d != NULL);
	}
	CHECK(fp_ring_publish(&p.w) == 0);
	for (n = 0; n < 3; n++) {
		CHECK(fp_ring_peek(&p.r, &rec) == 0 && rec.id == (uint64_t)(10 + n));
		fp_ring_consume(&p.r);
	}
	CHECK(fp_ring_index(&p.r) == 6 * (16 + 40));
	CHECK(fp_ring_release_to(&p.r, 4 * (16 + 40)) == 0);
	CHECK(*ctl_u64(&p, FP_RING_OFF_TAIL) == 4 * (16 + 40));
	CHECK(fp_ring_release_to(&p.r, 4 * (16 + 40)) == 0);	/* no-op */
	errno = 0;
	CHECK(fp_ring_release_to(&p.r, 3 * (16 + 40)) == -1 &&
	    errno == EINVAL);
	errno = 0;
	CHECK(fp_ring_release_to(&p.r, 7 * (16 + 40)) == -1 &&
	    errno == EINVAL);
	errno = 0;
	CHECK(fp_ring_release_to(&p.w, 6 * (16 + 40)) == -1 &&
	    errno == EINVAL);
	CHECK(*ctl_u64(&p, FP_RING_OFF_TAIL) == 4 * (16 + 40));
	CHECK(fp_ring_index(&p.r) == 6 * (16 + 40));
	CHECK(fp_ring_release_to(&p.r, 6 * (16 + 40)) == 0);
	CHECK(*ctl_u64(&p, FP_RING_OFF_TAIL) == 6 * (16 + 40));

	/* Full: maxrec records fill it; room comes back only at release. */
	n = 0;
	while (fp_ring_alloc(&p.w, FP_REC_TASK, 0, n, SMALL / 4) != NULL)
		n++;
	CHECK(errno == EAGAIN);
	CHECK(n >= 2 && n <= 4);
	fp_ring_publish(&p.w);
	CHECK(fp_ring_peek(&p.r, &rec) == 0);
	fp_ring_consume(&p.r);
	errno = 0;
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 99, SMALL / 4) == NULL &&
	    errno == EAGAIN);
	CHECK(fp_ring_release(&p.r) == 0);
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 99, SMALL / 4) != NULL);
	pair_close(&p);
}

/* Write a message, interleaving with the reader until it is assembled. */
static int
roundtrip(struct pair *p, struct fp_asm *a, uint64_t id, size_t hlen,
    size_t blen, int *nfrag)
{
	struct fp_rec	 rec;
	uint8_t		*buf;
	size_t		 done = 0, i, total = hlen + blen;
	int		 wrc = FP_AGAIN, rrc = FP_AGAIN, ok = 1, more = -1;

	if ((buf = malloc(total + 1)) == NULL)
		return 0;
	fill(buf, id, total);
	*nfrag = 0;
	for (i = 0; i < 100000 && rrc != 0; i++) {
		if (wrc == FP_AGAIN) {
			wrc = fp_msg_write(&p->w, FP_REC_CTRL, id, buf, hlen,
			    buf + hlen, blen, &done);
			if (wrc == -1) {
				ok = 0;
				break;
			}
			fp_ring_publish(&p->w);
		}
		while (fp_ring_peek(&p->r, &rec) == 0) {
			(*nfrag)++;
			if (rec.len > fp_ring_maxrec(&p->r))
				ok = 0;
			/* Every fragment but the last says MORE. */
			if (more == 0)
				ok = 0;
			more = (rec.flags & FP_RECF_MORE) != 0;
			rrc = fp_asm_add(a, &rec);
			fp_ring_consume(&p->r);
			if (rrc != FP_AGAIN)
				break;
		}
		fp_ring_release(&p->r);
		if (rrc == -1) {
			ok = 0;
			break;
		}
	}
	ok = ok && rrc == 0 && wrc == 0 && done == total &&
	    a->len == total && a->id == id && a->type == FP_REC_CTRL &&
	    a->buf != NULL && memcmp(a->buf, buf, total) == 0 && more == 0;
	free(buf);
	return ok;
}

static void
test_fragments(void)
{
	struct pair	 p;
	struct fp_asm	 a;
	size_t		 sizes[] = { 0, 1, 7, 8, 9, 100, SMALL / 4 - 1,
			    SMALL / 4, SMALL / 4 + 1, SMALL / 2, SMALL - 16,
			    SMALL - 1, SMALL, SMALL + 1, 3 * SMALL + 17,
			    10 * SMALL, 65536 + 5, 1 << 20 };
	size_t		 i, total, hlen, maxrec = SMALL / 4, want;
	uint64_t	 s = 42, id = 1;
	int		 nfrag, h;

	pair_open(&p, SMALL, -1, -1);
	fp_asm_init(&a, 4 << 20);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		total = sizes[i];
		for (h = 0; h < 3; h++) {
			hlen = h == 0 ? 0 : h == 1 ? (total < 5 ? total : 5) :
			    total;
			CHECKF(roundtrip(&p, &a, id, hlen, total - hlen,
			    &nfrag), "size %zu hlen %zu", total, hlen);
			want = total <= maxrec ? 1 :
			    (total + maxrec - 1) / maxrec;
			CHECKF((size_t)nfrag == want,
			    "size %zu: %d fragments, want %zu", total, nfrag,
			    want);
			id++;
		}
	}
	for (i = 0; i < 300; i++) {
		total = rng(&s) % (5 * SMALL);
		hlen = rng(&s) % (total + 1);
		CHECKF(roundtrip(&p, &a, id++, hlen, total - hlen, &nfrag),
		    "size %zu hlen %zu", total, hlen);
	}
	fp_asm_free(&a);

	/* A message that does not fit a full ring waits: FP_AGAIN. */
	{
		uint8_t	 body[300];
		size_t	 done;
		int	 n = 0, rc;

		memset(body, 1, sizeof(body));
		do {
			done = 0;
			rc = fp_msg_write(&p.w, FP_REC_TASK, 1, NULL, 0, body,
			    sizeof(body), &done);
			n++;
		} while (rc == 0 && n < 100);
		CHECK(rc == FP_AGAIN && done == 0);
		errno = 0;
		done = 0;
		CHECK(fp_msg_write(&p.w, FP_REC_TASK, 1, NULL, 0, body,
		    sizeof(body), &(size_t){ 301 }) == -1 && errno == EINVAL);
		CHECK(fp_msg_write(&p.w, FP_REC_TASK, 1, NULL, 5, body,
		    sizeof(body), &done) == -1 && errno == EINVAL);
		CHECK(fp_msg_write(&p.w, FP_REC_TASK, 1, NULL, 0, NULL,
		    (size_t)UINT32_MAX + 1, &done) == -1 && errno == EMSGSIZE);
	}
	pair_close(&p);
}

static struct fp_rec
mkrec(uint64_t id, uint16_t type, uint16_t flags, const void *data,
    uint32_t len)
{
	struct fp_rec	rec;

	rec.id = id;
	rec.type = type;
	rec.flags = flags;
	rec.data = data;
	rec.len = len;
	return rec;
}

static void
test_asm(void)
{
	struct fp_asm	a;
	struct fp_rec	rec;
	uint8_t		buf[200];

	fill(buf, 5, sizeof(buf));
	fp_asm_init(&a, 100);

	/* Single record: complete at once, copied. */
	rec = mkrec(7, FP_REC_TASK, 0, buf, 100);
	CHECK(fp_asm_add(&a, &rec) == 0 && a.len == 100 && a.id == 7 &&
	    a.type == FP_REC_TASK && a.buf != buf &&
	    memcmp(a.buf, buf, 100) == 0);

	/* Empty message: a buffer all the same. */
	rec = mkrec(8, FP_REC_TASK, 0, buf, 0);
	CHECK(fp_asm_add(&a, &rec) == 0 && a.len == 0 && a.buf != NULL);

	/* Over the limit in one record. */
	rec = mkrec(9, FP_REC_TASK, 0, buf, 101);
	errno = 0;
	CHECK(fp_asm_add(&a, &rec) == -1 && errno == EMSGSIZE);
	CHECK(a.active == 0);

	/* Over the limit across fragments. */
	rec = mkrec(10, FP_REC_TASK, FP_RECF_MORE, buf, 60);
	CHECK(fp_asm_add(&a, &rec) == FP_AGAIN && a.active);
	rec = mkrec(10, FP_REC_TASK, FP_RECF_MORE, buf + 60, 40);
	CHECK(fp_asm_add(&a, &rec) == FP_AGAIN);
	rec = mkrec(10, FP_REC_TASK, 0, buf + 100, 1);
	errno = 0;
	CHECK(fp_asm_add(&a, &rec) == -1 && errno == EMSGSIZE);
	CHECK(a.active == 0 && a.len == 0);

	/* Exactly the limit across fragments. */
	rec = mkrec(11, FP_REC_RESULT, FP_RECF_MORE, buf, 60);
	CHECK(fp_asm_add(&a, &rec) == FP_AGAIN);
	rec = mkrec(11, FP_REC_RESULT, 0, buf + 60, 40);
	CHECK(fp_asm_add(&a, &rec) == 0 && a.len == 100 &&
	    memcmp(a.buf, buf, 100) == 0);

	/* Another id or type in the middle of a message. */
	rec = mkrec(12, FP_REC_RESULT, FP_RECF_MORE, buf, 10);
	CHECK(fp_asm_add(&a, &rec) == FP_AGAIN);
	rec = mkrec(13, FP_REC_RESULT, 0, buf, 10);
	errno = 0;
	CHECK(fp_asm_add(&a, &rec) == -1 && errno == EPROTO);
	rec = mkrec(14, FP_REC_RESULT, FP_RECF_MORE, buf, 10);
	CHECK(fp_asm_add(&a, &rec) == FP_AGAIN);
	rec = mkrec(14, FP_REC_ERROR, 0, buf, 10);
	errno = 0;
	CHECK(fp_asm_add(&a, &rec) == -1 && errno == EPROTO);

	/* Usable after an error. */
	rec = mkrec(15, FP_REC_ERROR, 0, buf + 3, 50);
	CHECK(fp_asm_add(&a, &rec) == 0 && a.len == 50 && a.id == 15 &&
	    memcmp(a.buf, buf + 3, 50) == 0);
	fp_asm_free(&a);
	CHECK(a.buf == NULL && a.len == 0);
	fp_asm_free(&a);	/* twice is fine */

	/* Big messages reuse nothing but still work. */
	fp_asm_init(&a, 1 << 20);
	{
		uint8_t	*big = calloc(1, 1 << 20);
		int	 k, ok = big != NULL;

		for (k = 0; ok && k < 4; k++) {
			rec = mkrec(k, FP_REC_TASK, FP_RECF_MORE, big, 1 << 19);
			ok = fp_asm_add(&a, &rec) == FP_AGAIN;
			rec = mkrec(k, FP_REC_TASK, 0, big, 1 << 19);
			ok = ok && fp_asm_add(&a, &rec) == 0 &&
			    a.len == 1 << 20;
		}
		CHECK(ok);
		free(big);
	}
	fp_asm_free(&a);
}

/* Put a raw header word into the data area. */
static void
poke_hdr(struct pair *p, uint64_t off, uint32_t len, uint16_t type,
    uint16_t flags)
{
	uint8_t	*d = p->mem + FP_RING_CTLLEN + off;

	memcpy(d, &len, 4);
	memcpy(d + 4, &type, 2);
	memcpy(d + 6, &flags, 2);
}

/* Peek on a fresh reader must fail with EPROTO. */
static int
eproto(struct pair *p)
{
	struct fp_rec	rec;

	errno = 0;
	return fp_ring_peek(&p->r, &rec) == -1 && errno == EPROTO;
}

/* Write and consume records until the writer's offset is `off'. */
static void
advance(struct pair *p, uint64_t off)
{
	struct fp_rec	rec;
	uint64_t	n;

	while ((p->w.pos & (p->size - 1)) != off) {
		n = off - (p->w.pos & (p->size - 1));
		if (n > p->size / 4 + 16 || (p->w.pos & (p->size - 1)) > off)
			n = 16 + 512;
		if (fp_ring_alloc(&p->w, FP_REC_TASK, 0, 0, n - 16) == NULL)
			break;
		fp_ring_publish(&p->w);
		while (fp_ring_peek(&p->r, &rec) == 0)
			fp_ring_consume(&p->r);
		fp_ring_release(&p->r);
	}
}

static void
test_corrupt(void)
{
	struct pair	 p;
	struct fp_rec	 rec;
	uint64_t	 pos;
	int		 n;

	/* Head beyond tail + size. */
	pair_open(&p, SMALL, -1, -1);
	*ctl_u64(&p, FP_RING_OFF_HEAD) = SMALL + 8;
	CHECK(eproto(&p));
	CHECK(fp_ring_empty(&p.r) == 0);
	errno = 0;
	CHECK(fp_ring_sleep_prepare(&p.r) == -1 && errno == EPROTO);
	pair_close(&p);

	/* Head exactly tail + size is fine as an index. */
	pair_open(&p, SMALL, -1, -1);
	n = 0;
	while (fp_ring_alloc(&p.w, FP_REC_TASK, 0, n, SMALL / 4 - 16) != NULL)
		n++;
	fp_ring_publish(&p.w);
	CHECK(n == 4 && *ctl_u64(&p, FP_RING_OFF_HEAD) == SMALL);
	CHECK(fp_ring_peek(&p.r, &rec) == 0);
	pair_close(&p);

	/* Unaligned head. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, 8);
	fp_ring_publish(&p.w);
	*ctl_u64(&p, FP_RING_OFF_HEAD) = 28;
	CHECK(eproto(&p));
	pair_close(&p);

	/* Head going backwards. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, 8);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 2, 8);
	fp_ring_publish(&p.w);
	CHECK(fp_ring_peek(&p.r, &rec) == 0);
	fp_ring_consume(&p.r);
	CHECK(fp_ring_peek(&p.r, &rec) == 0);
	fp_ring_consume(&p.r);
	*ctl_u64(&p, FP_RING_OFF_HEAD) = 24;
	CHECK(eproto(&p));
	pair_close(&p);

	/* Bad type. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, 8);
	fp_ring_publish(&p.w);
	poke_hdr(&p, 0, 8, FP_REC_MAXTYPE + 1, 0);
	CHECK(eproto(&p));
	poke_hdr(&p, 0, 8, 0xffff, 0);
	CHECK(eproto(&p));
	/* PAD where the largest record would still fit. */
	poke_hdr(&p, 0, SMALL, FP_REC_PAD, 0);
	*ctl_u64(&p, FP_RING_OFF_HEAD) = SMALL;
	fp_ring_attach(&p.r, p.mem, SMALL, 0, -1);
	CHECK(eproto(&p));
	pair_close(&p);

	/* Bad flags. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, 8);
	fp_ring_publish(&p.w);
	poke_hdr(&p, 0, 8, FP_REC_TASK, 0x0002);
	CHECK(eproto(&p));
	poke_hdr(&p, 0, 8, FP_REC_TASK, 0x8001);
	CHECK(eproto(&p));
	poke_hdr(&p, 0, 8, FP_REC_TASK, FP_RECF_MORE);
	CHECK(fp_ring_peek(&p.r, &rec) == 0 && rec.flags == FP_RECF_MORE);
	pair_close(&p);

	/* len > maxrec, with a head that would cover it. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, SMALL / 4);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, SMALL / 4);
	fp_ring_publish(&p.w);
	poke_hdr(&p, 0, SMALL / 4 + 1, FP_REC_TASK, 0);
	CHECK(eproto(&p));
	poke_hdr(&p, 0, UINT32_MAX, FP_REC_TASK, 0);
	CHECK(eproto(&p));
	pair_close(&p);

	/* Record beyond head. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, 64);
	fp_ring_publish(&p.w);
	poke_hdr(&p, 0, 65, FP_REC_TASK, 0);	/* 16 + 72 > 80 */
	CHECK(eproto(&p));
	poke_hdr(&p, 0, 64, FP_REC_TASK, 0);
	CHECK(fp_ring_peek(&p.r, &rec) == 0 && rec.len == 64);
	pair_close(&p);

	/* Record crossing the end of the data. */
	pair_open(&p, SMALL, -1, -1);
	advance(&p, SMALL - 64);
	pos = p.w.pos;
	CHECK((pos & (SMALL - 1)) == SMALL - 64 && p.r.pos == pos);
	poke_hdr(&p, SMALL - 64, 100, FP_REC_TASK, 0);
	*ctl_u64(&p, FP_RING_OFF_HEAD) = pos + 128;
	CHECK(eproto(&p));
	pair_close(&p);

	/* A non-PAD record in the last 8 bytes (its id would be outside). */
	pair_open(&p, SMALL, -1, -1);
	advance(&p, SMALL - 8);
	pos = p.w.pos;
	CHECK((pos & (SMALL - 1)) == SMALL - 8 && p.r.pos == pos);
	poke_hdr(&p, SMALL - 8, 0, FP_REC_TASK, 0);
	*ctl_u64(&p, FP_RING_OFF_HEAD) = pos + 32;
	CHECK(eproto(&p));
	/* A PAD there is legal, if it says 8 and the head covers it. */
	poke_hdr(&p, 0, 0, FP_REC_TASK, 0);
	poke_hdr(&p, SMALL - 8, 4, FP_REC_PAD, 0);
	CHECK(eproto(&p));
	poke_hdr(&p, SMALL - 8, 8, FP_REC_PAD, 1);
	CHECK(eproto(&p));
	poke_hdr(&p, SMALL - 8, 8, FP_REC_PAD, 0);
	/* Only the PAD published: skipped, then empty; consume is a no-op. */
	*ctl_u64(&p, FP_RING_OFF_HEAD) = pos + 8;
	fp_ring_attach(&p.r, p.mem, SMALL, 0, -1);
	p.r.pos = p.r.peer = p.r.published = p.r.pending = pos;
	CHECK(fp_ring_peek(&p.r, &rec) == FP_AGAIN && p.r.pos == pos + 8);
	fp_ring_consume(&p.r);
	CHECK(p.r.pos == pos + 8);
	*ctl_u64(&p, FP_RING_OFF_HEAD) = pos + 32;
	memcpy(p.mem + FP_RING_CTLLEN + 8, &(uint64_t){ 77 }, 8);
	CHECK(fp_ring_peek(&p.r, &rec) == 0 && rec.id == 77 && rec.len == 0);
	pair_close(&p);

	/* A PAD past the head. */
	pair_open(&p, SMALL, -1, -1);
	advance(&p, SMALL - 64);
	pos = p.w.pos;
	poke_hdr(&p, SMALL - 64, 64, FP_REC_PAD, 0);
	*ctl_u64(&p, FP_RING_OFF_HEAD) = pos + 32;
	CHECK(eproto(&p));
	pair_close(&p);

	/* Tail corruption seen by the writer. */
	for (n = 0; n < 4; n++) {
		uint64_t bad[] = { 0, 12, 1000000, 504 };

		pair_open(&p, SMALL, -1, -1);
		advance(&p, 512);	/* tail at 512 */
		while (fp_ring_alloc(&p.w, FP_REC_TASK, 0, 0, 200) != NULL)
			;
		fp_ring_publish(&p.w);
		bad[0] = p.w.published + 8;	/* beyond the head */
		bad[1] = p.w.published - 4;	/* unaligned */
		*ctl_u64(&p, FP_RING_OFF_TAIL) = bad[n];
		errno = 0;
		CHECKF(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 0, 200) == NULL &&
		    errno == EPROTO, "tail %ju", (uintmax_t)bad[n]);
		errno = 0;
		CHECKF(fp_ring_space_wait(&p.w, 200) == -1 && errno == EPROTO,
		    "tail %ju", (uintmax_t)bad[n]);
		pair_close(&p);
	}
	/* Tail at the published head (all released) is fine. */
	pair_open(&p, SMALL, -1, -1);
	while (fp_ring_alloc(&p.w, FP_REC_TASK, 0, 0, 200) != NULL)
		;
	fp_ring_publish(&p.w);
	*ctl_u64(&p, FP_RING_OFF_TAIL) = p.w.pos;
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 0, 200) != NULL);
	pair_close(&p);
}

/*
 * A hostile peer: random bytes in the data area and random indices.  The
 * reader must return only records inside the data area and below the head
 * it validated, or EPROTO; the writer must never hand out memory outside
 * the data area.  (Under ASan any stray read or write aborts the test.)
 */
static void
test_fuzz(void)
{
	struct pair	 p;
	struct fp_rec	 rec;
	uint64_t	 s = 12345, base, head, i, w;
	uint8_t		*d, *lo, *hi;
	int		 k, rc, bad = 0, nrec = 0, nproto = 0;

	pair_open(&p, SMALL, -1, -1);
	lo = p.mem + FP_RING_CTLLEN;
	hi = lo + SMALL;
	for (i = 0; i < 20000 && !bad; i++) {
		fp_ring_format(p.mem, SMALL);
		fp_ring_attach(&p.r, p.mem, SMALL, 0, -1);
		fp_ring_attach(&p.w, p.mem, SMALL, 1, -1);
		/* Start anywhere: pretend SMALL * k bytes went by. */
		base = (rng(&s) % 1000) * 8;
		p.r.pos = p.r.peer = p.r.published = p.r.pending = base;
		/* Plausible headers, mostly, so that we get past the first. */
		for (k = 0; k < SMALL; k += 8) {
			w = rng(&s);
			if (w % 4 != 0) {
				uint32_t len = (uint32_t)(w >> 32) %
				    (SMALL / 2);
				uint16_t type = (uint16_t)((w >> 8) % 6);
				uint16_t fl = (uint16_t)(w % 16 == 1);

				poke_hdr(&p, k, len, type, fl);
			} else
				memcpy(p.mem + FP_RING_CTLLEN + k, &w, 8);
		}
		w = rng(&s);
		head = base + (w % 8 == 0 ? w >> 40 : (w >> 40) % (SMALL + 64));
		if (w % 4 != 1)
			head &= ~(uint64_t)7;
		*ctl_u64(&p, FP_RING_OFF_HEAD) = head;
		for (k = 0; k < 64; k++) {
			if ((rc = fp_ring_peek(&p.r, &rec)) != 0) {
				if (rc == -1 && errno != EPROTO)
					bad = 1;
				nproto += rc == -1;
				break;
			}
			if (rec.data < lo + FP_REC_HDRLEN ||
			    rec.data + rec.len > hi ||
			    rec.len > fp_ring_maxrec(&p.r) ||
			    p.r.pending > head || rec.type == FP_REC_PAD ||
			    rec.type > FP_REC_MAXTYPE)
				bad = 2;
			nrec++;
			fp_ring_consume(&p.r);
		}

		/* The writer against a random tail. */
		p.w.pos = p.w.published = p.w.peer = base + SMALL;
		*ctl_u64(&p, FP_RING_OFF_TAIL) = rng(&s) % 4 == 0 ? rng(&s) :
		    base + (rng(&s) % (2 * SMALL));
		for (k = 0; k < 16; k++) {
			uint32_t len = (uint32_t)(rng(&s) % (SMALL / 4 + 1));

			if ((d = fp_ring_alloc(&p.w, FP_REC_TASK, 0, 0,
			    len)) == NULL) {
				if (errno != EAGAIN && errno != EPROTO)
					bad = 3;
				break;
			}
			if (d < lo + FP_REC_HDRLEN || d + len > hi)
				bad = 4;
			memset(d, 0, len);
			fp_ring_publish(&p.w);
		}
	}
	CHECKF(!bad, "bad %d at %ju", bad, (uintmax_t)i);
	CHECKF(nrec > 1000 && nproto > 1000, "records %d EPROTO %d", nrec,
	    nproto);
	pair_close(&p);
}

static void
test_wakeup(void)
{
	struct pair	 p;
	struct fp_rec	 rec;
	int		 rfd, wfd, n;

	/* rfd: the reader sleeps on it; wfd: the writer sleeps on it. */
	rfd = fp_notify_open();
	wfd = fp_notify_open();
	CHECK(rfd != -1 && wfd != -1);
	pair_open(&p, SMALL, rfd, wfd);

	/* Nobody sleeps: publish does not signal. */
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 1, 8);
	CHECK(fp_ring_publish(&p.w) == 0);
	CHECK(fp_notify_drain(rfd) == FP_AGAIN);

	/* Data present: sleep_prepare refuses, leaves no flag. */
	CHECK(fp_ring_sleep_prepare(&p.r) == FP_AGAIN);
	CHECK(*ctl_u32(&p, FP_RING_OFF_WAKEUP) == 0);
	CHECK(fp_ring_peek(&p.r, &rec) == 0);
	fp_ring_consume(&p.r);

	/* Data published after our last look: prepare sees it. */
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 2, 8);
	fp_ring_publish(&p.w);
	CHECK(fp_ring_sleep_prepare(&p.r) == FP_AGAIN);
	CHECK(*ctl_u32(&p, FP_RING_OFF_WAKEUP) == 0);
	CHECK(fp_ring_peek(&p.r, &rec) == 0 && rec.id == 2);
	fp_ring_consume(&p.r);

	/* Empty: prepare releases, sets the flag; publish signals once. */
	CHECK(fp_ring_sleep_prepare(&p.r) == 0);
	CHECK(*ctl_u64(&p, FP_RING_OFF_TAIL) == p.r.pos);
	CHECK(*ctl_u32(&p, FP_RING_OFF_WAKEUP) != 0);
	CHECK(fp_notify_drain(rfd) == FP_AGAIN);
	CHECK(fp_notify_wait(rfd, 0) == FP_AGAIN);
	CHECK(fp_ring_publish(&p.w) == 0);	/* nothing new */
	CHECK(fp_notify_drain(rfd) == FP_AGAIN);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 3, 8);
	CHECK(fp_notify_drain(rfd) == FP_AGAIN);	/* not before publish */
	CHECK(fp_ring_publish(&p.w) == 0);
	CHECK(fp_notify_wait(rfd, 1000) == 0);
	CHECK(*ctl_u32(&p, FP_RING_OFF_WAKEUP) == 0);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 4, 8);
	CHECK(fp_ring_publish(&p.w) == 0);
	CHECK(fp_notify_drain(rfd) == FP_AGAIN);	/* once per sleep */
	fp_ring_sleep_cancel(&p.r);
	while (fp_ring_peek(&p.r, &rec) == 0)
		fp_ring_consume(&p.r);

	/* Woken by timeout: cancel clears the flag, no signal follows. */
	CHECK(fp_ring_sleep_prepare(&p.r) == 0);
	CHECK(fp_notify_wait(rfd, 1) == FP_AGAIN);
	fp_ring_sleep_cancel(&p.r);
	CHECK(*ctl_u32(&p, FP_RING_OFF_WAKEUP) == 0);
	fp_ring_alloc(&p.w, FP_REC_TASK, 0, 5, 8);
	fp_ring_publish(&p.w);
	CHECK(fp_notify_drain(rfd) == FP_AGAIN);
	while (fp_ring_peek(&p.r, &rec) == 0)
		fp_ring_consume(&p.r);
	fp_ring_release(&p.r);

	/* Mirror: the writer waits for room. */
	n = 0;
	while (fp_ring_alloc(&p.w, FP_REC_TASK, 0, n, 500) != NULL)
		n++;
	CHECK(errno == EAGAIN);
	errno = 0;
	CHECK(fp_ring_space_wait(&p.w, SMALL / 4 + 1) == -1 &&
	    errno == EMSGSIZE);
	CHECK(*ctl_u64(&p, FP_RING_OFF_HEAD) != p.w.pos);
	CHECK(fp_ring_space_wait(&p.w, 500) == 0);
	CHECK(*ctl_u64(&p, FP_RING_OFF_HEAD) == p.w.pos);	/* published */
	CHECK(*ctl_u32(&p, FP_RING_OFF_SPACE) != 0);
	CHECK(fp_ring_release(&p.r) == 0);		/* nothing consumed */
	CHECK(fp_notify_drain(wfd) == FP_AGAIN);
	CHECK(fp_ring_peek(&p.r, &rec) == 0);
	fp_ring_consume(&p.r);
	CHECK(fp_notify_drain(wfd) == FP_AGAIN);	/* not before release */
	CHECK(fp_ring_release(&p.r) == 0);
	CHECK(fp_notify_wait(wfd, 1000) == 0);
	CHECK(*ctl_u32(&p, FP_RING_OFF_SPACE) == 0);
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 0, 500) != NULL);
	fp_ring_publish(&p.w);
	/* Room appeared between the failed alloc and the wait. */
	while (fp_ring_alloc(&p.w, FP_REC_TASK, 0, 0, 500) != NULL)
		;
	CHECK(fp_ring_peek(&p.r, &rec) == 0);
	fp_ring_consume(&p.r);
	fp_ring_release(&p.r);
	CHECK(fp_notify_drain(wfd) == FP_AGAIN);
	CHECK(fp_ring_space_wait(&p.w, 500) == FP_AGAIN);
	CHECK(*ctl_u32(&p, FP_RING_OFF_SPACE) == 0);
	/* space_cancel. */
	while (fp_ring_alloc(&p.w, FP_REC_TASK, 0, 0, 500) != NULL)
		;
	CHECK(fp_ring_space_wait(&p.w, 500) == 0);
	fp_ring_space_cancel(&p.w);
	CHECK(*ctl_u32(&p, FP_RING_OFF_SPACE) == 0);
	CHECK(fp_ring_peek(&p.r, &rec) == 0);
	fp_ring_consume(&p.r);
	fp_ring_release(&p.r);
	CHECK(fp_notify_drain(wfd) == FP_AGAIN);

	pair_close(&p);
	close(rfd);
	close(wfd);
}

static void
test_notify(void)
{
	int	fd, i;

	CHECK((fd = fp_notify_open()) != -1);
	CHECK(fp_notify_drain(fd) == FP_AGAIN);
	CHECK(fp_notify_wait(fd, 0) == FP_AGAIN);
	for (i = 0; i < 3; i++)
		CHECK(fp_notify_signal(fd) == 0);
	CHECK(fp_notify_wait(fd, -1) == 0);
	CHECK(fp_notify_drain(fd) == FP_AGAIN);
	CHECK(fp_notify_signal(fd) == 0);
	CHECK(fp_notify_drain(fd) == 0);
	CHECK(fp_notify_drain(fd) == FP_AGAIN);
	/* A saturated counter still counts as signalled. */
	{
		uint64_t max = UINT64_MAX - 1;

		CHECK(write(fd, &max, sizeof(max)) == sizeof(max));
		CHECK(fp_notify_signal(fd) == 0);
		CHECK(fp_notify_drain(fd) == 0);
	}
	close(fd);
	errno = 0;
	CHECK(fp_notify_signal(fd) == -1 && errno == EBADF);
	CHECK(fp_notify_drain(fd) == -1);
	CHECK(fp_notify_wait(fd, 0) == -1);
}

/*
 * fp_ring_set_rewind: the writer goes back to offset 0 as soon as the
 * start of the ring is free (here, a 4K ring: half of it), so the bytes in
 * use stay in the first half and a little more, however long it runs and
 * whether or not the reader lags; its reader accepts the PAD anywhere and
 * releases it when it skips it; a plain reader refuses that PAD.
 */
/* n records of 700 bytes through p, written, read and released. */
static void
rewind_fill(struct pair *p, int n)
{
	struct fp_rec	 rec;
	int		 i;

	for (i = 0; i < n; i++)
		CHECK(fp_ring_alloc(&p->w, FP_REC_TASK, 0, 1, 700) != NULL);
	CHECK(fp_ring_publish(&p->w) == 0);
	for (i = 0; i < n; i++) {
		CHECK(fp_ring_peek(&p->r, &rec) == 0);
		fp_ring_consume(&p->r);
	}
	CHECK(fp_ring_release(&p->r) == 0);
}

static void
test_rewind(void)
{
	struct pair	 p;
	struct fp_rec	 rec;
	uint8_t		*d, *first;
	uint64_t	 seq = 0, rseq = 0, s = 42, maxend = 0, end;
	uint32_t	 len;
	int		 i, j, k, ok = 1;

	pair_open(&p, SMALL, -1, -1);
	fp_ring_set_rewind(&p.w);
	fp_ring_set_rewind(&p.r);
	first = p.w.data + FP_REC_HDRLEN;
	for (i = 0; i < 3000 && ok; i++) {
		/* 1 to 3 records of 1 to 200 bytes ... */
		k = 1 + (int)(rng(&s) % 3);
		for (j = 0; j < k; j++) {
			len = 1 + (uint32_t)(rng(&s) % 200);
			if ((d = fp_ring_alloc(&p.w, FP_REC_TASK, 0, seq,
			    len)) == NULL) {
				ok = 0;
				break;
			}
			fill(d, seq++, len);
			end = (uint64_t)(d - first) + len;
			if (end > maxend)
				maxend = end;
		}
		CHECK(fp_ring_publish(&p.w) == 0);
		/* ... and the reader leaves the last 0 to 2 unread. */
		k = (int)(rng(&s) % 3);
		while (seq - rseq > (uint64_t)k) {
			if (fp_ring_peek(&p.r, &rec) != 0 || rec.id != rseq ||
			    !verify(rec.data, rec.id, rec.len))
				ok = 0;
			fp_ring_consume(&p.r);
			rseq++;
		}
		CHECK(fp_ring_release(&p.r) == 0);
	}
	CHECKF(ok, "round %d: records in order and intact", i);
	CHECKF(maxend <= SMALL / 2 + 3 * 216 + 216, "used up to %llu",
	    (unsigned long long)maxend);
	CHECK(p.w.pos > 100 * SMALL);	/* it went round: PADs were read */
	pair_close(&p);

	/* Empty and past half the ring: the next record goes to 0. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_set_rewind(&p.w);
	first = p.w.data + FP_REC_HDRLEN;
	fp_ring_set_rewind(&p.r);
	rewind_fill(&p, 3);
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 2, 8) == first);
	CHECK(fp_ring_publish(&p.w) == 0);
	pair_close(&p);
	/* Below half, it goes on. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_set_rewind(&p.w);
	first = p.w.data + FP_REC_HDRLEN;
	fp_ring_set_rewind(&p.r);
	rewind_fill(&p, 2);
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 2, 8) == first + 2 * 720);
	CHECK(fp_ring_publish(&p.w) == 0);
	pair_close(&p);

	/* A reader that did not ask for it refuses a rewind's PAD. */
	pair_open(&p, SMALL, -1, -1);
	fp_ring_set_rewind(&p.w);
	first = p.w.data + FP_REC_HDRLEN;
	rewind_fill(&p, 3);
	CHECK(fp_ring_alloc(&p.w, FP_REC_TASK, 0, 2, 8) == first);
	CHECK(fp_ring_publish(&p.w) == 0);
	errno = 0;
	CHECK(fp_ring_peek(&p.r, &rec) == -1 && errno == EPROTO);
	pair_close(&p);
}

/* Blob rings: rings 2 and 3, after the two small ones, blobsize each. */
static void
test_seg_blob(void)
{
	struct fp_seg	 s;
	struct fp_ring	 w, r;
	struct fp_rec	 rec;
	uint8_t		*d;

	errno = 0;
	CHECK(fp_seg_create(&s, "fp-test", 100, 1 << 16, 3 << 20) == -1 &&
	    errno == EINVAL);
	CHECK(fp_seg_create(&s, "fp-test", 100, 1 << 16, 1 << 22) == 0);
	CHECK(s.blobsize == 1 << 22);
	CHECK((uint8_t *)fp_seg_ring(&s, 2) >= (uint8_t *)fp_seg_ring(&s, 1) +
	    fp_ring_bytes(1 << 16));
	CHECK((uint8_t *)fp_seg_ring(&s, 3) >= (uint8_t *)fp_seg_ring(&s, 2) +
	    fp_ring_bytes(1 << 22));
	CHECK((uint8_t *)fp_seg_ring(&s, 3) + fp_ring_bytes(1 << 22) <=
	    s.base + s.len);
	CHECK(fp_seg_ring(&s, 4) == NULL && fp_seg_ring(&s, -1) == NULL);
	/* Formatted: a record of a quarter of it goes through whole. */
	CHECK(fp_ring_attach(&w, fp_seg_ring(&s, 3), s.blobsize, 1, -1) == 0);
	CHECK(fp_ring_attach(&r, fp_seg_ring(&s, 3), s.blobsize, 0, -1) == 0);
	CHECK(fp_ring_maxrec(&w) == 1 << 20);
	CHECK((d = fp_ring_alloc(&w, FP_REC_RESULT, 0, 9, 1 << 20)) != NULL);
	if (d != NULL)
		fill(d, 9, 1 << 20);
	CHECK(fp_ring_publish(&w) == 0);
	CHECK(fp_ring_peek(&r, &rec) == 0 && rec.len == 1 << 20 &&
	    verify(rec.data, 9, rec.len));
	fp_seg_destroy(&s);
}

static void
test_seg(void)
{
	struct fp_seg	 s;
	struct fp_ring	 w, r;
	struct fp_rec	 rec;
	uint8_t		*d;
	pid_t		 pid;
	int		 st, i, got;

	memset(&s, 0, sizeof(s));
	fp_seg_destroy(&s);		/* zeroed: fine */
	errno = 0;
	CHECK(fp_seg_create(&s, "fp-test", 100, 1000, 0) == -1 &&
	    errno == EINVAL && s.base == NULL);
	CHECK(fp_seg_create(&s, "fp-test", 100, 1 << 16, 0) == 0);
	CHECK(s.userlen >= 100 && s.userlen % 4096 == 0);
	CHECK(fp_seg_user(&s) == s.base);
	CHECK(fp_seg_ring(&s, 0) == s.base + s.userlen);
	CHECK(fp_seg_ring(&s, 1) != NULL &&
	    ((uintptr_t)fp_seg_ring(&s, 1) & 4095) == 0 &&
	    (uint8_t *)fp_seg_ring(&s, 1) >= (uint8_t *)fp_seg_ring(&s, 0) +
	    fp_ring_bytes(1 << 16));
	CHECK((uint8_t *)fp_seg_ring(&s, 1) + fp_ring_bytes(1 << 16) <=
	    s.base + s.len);
	CHECK(fp_seg_ring(&s, 2) == NULL);
	CHECK(((uint8_t *)fp_seg_user(&s))[50] == 0);

	/* The mapping is shared across fork; ring 1 goes child -> parent. */
	CHECK(fp_ring_attach(&r, fp_seg_ring(&s, 1), s.ringsize, 0, -1) == 0);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (fp_ring_attach(&w, fp_seg_ring(&s, 1), s.ringsize, 1,
		    -1) == -1)
			_exit(1);
		for (i = 0; i < 100; i++) {
			if ((d = fp_ring_alloc(&w, FP_REC_RESULT, 0, i, i)) ==
			    NULL)
				_exit(1);
			fill(d, i, i);
		}
		fp_ring_publish(&w);
		memcpy(fp_seg_user(&s), "hello", 6);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	got = 0;
	while (fp_ring_peek(&r, &rec) == 0) {
		if (rec.id == (uint64_t)got && rec.len == (uint32_t)got &&
		    verify(rec.data, got, got))
			got++;
		fp_ring_consume(&r);
	}
	CHECK(got == 100);
	CHECK(strcmp(fp_seg_user(&s), "hello") == 0);
	fp_seg_destroy(&s);
	CHECK(s.base == NULL);
	fp_seg_destroy(&s);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_sizes();
	test_wrap_every_size();
	test_random_ops();
	test_full_empty_batch();
	test_fragments();
	test_asm();
	test_corrupt();
	test_fuzz();
	test_wakeup();
	test_notify();
	test_seg();
	test_seg_blob();
	test_rewind();
	printf("test_ring: %lu passed, %lu failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
