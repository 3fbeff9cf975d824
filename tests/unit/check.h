/*
 * check.h -- the smallest test harness: CHECK(cond) counts and reports,
 * check_done() prints "NAME: N passed, N failed" and gives the exit status.
 */
#ifndef FP_CHECK_H
#define FP_CHECK_H

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

static inline int
check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
	return check_fail == 0 ? 0 : 1;
}

#endif /* FP_CHECK_H */
