/*
 * mp.c -- MessagePack for the daemon, the client library and the CLI: the
 * resumable skip that measures one object without recursion, the typed
 * readers, and the writers.
 *
 * The supervisor parses every byte a client sends, so this code is written
 * for hostile input: no recursion, every length checked against what is
 * buffered, nothing allocated from a declared size.
 */
#include <sys/types.h>
#include <errno.h>
#include <string.h>

#include "forkpool.h"
#include "mp.h"

static inline uint64_t
be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int	 i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Describe the item whose first byte is b: header length (type byte and
 * length fields), how many of those bytes give the payload length, the
 * fixed payload size, and children per element (1 array, 2 map).
 * Returns -1 for 0xc1.
 */
struct mp_hdr {
	uint8_t	 hlen;		/* total header bytes */
	uint8_t	 lenbytes;	/* bytes of length field after the type byte */
	uint8_t	 fixed;		/* fixed payload bytes (ints, floats, fixext) */
	uint8_t	 kids;		/* 0 scalar/bytes, 1 array, 2 map */
	uint8_t	 extra;		/* ext type byte after the length field */
	uint32_t immediate;	/* count or length encoded in the type byte */
};

static int
mp_describe(uint8_t b, struct mp_hdr *h)
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

void
fp_mp_skip_init(struct fp_mp_skip *s)
{
	s->remaining = 1;
	s->skip = 0;
	s->pos = 0;
}

/*
 * The size of every object whose first byte alone gives it (scalars: fixint,
 * nil, bool, fixstr, the fixed-size numbers and fixext), header included;
 * 0 for containers, length-prefixed str/bin/ext and 0xc1.
 */
