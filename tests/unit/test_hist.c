/*
 * test_hist.c -- lib/hist.c: every bucket's bounds, the bucket of every
 * value up to 2^20 and of random larger ones, quantiles against an exact
 * sorted reference on random data of several shapes, merging, folding u32
 * counters that wrapped, count_le at powers of two; and wire.h's sequence
 * lock, written in one thread and read in another, never torn.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "hist.h"
#include "mp.h"
#include "wire.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	return check_xorshift(&rng);
}

static double
rnd01(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_bounds(void)
{
	uint32_t	 i, bad = 0;
	uint64_t	 lo, hi;

	CHECK(fp_hist_lower(0) == 0);
	CHECK(fp_hist_upper(FP_HIST_BUCKETS - 1) == FP_HIST_LIMIT);
	CHECK(FP_HIST_BUCKETS == 896);
	for (i = 0; i < FP_HIST_BUCKETS; i++) {
		lo = fp_hist_lower(i);
		hi = fp_hist_upper(i);
		if (!(lo < hi) ||
		    (i + 1 < FP_HIST_BUCKETS && hi != fp_hist_lower(i + 1)) ||
		    fp_hist_index(lo) != i || fp_hist_index(hi - 1) != i ||
		    (i < FP_HIST_SUB && hi - lo != 1) ||
		    /* at most 1/32 of its lower bound wide */
		    (i >= FP_HIST_SUB && (hi - lo) * FP_HIST_SUB > lo)) {
			if (bad++ < 5)
				fprintf(stderr, "bucket %u: [%llu, %llu)\n", i,
				    (unsigned long long)lo,
				    (unsigned long long)hi);
		}
	}
	CHECK(bad == 0);
}

static int
in_bucket(uint64_t v)
{
	uint32_t	 i = fp_hist_index(v);

	if (v >= FP_HIST_LIMIT)
		return i == FP_HIST_BUCKETS - 1;
	return i < FP_HIST_BUCKETS && fp_hist_lower(i) <= v &&
	    v < fp_hist_upper(i);
}

static void
test_index(void)
{
	uint64_t	 v, bad = 0, nonmono = 0;
	uint32_t	 prev = 0, i;
	int		 k;

	for (v = 0; v <= (1u << 20); v++) {
		i = fp_hist_index(v);
		if (!in_bucket(v))
			bad++;
		if (i < prev || i > prev + 1)
			nonmono++;
		prev = i;
	}
	CHECK(bad == 0);
	CHECK(nonmono == 0);
	bad = 0;
	for (k = 0; k < 1000000; k++) {
		v = rnd() >> (rnd() % 64);
		if (!in_bucket(v))
			bad++;
	}
	CHECK(bad == 0);
	CHECK(fp_hist_index(FP_HIST_LIMIT) == FP_HIST_BUCKETS - 1);
	CHECK(fp_hist_index(UINT64_MAX) == FP_HIST_BUCKETS - 1);
	CHECK(fp_hist_index(FP_HIST_LIMIT - 1) == FP_HIST_BUCKETS - 1);
}

/* Random values of a shape: 0 uniform, 1 exponential, 2 log-uniform,
   3 bimodal, 4 constant, 5 small. */
static uint64_t
draw(int shape)
{
	switch (shape) {
	case 0:
		return rnd() % 1000000;
	case 1:
		return (uint64_t)(-log(1 - rnd01()) * 5000);
	case 2:
		return (uint64_t)exp(rnd01() * log(4e9));
	case 3:
		return rnd() % 4 ? 5000 + rnd() % 500 : 300000 + rnd() % 1000;
	case 4:
		return 5123;
	default:
		return rnd() % 40;
	}
}

