/*
 * client_scan_ref.h -- the reference for differential tests of
 * libclient.c's response framing (now lib/mp.c's fp_mp_frame): its first,
 * plainer scanner (each header described field by field, then checked
 * and skipped), kept as it was.  Both must agree on every complete
 * message and on every error, fed in any pieces (the exceptions, in
 * when "message too large" is found, are in the users).  Used by
 * tests/unit/test_client.c and tests/fuzz/fuzz_client_scan.c.
 */
#ifndef CLIENT_SCAN_REF_H
#define CLIENT_SCAN_REF_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

static inline uint64_t
ref_scan_be(const uint8_t *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * ref_scan: advance over complete MessagePack objects in p[0, avail)
 * starting at *pos with *left objects still to skip.  Returns 1 when all
 * are skipped, 0 when more input is needed (*pos and *left record the
 * progress, *need is the least total length that can make progress), -1
 * on bytes that are not MessagePack or an object larger than max (errno
 * EPROTO, *why set).
 */
static inline int
ref_scan(const uint8_t *p, size_t avail, size_t *pos, uint64_t *left,
    size_t max, size_t *need, const char **why)
{
	size_t		 at = *pos, hdr;
	uint64_t	 n = *left, len, items;
	uint8_t		 b;
	int		 lb;

	while (n > 0) {
		if (at >= avail) {
			*need = at + 1;
			goto more;
		}
		b = p[at];
		hdr = 1;
		len = 0;
		items = 0;
		lb = 0;
		if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 &&
		    b != 0xc1))
			;
		else if (b >= 0x80 && b <= 0x8f)
			items = 2 * (uint64_t)(b & 0x0f);
		else if (b >= 0x90 && b <= 0x9f)
			items = b & 0x0f;
		else if (b >= 0xa0 && b <= 0xbf)
			len = b & 0x1f;
		else {
			switch (b) {
			case 0xc4: case 0xd9: lb = 1; break;	/* bin8 str8 */
			case 0xc5: case 0xda: lb = 2; break;
			case 0xc6: case 0xdb: lb = 4; break;
			case 0xc7: lb = 1; len = 1; break;	/* + type */
			case 0xc8: lb = 2; len = 1; break;
			case 0xc9: lb = 4; len = 1; break;
			case 0xca: len = 4; break;		/* float32 */
			case 0xcb: len = 8; break;
			case 0xcc: case 0xd0: len = 1; break;
			case 0xcd: case 0xd1: len = 2; break;
			case 0xce: case 0xd2: len = 4; break;
			case 0xcf: case 0xd3: len = 8; break;
			case 0xd4: len = 2; break;		/* fixext */
			case 0xd5: len = 3; break;
			case 0xd6: len = 5; break;
			case 0xd7: len = 9; break;
			case 0xd8: len = 17; break;
			case 0xdc: lb = 2; break;		/* array16 */
			case 0xdd: lb = 4; break;
			case 0xde: lb = 2; break;		/* map16 */
			case 0xdf: lb = 4; break;
			default:				/* 0xc1 */
				*why = "invalid MessagePack byte 0xc1";
				goto bad;
			}
			hdr += lb;
			if (at + hdr > avail) {
				*need = at + hdr;
				goto more;
			}
			if (lb > 0) {
				uint64_t v = ref_scan_be(p + at + 1, lb);

				if (b == 0xdc || b == 0xdd)
					items = v;
				else if (b == 0xde || b == 0xdf)
					items = 2 * v;
				else
					len += v;
			}
		}
		if (len > max || at + hdr + len > max) {
			*why = "message too large";
			goto bad;
		}
		if (at + hdr + len > avail) {
			*need = at + hdr + len;
			goto more;
		}
		at += hdr + len;
		n = n - 1 + items;
		/* Every object takes at least one byte. */
		if (n > max - at) {
			*why = "message too large";
			goto bad;
		}
	}
	*pos = at;
	*left = 0;
	return 1;
more:
	*pos = at;
	*left = n;
	return 0;
bad:
	*pos = at;
	*left = n;
	errno = EPROTO;
	return -1;
}

#endif /* CLIENT_SCAN_REF_H */
