/*
 * clock.h -- the one monotonic clock of the daemon, the CLI and the
 * client library.
 *
 * CLOCK_MONOTONIC, not CLOCK_REALTIME: deadlines, back-offs and rates must
 * not jump when the wall clock is set.  Header-only so that the hot path
 * (one read per supervisor loop iteration, per bench request) pays no
 * call across a library boundary.  Never fails on Linux for this clock: the
 * result is not checked.
 */
#ifndef FP_CLOCK_H
#define FP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* fp_now_ns: nanoseconds since an arbitrary, fixed point. */
static inline uint64_t
fp_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * fp_now_ms: the same clock in milliseconds, signed, because callers
 * subtract it from deadlines and look for a negative rest.
 */
static inline int64_t
fp_now_ms(void)
{
	return (int64_t)(fp_now_ns() / 1000000);
}

#endif /* FP_CLOCK_H */