static void
test_quantiles(void)
{
	static const double qs[] = { 0.001, 0.5, 0.9, 0.99, 0.999, 1.0 };
	static struct fp_hist h;
	uint64_t	*v, exact, got, rank;
	size_t		 n, i, q;
	int		 shape, bad = 0, below = 0, far = 0;

	for (shape = 0; shape < 6; shape++) {
		n = 1000 + rnd() % 50000;
		if ((v = calloc(n, sizeof(*v))) == NULL)
			abort();
		fp_hist_clear(&h);
		for (i = 0; i < n; i++) {
			v[i] = draw(shape);
			fp_hist_add(&h, v[i]);
		}
		qsort(v, n, sizeof(*v), cmp_u64);
		CHECK(h.count == n);
		CHECK(fp_hist_max(&h) == fp_hist_upper(fp_hist_index(v[n - 1]))
		    - 1);
		for (q = 0; q < sizeof(qs) / sizeof(qs[0]); q++) {
			rank = (uint64_t)ceil(qs[q] * (double)n);
			if (rank == 0)
				rank = 1;
			exact = v[rank - 1];
			got = fp_hist_quantile(&h, qs[q]);
			/* The upper value of the exact one's bucket. */
			if (got != fp_hist_upper(fp_hist_index(exact)) - 1) {
				if (bad++ < 5)
					fprintf(stderr, "shape %d q %g: exact "
					    "%llu got %llu\n", shape, qs[q],
					    (unsigned long long)exact,
					    (unsigned long long)got);
			}
			if (got < exact)
				below++;
			if (exact >= FP_HIST_SUB &&
			    (double)(got - exact) > (double)exact / 32)
				far++;
		}
		free(v);
	}
	CHECK(bad == 0);
	CHECK(below == 0);
	CHECK(far == 0);
	fp_hist_clear(&h);
	CHECK(fp_hist_quantile(&h, 0.5) == 0);
	CHECK(fp_hist_max(&h) == 0);
}

static void
test_merge(void)
{
	static struct fp_hist a, b, all;
	uint64_t	 x;
	int		 i;

	fp_hist_clear(&a);
	fp_hist_clear(&b);
	fp_hist_clear(&all);
	for (i = 0; i < 20000; i++) {
		x = draw(i % 6);
		fp_hist_add(i % 3 ? &a : &b, x);
		fp_hist_add(&all, x);
	}
	fp_hist_merge(&a, &b);
	CHECK(memcmp(&a, &all, sizeof(a)) == 0);
}

static void
test_fold(void)
{
	static struct fp_hist h;
	static uint32_t	 cur[FP_HIST_BUCKETS], last[FP_HIST_BUCKETS];
	uint64_t	 n;

	fp_hist_clear(&h);
	memset(cur, 0, sizeof(cur));
	memset(last, 0, sizeof(last));
	cur[3] = 5;
	cur[100] = 7;
	n = fp_hist_fold_u32(&h, cur, last);
	CHECK(n == 12 && h.count == 12 && h.b[3] == 5 && h.b[100] == 7);
	CHECK(last[3] == 5 && last[100] == 7);
	/* Nothing new: nothing added. */
	CHECK(fp_hist_fold_u32(&h, cur, last) == 0 && h.count == 12);
	/* A counter that wrapped past 2^32 since the last fold. */
	last[500] = 0xfffffff0u;
	h.b[500] = 0;
	cur[500] = 0x10;
	n = fp_hist_fold_u32(&h, cur, last);
	CHECK(n == 0x20 && h.b[500] == 0x20 && last[500] == 0x10);
	CHECK(h.count == 12 + 0x20);
	/* Monotonic 64-bit totals past 2^32. */
	last[7] = 0;
	cur[7] = 0xffffffffu;
	(void)fp_hist_fold_u32(&h, cur, last);
	cur[7] = 0x00000005u;
	(void)fp_hist_fold_u32(&h, cur, last);
	CHECK(h.b[7] == 0xffffffffULL + 6);
}

