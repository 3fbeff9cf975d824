/*
 * hist.h -- log-linear latency histograms in microseconds.
 *
 * Values below 32 us have a bucket each; from 32 us on, each power of two
 * [2^e, 2^(e+1)) is cut into 32 buckets of equal width, so that a bucket is
 * at most 1/32 (3.125 %) of its lower bound wide.  The last power of two is
 * [2^31, 2^32) us (about 71.6 minutes); a larger value counts in the last
 * bucket.  896 buckets in all: 3.5 KiB of u32 counters, 7 KiB of u64.
 *
 * The same bucket index is used by the workers' u32 counters in shared
 * memory (wire.h) and by the supervisor's u64 totals (struct fp_hist), so
 * that folding one into the other is an addition per bucket.
 */
#ifndef FP_HIST_H
#define FP_HIST_H

#include <stddef.h>
#include <stdint.h>

#define FP_HIST_SUBBITS	5
#define FP_HIST_SUB	(1u << FP_HIST_SUBBITS)	/* 32 buckets a power of 2 */
#define FP_HIST_MAXEXP	31			/* last: [2^31, 2^32) us */
#define FP_HIST_BUCKETS	((FP_HIST_MAXEXP - FP_HIST_SUBBITS + 2) * FP_HIST_SUB)
						/* 896 */
#define FP_HIST_LIMIT	((uint64_t)1 << (FP_HIST_MAXEXP + 1))	/* 2^32 us */

/* fp_hist_index: the bucket of `us' (clamped to the last bucket). */
static inline uint32_t
fp_hist_index(uint64_t us)
{
	uint32_t	 e;

	if (us < FP_HIST_SUB)
		return (uint32_t)us;
	if (us >= FP_HIST_LIMIT)
		return FP_HIST_BUCKETS - 1;
	e = 63u - (uint32_t)__builtin_clzll(us);	/* 5 .. 31 */
	return (e - FP_HIST_SUBBITS + 1) * FP_HIST_SUB +
	    (uint32_t)((us >> (e - FP_HIST_SUBBITS)) & (FP_HIST_SUB - 1));
}

/* fp_hist_lower: the smallest value of bucket i (i < FP_HIST_BUCKETS). */
uint64_t fp_hist_lower(uint32_t i);
/* fp_hist_upper: the first value past bucket i (its exclusive bound). */
uint64_t fp_hist_upper(uint32_t i);

/* The supervisor's histogram: 64-bit totals. */
struct fp_hist {
	uint64_t	 count;
	uint64_t	 sum_us;
	uint64_t	 b[FP_HIST_BUCKETS];
};

void	 fp_hist_clear(struct fp_hist *);
static inline void
fp_hist_add(struct fp_hist *h, uint64_t us)
{
	h->count++;
	h->sum_us += us;
	h->b[fp_hist_index(us)]++;
}
/* fp_hist_merge: add every bucket, the count and the sum of src to dst. */
void	 fp_hist_merge(struct fp_hist *dst, const struct fp_hist *src);

/*
 * fp_hist_fold_u32: add to dst the growth of a u32 counter array `cur'
 * (FP_HIST_BUCKETS of them, read once each) since `last', and make `last'
 * the values read.  A counter that wrapped counts right (modulo 2^32: less
 * than 2^32 events between two folds).  Returns the number of values
 * added; dst->count grows by it (dst->sum_us is the caller's).  `cur'
 * may be memory another process writes: each counter is read once.
 */
uint64_t fp_hist_fold_u32(struct fp_hist *dst, const volatile uint32_t *cur,
	    uint32_t *last);

/*
 * fp_hist_quantile: the q-quantile (0 < q <= 1) in us: the largest value
 * of the bucket that holds the ceil(q * count)-th smallest value, so never
 * below the exact quantile and at most one bucket width (3.125 %) above
 * it; 0 for an empty histogram.
 */
uint64_t fp_hist_quantile(const struct fp_hist *, double q);
/* fp_hist_max: the largest value of the highest bucket used; 0 if empty. */
uint64_t fp_hist_max(const struct fp_hist *);
/*
 * fp_hist_count_le: how many values are <= `us'.  Exact when us + 1 is a
 * bucket boundary (every power of two is), else counts the whole bucket
 * that holds us.
 */
uint64_t fp_hist_count_le(const struct fp_hist *, uint64_t us);

#endif /* FP_HIST_H */
