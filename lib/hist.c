/*
 * hist.c -- log-linear latency histograms (hist.h).
 */
#include <string.h>

#include "hist.h"

uint64_t
fp_hist_lower(uint32_t i)
{
	uint32_t	 e;

	if (i < FP_HIST_SUB)
		return i;
	if (i >= FP_HIST_BUCKETS)
		return FP_HIST_LIMIT;
	e = i / FP_HIST_SUB + FP_HIST_SUBBITS - 1;	/* 5 .. 31 */
	return (uint64_t)(FP_HIST_SUB + i % FP_HIST_SUB) <<
	    (e - FP_HIST_SUBBITS);
}

uint64_t
fp_hist_upper(uint32_t i)
{
	return fp_hist_lower(i + 1);
}

void
fp_hist_clear(struct fp_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
fp_hist_merge(struct fp_hist *dst, const struct fp_hist *src)
{
	uint32_t	 i;

	dst->count += src->count;
	dst->sum_us += src->sum_us;
	for (i = 0; i < FP_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t
fp_hist_fold_u32(struct fp_hist *dst, const volatile uint32_t *cur,
    uint32_t *last)
{
	uint64_t	 n = 0;
	uint32_t	 i, v, d;

	for (i = 0; i < FP_HIST_BUCKETS; i++) {
		v = cur[i];
		d = v - last[i];
		if (d == 0)
			continue;
		last[i] = v;
		dst->b[i] += d;
		n += d;
	}
	dst->count += n;
	return n;
}

uint64_t
fp_hist_quantile(const struct fp_hist *h, double q)
{
	uint64_t	 rank, seen = 0, total = 0;
	uint32_t	 i;

	/* The buckets, not `count', which a caller may keep apart. */
	for (i = 0; i < FP_HIST_BUCKETS; i++)
		total += h->b[i];
	if (total == 0)
		return 0;
	if (q <= 0)
		q = 1e-9;
	if (q > 1)
		q = 1;
	rank = (uint64_t)((double)total * q);
	if ((double)rank < (double)total * q)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < FP_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return fp_hist_upper(i) - 1;
	}
	return fp_hist_upper(FP_HIST_BUCKETS - 1) - 1;
}

uint64_t
fp_hist_max(const struct fp_hist *h)
{
	uint32_t	 i;

	for (i = FP_HIST_BUCKETS; i-- > 0; )
		if (h->b[i] != 0)
			return fp_hist_upper(i) - 1;
	return 0;
}

uint64_t
fp_hist_count_le(const struct fp_hist *h, uint64_t us)
{
	uint64_t	 n = 0;
	uint32_t	 i, last = fp_hist_index(us);

	for (i = 0; i <= last; i++)
		n += h->b[i];
	return n;
}
