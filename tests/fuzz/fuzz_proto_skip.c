/*
 * fuzz_proto_skip.c -- libFuzzer target for the supervisor's streaming
 * MessagePack skipper (lib/mp.c: fp_mp_skip_feed, fp_mp_object_len), which
 * measures every message a client sends.  The first input byte seeds the
 * sizes of the pieces the rest is fed in; the rest is the stream.
 *
 * Checked against the reference (mp_skip_ref.h, the first, plainer
 * implementation): fed as control.c feeds it (the bytes used are not fed
 * again), every call gives the same return value, the same number of
 * bytes used and the same state (remaining, skip, pos, fp_mp_skip_need);
 * fp_mp_object_len() of the whole input agrees with the reference fed in one
 * piece; a complete object is never longer than the input, and an
 * invalid byte is reported exactly where the reference reports it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "forkpool.h"
#include "mp.h"
#include "fuzz_util.h"
#include "mp_skip_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_mp_skip	 a, b;
	const uint8_t	*p;
	size_t		 n, fed = 0, avail = 0, ua, ub;
	uint32_t	 x;
	int		 ra, rb;

	if (size < 1)
		return 0;
	x = data[0] * 2654435761U | 1;
	p = data + 1;
	n = size - 1;
	fp_mp_skip_init(&a);
	fp_mp_skip_init(&b);
	for (;;) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		avail += 1 + x % (x & 0x100 ? 4096 : 8);
		if (avail > n)
			avail = n;
		ra = fp_mp_skip_feed(&a, p + fed, avail - fed, &ua);
		rb = ref_skip_feed(&b, p + fed, avail - fed, &ub);
		ASSERT(ra == rb && ua == ub);
		ASSERT(a.remaining == b.remaining && a.skip == b.skip &&
		    a.pos == b.pos && fp_mp_skip_need(&a) == fp_mp_skip_need(&b));
		ASSERT(ua <= avail - fed);
		fed += ua;
		ASSERT(a.pos == fed);
		if (ra != FP_AGAIN || avail == n)
			break;
	}
	fp_mp_skip_init(&b);
	rb = ref_skip_feed(&b, p, n, &ub);
	ASSERT(fp_mp_object_len(p, n, 0) == (rb == 0 ? (ssize_t)ub : -1));
	ASSERT(fp_mp_object_len(p, n, 1) ==
	    (rb == 0 && ub == n ? (ssize_t)n : -1));
	if (rb == -1)
		ASSERT(p[ub] == 0xc1);
	return 0;
}
