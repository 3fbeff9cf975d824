/*
 * check.h -- the smallest test harness: CHECK(cond) counts and reports,
 * check_done() prints "NAME: N passed, N failed" and gives the exit status.
 */
#ifndef FP_CHECK_H
#define FP_CHECK_H

#include <stdint.h>
#include <stdio.h>

static int check_pass, check_fail;

#define CHECK(cond) do {						\
	if (cond)							\
		check_pass++;						\
	else {								\
		check_fail++;						\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
	}								\
} while (0)

/* check_xorshift: the next number of a xorshift64 sequence in *s (not 0). */
static inline uint64_t
check_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline int
check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
	return check_fail == 0 ? 0 : 1;
}

#endif /* FP_CHECK_H */
