/*
 * units.h -- sizes and durations as forkpool.conf(5) writes them (units.c).
 */
#ifndef FP_UNITS_H
#define FP_UNITS_H

#include <stdint.h>

/*
 * fp_parse_size: a decimal number of bytes with an optional K, M or G (or
 * KB, MB, GB; any case; powers of 1024).  fp_parse_duration: a number of
 * milliseconds, or with ms, s, m, h or d; no unit means seconds.  0, or -1 if s
 * is not one or it overflows 64 bits.
 */
int	fp_parse_size(const char *s, uint64_t *out);
int	fp_parse_duration(const char *s, uint64_t *ms);

#endif /* FP_UNITS_H */
