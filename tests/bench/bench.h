/*
 * bench.h -- what every benchmark program here needs: a monotonic clock
 * in seconds and a comparison for sorting samples (medians, percentiles).
 */
#ifndef FP_BENCH_H
#define FP_BENCH_H

#include <time.h>

static inline double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* For qsort(3) of doubles, ascending. */
static inline int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif /* FP_BENCH_H */
