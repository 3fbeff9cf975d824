/*
 * client_scan.h -- libforkpool's resumable MessagePack scanner, private to
 * tools/libclient.c (not installed; included by it, and by the unit test
 * and fuzz target that check it against tests/fuzz/client_scan_ref.h).
 * Self-contained: the library does not link the daemon's src/proto.c,
 * whose fp_mp_skip_feed uses the same technique.
 */
#ifndef CLIENT_SCAN_H
#define CLIENT_SCAN_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

static inline uint64_t
client_scan_be(const uint8_t *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The size of every object whose first byte alone gives it (scalars:
 * fixint, nil, bool, fixstr, the fixed-size numbers and fixext), header
 * included; 0 for containers, length-prefixed str/bin/ext and 0xc1.
 */
static const uint8_t client_scan_size[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 00 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 10 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 90 */
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,	/* a0 */
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,	/* b0 */
	1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 5, 9, 2, 3, 5, 9,	/* c0 */
	2, 3, 5, 9, 3, 4, 6, 10, 18, 0, 0, 0, 0, 0, 0, 0,	/* d0 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* e0 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* f0 */
};

/* The largest size in client_scan_size (fixstr of 31 bytes). */
#define CLIENT_SCAN_FAST	32

/*
 * client_scan: advance over complete MessagePack objects in p[0, avail)
 * starting at *pos with *left objects still to skip.  Returns 1 when all
 * are skipped, 0 when more input is needed (*pos and *left record the
 * progress, *need is the least total length that can make progress), -1
 * on bytes that are not MessagePack or an object larger than max (errno
 * EPROTO, *why set).  Only whole objects are consumed: *pos is always at
 * the start of the object that could not be taken.
 *
 * One tight loop: while more than 32 bytes are left before both avail and
 * max, a scalar whose type byte gives its size (most of any real
 * document) costs one table lookup, fixstr not even that, and fixarray
 * and fixmap only add their children, all without bounds checks: an
 * object of at most 32 bytes cannot reach either limit.  Everything else
 * (length-prefixed types, 16/32-bit containers, 0xc1, the last 32 bytes)
 * takes the general path, which checks each header field by field in the
 * order the first implementation did, so that both agree on every
 * position, need and error.  The only check left on the fast path is the
 * one on the objects still owed (each takes at least one byte).
 */
static inline int
client_scan(const uint8_t *p, size_t avail, size_t *pos, uint64_t *left,
    size_t max, size_t *need, const char **why)
{
	size_t		 at = *pos, hdr, end, fast;
	uint64_t	 n = *left, len, items;
	unsigned	 b, sz;
	int		 lb;

	end = avail < max ? avail : max;
	fast = end > CLIENT_SCAN_FAST ? end - CLIENT_SCAN_FAST : 0;
	while (n > 0) {
		if (at < fast) {
			b = p[at];
			if (b >= 0xa0 && b <= 0xbf) {
				at += 1 + (b & 0x1f);
				n--;
			} else if ((sz = client_scan_size[b]) != 0) {
				at += sz;
				n--;
			} else if (b >= 0x80 && b <= 0x9f) {
				items = b & 0x0f;
				at++;
				n += (b <= 0x8f ? 2 * items : items) - 1;
			} else
				goto general;
			/* Every object takes at least one byte. */
			if (n > max - at) {
				*why = "message too large";
				goto bad;
			}
			continue;
		}
general:
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
				uint64_t v = client_scan_be(p + at + 1, lb);

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

#endif /* CLIENT_SCAN_H */
