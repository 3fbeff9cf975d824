/*
 * units.c -- the numbers with units of forkpool.conf(5), which forkpool(1)
 * takes too: sizes (K, M, G) and durations (ms, s, m, h, d).  No logging, no
 * exits.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "units.h"

/* Parse an unsigned decimal with an optional suffix from a table. */
static int
parse_suffixed(const char *s, uint64_t *out, const char *const *sfx,
    const uint64_t *mul, uint64_t nomul)
{
	char		*end;
	unsigned long long v;
	uint64_t	 m = nomul;
	int		 i;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		for (i = 0; sfx[i] != NULL; i++)
			if (strcasecmp(end, sfx[i]) == 0)
				break;
		if (sfx[i] == NULL)
			return -1;
		m = mul[i];
	}
	if (m != 0 && v > UINT64_MAX / m)
		return -1;
	*out = v * m;
	return 0;
}

int
fp_parse_size(const char *s, uint64_t *out)
{
	static const char *const sfx[] = { "K", "M", "G", "KB", "MB", "GB",
	    NULL };
	static const uint64_t mul[] = { 1 << 10, 1 << 20, 1 << 30, 1 << 10,
	    1 << 20, 1 << 30 };

	return parse_suffixed(s, out, sfx, mul, 1);
}

int
fp_parse_duration(const char *s, uint64_t *ms)
{
	static const char *const sfx[] = { "ms", "s", "m", "h", "d", NULL };
	static const uint64_t mul[] = { 1, 1000, 60000, 3600000, 86400000 };

	return parse_suffixed(s, ms, sfx, mul, 1000);
}
