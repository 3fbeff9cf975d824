/*
 * check.h -- the smallest test harness: CHECK(cond) counts and reports,
 * check_done() prints "NAME: N passed, N failed" and gives the exit status.
 */
#ifndef FP_CHECK_H
#define FP_CHECK_H

#include <stddef.h>
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

/*
 * check_clean_text: whether p is valid UTF-8 without control characters
 * (C0, DEL, C1): what every message for a terminal or a log must be.
 */
static inline int
check_clean_text(const char *p)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t		 k, j;

	while (*s != '\0') {
		if (*s < 0x20 || *s == 0x7f)
			return 0;
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s < 0xe0)
			k = 2;
		else if (*s >= 0xe0 && *s < 0xf0)
			k = 3;
		else if (*s >= 0xf0 && *s < 0xf5)
			k = 4;
		else
			return 0;
		for (j = 1; j < k; j++)
			if ((s[j] & 0xc0) != 0x80)
				return 0;
		if (k == 2 && s[1] < 0xa0 && *s == 0xc2)
			return 0;	/* C1 control */
		s += k;
	}
	return 1;
}

static inline int
check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
	return check_fail == 0 ? 0 : 1;
}

#endif /* FP_CHECK_H */