static void
test_count_le(void)
{
	static struct fp_hist h;
	uint64_t	 v[5000], exact;
	int		 i, k, bad = 0;

	fp_hist_clear(&h);
	for (i = 0; i < 5000; i++) {
		v[i] = draw(2);
		fp_hist_add(&h, v[i]);
	}
	for (k = 0; k <= 32; k++) {
		for (exact = 0, i = 0; i < 5000; i++)
			if (v[i] <= (1ULL << k) - 1)
				exact++;
		if (fp_hist_count_le(&h, (1ULL << k) - 1) != exact)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(fp_hist_count_le(&h, UINT64_MAX) == 5000);
}

/* ---- the sequence lock -------------------------------------------------- */

static _Alignas(64) uint8_t block[4096];
static atomic_int stop;

static void *
writer(void *arg)
{
	struct wstats	*s = (struct wstats *)block;
	uint64_t	 k;

	(void)arg;
	for (k = 1; !atomic_load(&stop); k++)
		wire_cur_set(s, k, (uint32_t)(k * 7) & 0xffff, k * 3);
	return NULL;
}

static void
test_seqlock(void)
{
	struct wstats	*s = (struct wstats *)block;
	struct wire_cur	 c;
	struct timespec	 t0, t;
	pthread_t	 th;
	uint64_t	 reads = 0, torn = 0, busy = 0, last = 0, back = 0;
	long long	 ns;

	CHECK(sizeof(struct wstats) <= sizeof(block));
	memset(block, 0, sizeof(block));
	CHECK(pthread_create(&th, NULL, writer, NULL) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (wire_cur_read(s, &c, 4) == -1)
			busy++;
		else {
			reads++;
			if (c.id != 0 && (c.handler != ((c.id * 7) & 0xffff) ||
			    c.start_ns != c.id * 3))
				torn++;
			if (c.id < last)
				back++;
			last = c.id;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		ns = (t.tv_sec - t0.tv_sec) * 1000000000LL +
		    (t.tv_nsec - t0.tv_nsec);
		/* Under valgrind the threads take turns: let the writer run. */
		if ((reads & 1023) == 0)
			sched_yield();
		/* 0.5 s, and longer (10 s at most) until the writer got going. */
	} while (ns < 500000000LL || (last <= 1000 && ns < 10000000000LL));
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("seqlock: %llu reads, %llu gave up, last id %llu\n",
	    (unsigned long long)reads, (unsigned long long)busy,
	    (unsigned long long)last);
	CHECK(reads > 1000);
	CHECK(last > 1000);
	CHECK(torn == 0);
	CHECK(back == 0);
}

/* ---- fp_mp_abbrev (a slow task's params) ------------------------------- */

static void
test_abbrev(void)
{
	uint8_t		 in[4096], out[128], *p;
	size_t		 n, i;
	ssize_t		 ol;

	/* Small: copied. */
	in[0] = 0x92;
	in[1] = 0x01;
	in[2] = 0xa1;
	in[3] = 'x';
	n = fp_mp_abbrev(in, 4, out, sizeof(out));
	CHECK(n == 4 && memcmp(in, out, 4) == 0);
	/* [1, "aaa...a" (1000 bytes), 2]: [1, "aaa..", "... (N more bytes)"] */
	p = in;
	*p++ = 0x93;
	*p++ = 0x01;
	*p++ = 0xda;
	*p++ = 1000 >> 8;
	*p++ = 1000 & 0xff;
	memset(p, 'a', 1000);
	p += 1000;
	*p++ = 0x02;
	n = fp_mp_abbrev(in, (size_t)(p - in), out, sizeof(out));
	ol = fp_mp_object_len(out, n, 1);
	CHECK(n <= sizeof(out) && ol == (ssize_t)n);
	CHECK(out[0] == 0x93 && out[1] == 0x01);
	CHECK(memmem(out, n, "more bytes)", 11) != NULL);
	/* 300 small ints: a prefix of them and the note. */
	p = in;
	*p++ = 0xdc;
	*p++ = 300 >> 8;
	*p++ = 300 & 0xff;
	for (i = 0; i < 300; i++)
		*p++ = (uint8_t)(i & 0x7f);
	n = fp_mp_abbrev(in, (size_t)(p - in), out, sizeof(out));
	CHECK(n <= sizeof(out) && fp_mp_object_len(out, n, 1) == (ssize_t)n);
	/* Not an array, or not well formed: the note alone, a str. */
	n = fp_mp_abbrev(in + 3, 200, out, sizeof(out));
	CHECK(n <= sizeof(out) && fp_mp_object_len(out, n, 1) == (ssize_t)n);
	n = fp_mp_abbrev(in, 50, out, sizeof(out));
	CHECK(n <= sizeof(out) && fp_mp_object_len(out, n, 1) == (ssize_t)n &&
	    (out[0] & 0xe0) == 0xa0);
	/* A UTF-8 str is cut at a character. */
	p = in;
	*p++ = 0x91;
	*p++ = 0xda;
	*p++ = 600 >> 8;
	*p++ = 600 & 0xff;
	for (i = 0; i < 300; i++) {
		*p++ = 0xc3;
		*p++ = 0xa9;
	}
	n = fp_mp_abbrev(in, (size_t)(p - in), out, sizeof(out));
	CHECK(n <= sizeof(out) && fp_mp_object_len(out, n, 1) == (ssize_t)n);
	CHECK(out[1] == 0xd9 && out[2] % 2 == 0);
}

int
main(void)
{
	test_bounds();
	test_index();
	test_quantiles();
	test_merge();
	test_fold();
	test_count_le();
	test_abbrev();
	test_seqlock();
	return check_done("test_hist");
}
