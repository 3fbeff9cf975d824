/*
 * fuzz_client_scan.c -- libFuzzer target for libforkpool's resumable
 * MessagePack scanner (tools/client_scan.h), which frames every response
 * and checks every request's params.  The first input byte seeds the sizes
 * of the pieces the rest is made available in, and picks the limit (max)
 * and the objects to skip; the rest is the input.
 *
 * Checked against the reference (client_scan_ref.h, the first, plainer
 * implementation): as libclient.c resumes it (the same buffer, more of it
 * each time), every call gives the same return value, position, objects
 * left, and need (more input) or error and errno (-1); a position is never
 * beyond the input, and a finished scan never beyond max.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_scan.h"
#include "client_scan_ref.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*p;
	const char	*wa = NULL, *wb = NULL;
	size_t		 n, avail = 0, max, pa = 0, pb = 0, na = 0, nb = 0;
	uint64_t	 la, lb;
	uint32_t	 x;
	int		 ra, rb, ea, eb;
	uint8_t		*copy;

	if (size < 1)
		return 0;
	x = data[0] * 2654435761U | 1;
	n = size - 1;
	/* An exact-size copy, so that ASan sees any read past the end. */
	if ((copy = malloc(n > 0 ? n : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, n);
	p = copy;
	switch (data[0] & 3) {
	case 0:
		max = n;
		break;
	case 1:
		max = n / 2 + (data[0] >> 2);
		break;
	default:
		max = (size_t)1 << 30 | (size_t)1 << 20;
		break;
	}
	la = lb = 1 + (data[0] >> 6 == 3 ? data[0] & 7 : 0);
	for (;;) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		avail += 1 + x % (x & 0x100 ? 4096 : 8);
		if (avail > n)
			avail = n;
		errno = 0;
		ra = client_scan(p, avail, &pa, &la, max, &na, &wa);
		ea = errno;
		errno = 0;
		rb = ref_scan(p, avail, &pb, &lb, max, &nb, &wb);
		eb = errno;
		ASSERT(ra == rb && pa == pb && la == lb);
		ASSERT(ra != 0 || na == nb);
		ASSERT(ra != -1 || (strcmp(wa, wb) == 0 && ea == eb));
		ASSERT(pa <= avail);
		ASSERT(ra != 1 || pa <= max);
		if (ra != 0 || avail == n)
			break;
	}
	free(copy);
	return 0;
}
