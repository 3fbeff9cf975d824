/*
 * mp_skip_ref.h -- the reference for differential tests of lib/mp.c's
 * fp_mp_skip_feed(): the first, plainer implementation (a header described
 * field by field, then skipped), kept as it was when the tight loop
 * replaced it.  Both must give the same result, use and state for every
 * input, fed in any pieces.  Used by tests/unit/test_proto.c and
 * tests/fuzz/fuzz_proto_skip.c.
 */
#ifndef MP_SKIP_REF_H
#define MP_SKIP_REF_H

#include <stdint.h>
#include <string.h>

#include "forkpool.h"
#include "mp.h"

static inline uint64_t
ref_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int	 i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

struct ref_hdr {
	uint8_t	 hlen;		/* total header bytes */
	uint8_t	 lenbytes;	/* bytes of length field after the type byte */
	uint8_t	 fixed;		/* fixed payload bytes (ints, floats, fixext) */
	uint8_t	 kids;		/* 0 scalar/bytes, 1 array, 2 map */
	uint8_t	 extra;		/* ext type byte after the length field */
	uint32_t immediate;	/* count or length encoded in the type byte */
};

static int
ref_describe(uint8_t b, struct ref_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->hlen = 1;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;
	if (b <= 0x8f) {
		h->kids = 2;
		h->immediate = b & 0x0f;
		return 0;
	}
	if (b <= 0x9f) {
		h->kids = 1;
		h->immediate = b & 0x0f;
		return 0;
	}
	if (b <= 0xbf) {
		h->immediate = b & 0x1f;
		return 0;
	}
	switch (b) {
	case 0xc4: case 0xd9: h->lenbytes = 1; break;
	case 0xc5: case 0xda: h->lenbytes = 2; break;
	case 0xc6: case 0xdb: h->lenbytes = 4; break;
	case 0xc7: h->lenbytes = 1; h->extra = 1; break;
	case 0xc8: h->lenbytes = 2; h->extra = 1; break;
	case 0xc9: h->lenbytes = 4; h->extra = 1; break;
	case 0xca: h->fixed = 4; break;
	case 0xcb: h->fixed = 8; break;
	case 0xcc: case 0xd0: h->fixed = 1; break;
	case 0xcd: case 0xd1: h->fixed = 2; break;
	case 0xce: case 0xd2: h->fixed = 4; break;
	case 0xcf: case 0xd3: h->fixed = 8; break;
	case 0xd4: h->fixed = 2; break;
	case 0xd5: h->fixed = 3; break;
	case 0xd6: h->fixed = 5; break;
	case 0xd7: h->fixed = 9; break;
	case 0xd8: h->fixed = 17; break;
	case 0xdc: h->lenbytes = 2; h->kids = 1; break;
	case 0xdd: h->lenbytes = 4; h->kids = 1; break;
	case 0xde: h->lenbytes = 2; h->kids = 2; break;
	case 0xdf: h->lenbytes = 4; h->kids = 2; break;
	default:
		return -1;	/* 0xc1 */
	}
	h->hlen += h->lenbytes + h->extra;
	return 0;
}

static int
ref_skip_feed(struct fp_mp_skip *s, const uint8_t *p, size_t len, size_t *used)
{
	struct ref_hdr	 h;
	size_t		 u = 0, n;
	uint64_t	 count;

	for (;;) {
		if (s->skip > 0) {
			n = len - u;
			if (n > s->skip)
				n = (size_t)s->skip;
			u += n;
			s->pos += n;
			s->skip -= n;
			if (s->skip > 0)
				break;
		}
		if (s->remaining == 0) {
			*used = u;
			return 0;
		}
		if (u == len)
			break;
		if (ref_describe(p[u], &h) == -1) {
			*used = u;
			return -1;
		}
		if (len - u < h.hlen)
			break;
		count = h.lenbytes ? ref_be(p + u + 1, h.lenbytes) : h.immediate;
		s->remaining--;
		if (h.kids)
			s->remaining += count * h.kids;
		else
			s->skip = h.fixed + count;
		u += h.hlen;
		s->pos += h.hlen;
	}
	*used = u;
	return FP_AGAIN;
}

#endif /* MP_SKIP_REF_H */
