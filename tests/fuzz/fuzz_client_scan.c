/*
 * fuzz_client_scan.c -- libFuzzer target for libforkpool's response
 * framing (lib/mp.c: fp_mp_frame, over fp_mp_skip_feed), which frames
 * every response.  The first input byte seeds the sizes of the pieces the
 * rest is made available in, and picks the limit (max) and the objects to
 * skip; the rest is the input.
 *
 * Checked against the reference (client_scan_ref.h, libclient's first
 * scanner): as libclient.c resumes it (the same buffer, more of it each
 * time), both agree on a complete message and its length, and on an
 * error; fp_mp_frame may find "message too large" sooner (the reference
 * then never accepts), or later only while the input ends inside the
 * header of the object too large.  A position is never beyond the input,
 * and a finished message never beyond max.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "forkpool.h"
#include "mp.h"
#include "client_scan_ref.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_mp_skip s;
	struct fp_mp_head h;
	const uint8_t	*p;
	const char	*wa = NULL, *wb = NULL;
	size_t		 n, avail = 0, max, pb = 0, nb = 0;
	uint64_t	 lb;
	uint32_t	 x;
	int		 ra = 0, rb;
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
	fp_mp_skip_init(&s);
	s.remaining = lb = 1 + (data[0] >> 6 == 3 ? data[0] & 7 : 0);
	for (;;) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		avail += 1 + x % (x & 0x100 ? 4096 : 8);
		if (avail > n)
			avail = n;
		if (ra == 0)
			ra = fp_mp_frame(&s, p, avail, max, &wa);
		ASSERT(s.pos <= avail);
		rb = ref_scan(p, avail, &pb, &lb, max, &nb, &wb);
		if (rb == 1) {
			ASSERT(ra == 1 && s.pos == pb && s.pos <= max);
			break;
		}
		if (rb == -1) {
			ASSERT(ra == -1 || (ra == 0 &&
			    strcmp(wb, "message too large") == 0 &&
			    s.skip == 0 && s.pos < avail &&
			    fp_mp_head(p + s.pos, avail - s.pos, &h) ==
			    FP_MP_SHORT));
			break;
		}
		ASSERT(ra == 0 || (ra == -1 &&
		    strcmp(wa, "message too large") == 0));
		if (avail == n)
			break;
	}
	free(copy);
	return 0;
}
