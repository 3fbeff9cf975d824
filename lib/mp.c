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
#include <stdio.h>
#include <string.h>

#include "forkpool.h"
#include "mp.h"

void
fp_mp_skip_init(struct fp_mp_skip *s)
{
	s->remaining = 1;
	s->skip = 0;
	s->pos = 0;
}

/* The one size table (mp.h). */
const uint8_t fp_mp_size[256] = {
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
 * bytes (the largest such scalar) are left, where fixarray and fixmap
 * only add their children to `rem'.  Other containers add theirs too;
 * the other types read their header (fp_mp_head).  An incomplete header
 * is left unconsumed; the payload of the last object may end beyond the
 * input (s->skip).
 */
int
fp_mp_skip_feed(struct fp_mp_skip *s, const uint8_t *p, size_t len,
    size_t *used)
{
	struct fp_mp_head h;
	uint64_t	 rem = s->remaining, cnt;
	size_t		 u = 0, avail, fast;
	unsigned	 b, sz;
	int		 k, rv = FP_AGAIN;

	if (s->skip > 0) {
		u = len < s->skip ? len : (size_t)s->skip;
		s->skip -= u;
		if (s->skip > 0)
			goto out;
	}
	fast = len > FP_MP_SIZE_MAX ? len - FP_MP_SIZE_MAX : 0;
	while (rem > 0) {
		/* Far from the end, scalars need no bounds check. */
		while (u < fast) {
			b = p[u];
			if (b >= 0xa0 && b <= 0xbf) {
				u += 1 + (b & 0x1f);
				rem--;
			} else if ((sz = fp_mp_size[b]) != 0) {
				u += sz;
				rem--;
			} else if (b >= 0x80 && b <= 0x9f) {
				cnt = b & 0x0f;
				rem += (b <= 0x8f ? 2 * cnt : cnt) - 1;
				u++;
			} else
				break;
			if (rem == 0)
				goto done;
		}
		if (u == len)
			goto out;
		b = p[u];
		if ((sz = fp_mp_size[b]) != 0) {
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
		avail = len - u;
		if ((k = fp_mp_head(p + u, avail, &h)) == -1) {
			rv = -1;	/* 0xc1 */
			goto out;
		}
		if (k == FP_MP_SHORT)
			goto out;
		cnt = h.len;
		if (h.kind != FP_MP_SCALAR) {
			rem += (h.kind == FP_MP_MAP ? 2 * cnt : cnt) - 1;
			u += h.hlen;
			continue;
		}
		rem--;
		if (avail - h.hlen < cnt) {
			s->skip = cnt - (avail - h.hlen);
			u = len;
			goto out;
		}
		u += h.hlen + (size_t)cnt;
	}
done:
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

int
fp_mp_frame(struct fp_mp_skip *s, const uint8_t *p, size_t avail,
    size_t max, const char **why)
{
	size_t	 used;
	int	 r;

	r = fp_mp_skip_feed(s, p + s->pos, avail - s->pos, &used);
	if (r == -1) {
		*why = "invalid MessagePack byte 0xc1";
		return -1;
	}
	if (fp_mp_skip_need(s) > max) {
		*why = "message too large";
		return -1;
	}
	return r == 0 ? 1 : 0;
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

int
fp_mp_one_array(const uint8_t *p, size_t len)
{
	return len > 0 && fp_mp_array_byte(p[0]) &&
	    fp_mp_object_len(p, len, 1) != -1;
}

/* ---- abbreviating --------------------------------------------------- */

#define ABBREV_NOTE	40	/* room kept for "... (N more bytes)" */

size_t
fp_mp_abbrev(const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
	struct fp_mp_head h;
	uint8_t		 tmp[256], *op, *end;
	char		 note[48];
	size_t		 off, olen, nlen, room, cut;
	ssize_t		 el;
	uint64_t	 i, kept = 0, done = 0;
	int		 nn;

	if (cap < 32)
		return 0;
	if (cap > sizeof(tmp))
		cap = sizeof(tmp);
	if (len > 0 && len <= cap && fp_mp_object_len(p, len, 1) == (ssize_t)len) {
		memcpy(out, p, len);
		return len;
	}
	op = tmp;
	end = tmp + cap - ABBREV_NOTE - 3;	/* 3: the array header */
	off = 0;
	if (len > 0 && fp_mp_head(p, len, &h) == 0 && h.kind == FP_MP_ARRAY &&
	    fp_mp_object_len(p, len, 1) == (ssize_t)len) {
		off = h.hlen;
		for (i = 0; i < h.len; i++) {
			el = fp_mp_object_len(p + off, len - off, 0);
			if (el <= 0)
				break;
			olen = (size_t)el;
			if (olen <= (size_t)(end - op)) {
				memcpy(op, p + off, olen);
				op += olen;
				off += olen;
				kept++;
				continue;
			}
			/* A str or bin cut to what is left, then stop. */
			if (fp_mp_head(p + off, len - off, &h) == 0 &&
			    (h.type == FP_MP_STR || h.type == FP_MP_BIN) &&
			    (size_t)(end - op) > 8) {
				room = (size_t)(end - op) - 5;
				cut = room < h.len ? room : h.len;
				if (h.type == FP_MP_STR)
					while (cut > 0 && (p[off + h.hlen +
					    cut] & 0xc0) == 0x80)
						cut--;
				if (h.type == FP_MP_STR)
					op = fp_mp_wr_str(op, cut);
				else {
					*op++ = 0xc6;
					op[0] = (uint8_t)(cut >> 24);
					op[1] = (uint8_t)(cut >> 16);
					op[2] = (uint8_t)(cut >> 8);
					op[3] = (uint8_t)cut;
					op += 4;
				}
				memcpy(op, p + off + h.hlen, cut);
				op += cut;
				off += h.hlen + cut;
				kept++;
			}
			break;
		}
		done = off;
	}
	nn = snprintf(note, sizeof(note), "... (%llu more bytes)",
	    (unsigned long long)(len - done));
	nlen = nn > 0 ? (size_t)nn : 0;
	if (nlen > sizeof(note) - 1)
		nlen = sizeof(note) - 1;
	if (done == 0) {
		/* Not an array (or nothing of it fits): the note alone. */
		op = fp_mp_wr_str(out, nlen);
		memcpy(op, note, nlen);
		return (size_t)(op - out) + nlen;
	}
	olen = (size_t)(op - tmp);
	op = fp_mp_wr_container(out, FP_MP_ARRAY, (uint32_t)(kept + 1));
	memcpy(op, tmp, olen);
	op += olen;
	op = fp_mp_wr_str(op, nlen);
	memcpy(op, note, nlen);
	return (size_t)(op - out) + nlen;
}

/* ---- readers ------------------------------------------------------------ */

/* rd_head: the header of the next object, whole within the input. */
static int
rd_head(const struct fp_mp_reader *r, struct fp_mp_head *h)
{
	if (r->off >= r->len)
		return -1;
	return fp_mp_head(r->p + r->off, r->len - r->off, h) == 0 ? 0 : -1;
}

/*
 * The readers take the fix types (an envelope's fixarray, a small msgid,
 * a method's fixstr) before fp_mp_head: the supervisor reads several
 * headers of every request.
 */

/* rd_container: the header of an array or map (kind), its count in *n. */
static int
rd_container(struct fp_mp_reader *r, int kind, uint32_t *n)
{
	struct fp_mp_head h;
	unsigned	 b;

	if (r->off < r->len) {
		b = r->p[r->off];
		if ((b & 0xf0) == (kind == FP_MP_MAP ? 0x80U : 0x90U)) {
			*n = b & 0x0f;
			r->off++;
			return 0;
		}
	}
	if (rd_head(r, &h) == -1 || h.kind != kind)
		return -1;
	r->off += h.hlen;
	*n = (uint32_t)h.len;
	return 0;
}

int
fp_mp_read_array(struct fp_mp_reader *r, uint32_t *n)
{
	return rd_container(r, FP_MP_ARRAY, n);
}

int
fp_mp_read_uint(struct fp_mp_reader *r, uint64_t *v)
{
	struct fp_mp_head h;
	const uint8_t	*p = r->p + r->off;
	int64_t		 sv;

	unsigned	 n;

	if (r->off < r->len && *p <= 0x7f) {
		*v = *p;
		r->off++;
		return 0;
	}
	if (r->off < r->len && *p >= 0xcc && *p <= 0xcf) {
		n = 1U << (*p - 0xcc);
		if (r->len - r->off - 1 < n)
			return -1;
		*v = fp_mp_ben(p + 1, n);
		r->off += 1 + n;
		return 0;
	}
	if (rd_head(r, &h) == -1 ||
	    (h.type != FP_MP_UINT && h.type != FP_MP_INT) ||
	    r->len - r->off - h.hlen < h.len)
		return -1;
	if (h.type == FP_MP_UINT)
		*v = fp_mp_uint(p, &h);
	else {
		/* Signed encodings of non-negative values are accepted too. */
		if ((sv = fp_mp_int(p, &h)) < 0)
			return -1;
		*v = (uint64_t)sv;
	}
	r->off += h.hlen + h.len;
	return 0;
}

int
fp_mp_read_map(struct fp_mp_reader *r, uint32_t *n)
{
	return rd_container(r, FP_MP_MAP, n);
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
	struct fp_mp_head h;
	uint8_t		 b;

	if (r->off < r->len && (r->p[r->off] & 0xe0) == 0xa0) {
		h.len = r->p[r->off] & 0x1f;
		if (r->len - r->off - 1 < h.len)
			return -1;
		*s = (const char *)r->p + r->off + 1;
		*n = (uint32_t)h.len;
		r->off += 1 + h.len;
		return 0;
	}
	if (rd_head(r, &h) == -1)
		return -1;
	b = r->p[r->off];
	if (!((b >= 0xa0 && b <= 0xbf) || b == 0xd9 || b == 0xda || b == 0xdb))
		return -1;
	if (r->len - r->off - h.hlen < h.len)
		return -1;
	*s = (const char *)r->p + r->off + h.hlen;
	*n = (uint32_t)h.len;
	r->off += h.hlen + h.len;
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

/*
 * PUT: store an item with a raw writer (mp.h) called on END(b), once
 * there is room for the largest.
 */
#define END(b)		((b)->data + (b)->len)
#define PUT(b, wr)	(fp_buf_reserve((b), FP_MP_ITEM_MAX) == -1 ? -1 :	\
	    ((b)->len = (size_t)((wr) - (b)->data), 0))

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
	return PUT(b, fp_mp_wr_uint(END(b), v));
}

int
fp_mp_put_int(struct fp_buf *b, int64_t v)
{
	return PUT(b, fp_mp_wr_int(END(b), v));
}

int
fp_mp_put_double(struct fp_buf *b, double v)
{
	return PUT(b, fp_mp_wr_double(END(b), v));
}

int
fp_mp_put_str(struct fp_buf *b, const char *s, size_t n)
{
	if (n > 0xffffffffULL) {
		errno = EMSGSIZE;
		return -1;
	}
	if (PUT(b, fp_mp_wr_str(END(b), n)) == -1)
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
	return PUT(b, fp_mp_wr_container(END(b), FP_MP_ARRAY, n));
}

int
fp_mp_put_map(struct fp_buf *b, uint32_t n)
{
	return PUT(b, fp_mp_wr_container(END(b), FP_MP_MAP, n));
}

int
fp_mp_put_raw(struct fp_buf *b, const void *p, size_t n)
{
	return fp_buf_append(b, p, n);
}