static const uint8_t fixed_size[256] = {
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

/*
 * One tight loop, as strict as the bytes allow: every type byte is looked
 * at, 0xc1 refused, every length taken from its header.  Scalars whose
 * size the type byte gives (most of any real document) cost one table
 * lookup, fixstr not even that, and no bounds check while more than 32
 * bytes (the largest such scalar) are left; containers add their
 * children to `rem'; the other types read their length field.  An
 * incomplete header is left unconsumed; the payload of the last object
 * may end beyond the input (s->skip).
 */
int
fp_mp_skip_feed(struct fp_mp_skip *s, const uint8_t *p, size_t len, size_t *used)
{
	uint64_t	 rem = s->remaining, cnt;
	size_t		 u = 0, h, avail;
	unsigned	 b, sz, lb;
	int		 rv = FP_AGAIN;

	if (s->skip > 0) {
		u = len < s->skip ? len : (size_t)s->skip;
		s->skip -= u;
		if (s->skip > 0)
			goto out;
	}
	while (rem > 0) {
		/* Far from the end, scalars need no bounds check. */
		if (len - u > 32) {
			b = p[u];
			if (b >= 0xa0 && b <= 0xbf) {
				u += 1 + (b & 0x1f);
				rem--;
				continue;
			}
			if ((sz = fixed_size[b]) != 0) {
				u += sz;
				rem--;
				continue;
			}
		}
		if (u == len)
			goto out;
		b = p[u];
		if ((sz = fixed_size[b]) != 0) {
			rem--;
			avail = len - u;
			if (avail < sz) {
				s->skip = sz - avail;
				u = len;
				goto out;
			}
			u += sz;
			continue;
		}
		if (b >= 0x80 && b <= 0x9f) {
			cnt = b & 0x0f;
			rem += (b <= 0x8f ? 2 * cnt : cnt) - 1;
			u++;
			continue;
		}
		switch (b) {
		case 0xc4: case 0xd9: lb = 1; h = 2; break;
		case 0xc5: case 0xda: lb = 2; h = 3; break;
		case 0xc6: case 0xdb: lb = 4; h = 5; break;
		case 0xc7: lb = 1; h = 3; break;	/* ext: + type byte */
		case 0xc8: lb = 2; h = 4; break;
		case 0xc9: lb = 4; h = 6; break;
		case 0xdc: case 0xde: lb = 2; h = 3; break;
		case 0xdd: case 0xdf: lb = 4; h = 5; break;
		default:
			rv = -1;	/* 0xc1 */
			goto out;
		}
		avail = len - u;
		if (avail < h)
			goto out;
		cnt = be(p + u + 1, (int)lb);
		if (b >= 0xdc) {
			rem += (b >= 0xde ? 2 * cnt : cnt) - 1;
			u += h;
			continue;
		}
		rem--;
		if (avail - h < cnt) {
			s->skip = cnt - (avail - h);
			u = len;
			goto out;
		}
		u += h + (size_t)cnt;
	}
	rv = 0;
out:
	s->remaining = rem;
	s->pos += u;
	*used = u;
	return rv;
}

uint64_t
fp_mp_skip_need(const struct fp_mp_skip *s)
{
	return s->pos + s->skip + s->remaining;
}

ssize_t
fp_mp_object_len(const uint8_t *p, size_t len, int exact)
{
	struct fp_mp_skip	 s;
	size_t		 used;

	fp_mp_skip_init(&s);
	if (fp_mp_skip_feed(&s, p, len, &used) != 0)
		return -1;
	if (exact && used != len)
		return -1;
	return (ssize_t)used;
}

/* ---- readers ------------------------------------------------------------ */

static int
rd_hdr(struct fp_mp_reader *r, struct mp_hdr *h, uint64_t *count, uint8_t *b)
{
	if (r->off >= r->len)
		return -1;
	*b = r->p[r->off];
	if (mp_describe(*b, h) == -1 || r->len - r->off < h->hlen)
		return -1;
	*count = h->lenbytes ? be(r->p + r->off + 1, h->lenbytes) :
	    h->immediate;
	return 0;
}

int
fp_mp_read_array(struct fp_mp_reader *r, uint32_t *n)
{
	struct mp_hdr	 h;
	uint64_t	 c;
	uint8_t		 b;

	if (rd_hdr(r, &h, &c, &b) == -1 || h.kids != 1)
		return -1;
	r->off += h.hlen;
	*n = (uint32_t)c;
	return 0;
}

int
fp_mp_read_uint(struct fp_mp_reader *r, uint64_t *v)
{
	uint8_t	 b;
	int	 n;
	int64_t	 sv;

	if (r->off >= r->len)
		return -1;
	b = r->p[r->off];
	if (b <= 0x7f) {
		*v = b;
		r->off++;
		return 0;
	}
	switch (b) {
	case 0xcc: n = 1; break;
	case 0xcd: n = 2; break;
	case 0xce: n = 4; break;
	case 0xcf: n = 8; break;
	case 0xd0: n = -1; break;
	case 0xd1: n = -2; break;
	case 0xd2: n = -4; break;
	case 0xd3: n = -8; break;
	default:
		return -1;
	}
	if (n > 0) {
		if (r->len - r->off < (size_t)n + 1)
			return -1;
		*v = be(r->p + r->off + 1, n);
		r->off += n + 1;
		return 0;
	}
	/* Signed encodings of non-negative values are accepted too. */
	n = -n;
	if (r->len - r->off < (size_t)n + 1)
		return -1;
	sv = (int64_t)(be(r->p + r->off + 1, n) << (64 - 8 * n)) >> (64 - 8 * n);
	if (sv < 0)
		return -1;
	*v = (uint64_t)sv;
	r->off += n + 1;
	return 0;
}

int
fp_mp_read_map(struct fp_mp_reader *r, uint32_t *n)
{
	struct mp_hdr	 h;
	uint64_t	 c;
	uint8_t		 b;

	if (rd_hdr(r, &h, &c, &b) == -1 || h.kids != 2)
		return -1;
	r->off += h.hlen;
	*n = (uint32_t)c;
	return 0;
}

int
fp_mp_read_raw(struct fp_mp_reader *r, const uint8_t **p, size_t *n)
{
	ssize_t	 len;

	if ((len = fp_mp_object_len(r->p + r->off, r->len - r->off, 0)) == -1)
		return -1;
	*p = r->p + r->off;
	*n = (size_t)len;
	r->off += len;
	return 0;
}

int
fp_mp_peek_byte(const struct fp_mp_reader *r)
{
	return r->off < r->len ? r->p[r->off] : -1;
}

int
fp_mp_read_str(struct fp_mp_reader *r, const char **s, uint32_t *n)
{
	struct mp_hdr	 h;
	uint64_t	 c;
	uint8_t		 b;

	if (rd_hdr(r, &h, &c, &b) == -1)
		return -1;
	if (!((b >= 0xa0 && b <= 0xbf) || b == 0xd9 || b == 0xda || b == 0xdb))
		return -1;
	if (r->len - r->off - h.hlen < c)
		return -1;
	*s = (const char *)r->p + r->off + h.hlen;
	*n = (uint32_t)c;
	r->off += h.hlen + c;
	return 0;
}

int
fp_mp_read_skip(struct fp_mp_reader *r)
{
	ssize_t	 n;

	if ((n = fp_mp_object_len(r->p + r->off, r->len - r->off, 0)) == -1)
		return -1;
	r->off += n;
	return 0;
}

/* ---- writers ------------------------------------------------------------ */

static inline int
put_be(struct fp_buf *b, uint8_t tag, uint64_t v, int n)
{
	uint8_t	*o;
	int	 i;

	if (fp_buf_reserve(b, n + 1) == -1)
		return -1;
	o = b->data + b->len;
	o[0] = tag;
	for (i = n; i > 0; i--, v >>= 8)
		o[i] = v & 0xff;
	b->len += n + 1;
	return 0;
}

static inline int
put_byte(struct fp_buf *b, uint8_t v)
{
	if (fp_buf_reserve(b, 1) == -1)
		return -1;
	b->data[b->len++] = v;
	return 0;
}

int
fp_mp_put_nil(struct fp_buf *b)
{
	return put_byte(b, 0xc0);
}

int
fp_mp_put_bool(struct fp_buf *b, int v)
{
	return put_byte(b, v ? 0xc3 : 0xc2);
}

int
fp_mp_put_uint(struct fp_buf *b, uint64_t v)
{
	if (v <= 0x7f)
		return put_byte(b, (uint8_t)v);
	if (v <= 0xff)
		return put_be(b, 0xcc, v, 1);
	if (v <= 0xffff)
		return put_be(b, 0xcd, v, 2);
	if (v <= 0xffffffffULL)
		return put_be(b, 0xce, v, 4);
	return put_be(b, 0xcf, v, 8);
}

int
fp_mp_put_int(struct fp_buf *b, int64_t v)
{
	if (v >= 0)
		return fp_mp_put_uint(b, (uint64_t)v);
	if (v >= -32)
		return put_byte(b, (uint8_t)(v & 0xff));
	if (v >= INT8_MIN)
		return put_be(b, 0xd0, (uint64_t)v, 1);
	if (v >= INT16_MIN)
		return put_be(b, 0xd1, (uint64_t)v, 2);
	if (v >= INT32_MIN)
		return put_be(b, 0xd2, (uint64_t)v, 4);
	return put_be(b, 0xd3, (uint64_t)v, 8);
}

int
fp_mp_put_double(struct fp_buf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return put_be(b, 0xcb, u, 8);
}

int
fp_mp_put_str(struct fp_buf *b, const char *s, size_t n)
{
	int	 r;

	if (n <= 31)
		r = put_byte(b, 0xa0 | (uint8_t)n);
	else if (n <= 0xff)
		r = put_be(b, 0xd9, n, 1);
	else if (n <= 0xffff)
		r = put_be(b, 0xda, n, 2);
	else if (n <= 0xffffffffULL)
		r = put_be(b, 0xdb, n, 4);
	else {
		errno = EMSGSIZE;
		return -1;
	}
	if (r == -1)
		return -1;
	return fp_buf_append(b, s, n);
}

int
fp_mp_put_cstr(struct fp_buf *b, const char *s)
{
	return fp_mp_put_str(b, s, strlen(s));
}

int
fp_mp_put_array(struct fp_buf *b, uint32_t n)
{
	if (n <= 15)
		return put_byte(b, 0x90 | (uint8_t)n);
	if (n <= 0xffff)
		return put_be(b, 0xdc, n, 2);
	return put_be(b, 0xdd, n, 4);
}

int
fp_mp_put_map(struct fp_buf *b, uint32_t n)
{
	if (n <= 15)
		return put_byte(b, 0x80 | (uint8_t)n);
	if (n <= 0xffff)
		return put_be(b, 0xde, n, 2);
	return put_be(b, 0xdf, n, 4);
}

int
fp_mp_put_raw(struct fp_buf *b, const void *p, size_t n)
{
	return fp_buf_append(b, p, n);
}

