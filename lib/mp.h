/*
 * mp.h -- MessagePack for the daemon, the client library and the CLI: a
 * resumable skip that measures one object without recursion, typed
 * readers over a buffer, and writers into a struct fp_buf.  No allocation
 * but the writers' buffer growth; nothing logs or exits.
 */
#ifndef FP_MP_H
#define FP_MP_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* ---- bytes and headers ------------------------------------------------ */

/* The big-endian unsigned integers at p: one load and a byte swap. */
static inline uint16_t
fp_mp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
fp_mp_be32(const uint8_t *p)
{
	uint32_t	 v;

	__builtin_memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline uint64_t
fp_mp_be64(const uint8_t *p)
{
	uint64_t	 v;

	__builtin_memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/*
 * fp_mp_size: the size of every object whose first byte alone gives it
 * (scalars: fixint, nil, bool, fixstr, the fixed-size numbers and fixext),
 * header included; 0 for containers, length-prefixed str/bin/ext and 0xc1.
 * FP_MP_SIZE_MAX is the largest (a fixstr of 31 bytes).
 */
extern const uint8_t fp_mp_size[256];
#define FP_MP_SIZE_MAX	32

#define FP_MP_SCALAR	0
#define FP_MP_ARRAY	1
#define FP_MP_MAP	2

/* The type of an object (fp_mp_head's h->type); containers as in kind. */
#define FP_MP_NIL	3
#define FP_MP_BOOL	4
#define FP_MP_UINT	5	/* positive fixint, 0xcc..0xcf */
#define FP_MP_INT	6	/* negative fixint, 0xd0..0xd3 */
#define FP_MP_FLOAT	7	/* len 4 or 8 */
#define FP_MP_STR	8
#define FP_MP_BIN	9
#define FP_MP_EXT	10

/* The header of one object, as fp_mp_head reads it. */
struct fp_mp_head {
	uint64_t	 len;	/* array, map: the count; else payload bytes */
	uint8_t		 hlen;	/* header bytes: type, length, ext type */
	uint8_t		 kind;	/* FP_MP_SCALAR, FP_MP_ARRAY, FP_MP_MAP */
	uint8_t		 type;	/* FP_MP_ARRAY ... FP_MP_EXT; 0 for 0xc1 */
};

/* fp_mp_ben: the n-byte (1, 2, 4 or 8) big-endian unsigned integer at p. */
static inline uint64_t
fp_mp_ben(const uint8_t *p, uint64_t n)
{
	return n == 1 ? p[0] : n == 2 ? fp_mp_be16(p) : n == 4 ?
	    fp_mp_be32(p) : fp_mp_be64(p);
}

/*
 * fp_mp_head: read the header of the object at p[0..avail) (avail >= 1).
 * The payload follows the header: the value of an int or float, the bytes
 * of a str or bin, the data of an ext (for fixext, its type byte and data:
 * d4 has hlen 1 and len 2).  A fixint is all header (len 0).  Returns 0,
 * FP_MP_SHORT when avail ends inside the header (kind, type and hlen are
 * set), -1 for 0xc1.  Always inline: the tests of the fix types come
 * first, so that a caller's own tests of the type byte fold into them,
 * and the payload sizes of the numbers are computed, not read from
 * fp_mp_size, so that for a type byte the caller knows (json_enc's uint16
 * fast path) the whole read folds into one 16-bit load.
 */
#define FP_MP_SHORT	1
static inline __attribute__((always_inline)) int
fp_mp_head(const uint8_t *p, size_t avail, struct fp_mp_head *h)
{
	unsigned	 c = p[0], lb = 0, extra = 0;

	h->kind = FP_MP_SCALAR;
	h->hlen = 1;
	h->len = 0;
	if (c <= 0x7f) {
		h->type = FP_MP_UINT;
		return 0;
	}
	if (c >= 0xe0) {
		h->type = FP_MP_INT;
		return 0;
	}
	if (c <= 0x9f) {
		h->kind = h->type = c <= 0x8f ? FP_MP_MAP : FP_MP_ARRAY;
		h->len = c & 0x0f;
		return 0;
	}
	if (c <= 0xbf) {
		h->type = FP_MP_STR;
		h->len = c & 0x1f;
		return 0;
	}
	switch (c) {
	case 0xc0:
		h->type = FP_MP_NIL;
		return 0;
	case 0xc2: case 0xc3:
		h->type = FP_MP_BOOL;
		return 0;
	case 0xc4: case 0xc5: case 0xc6:
		h->type = FP_MP_BIN;
		lb = 1U << (c - 0xc4);
		break;
	case 0xc7: case 0xc8: case 0xc9:	/* + the ext type */
		h->type = FP_MP_EXT;
		lb = 1U << (c - 0xc7);
		extra = 1;
		break;
	case 0xca: case 0xcb:
		h->type = FP_MP_FLOAT;
		h->len = 4U << (c - 0xca);
		return 0;
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		h->type = FP_MP_UINT;
		h->len = 1U << (c - 0xcc);
		return 0;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		h->type = FP_MP_INT;
		h->len = 1U << (c - 0xd0);
		return 0;
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		h->type = FP_MP_EXT;
		h->len = (1U << (c - 0xd4)) + 1;
		return 0;
	case 0xd9: case 0xda: case 0xdb:
		h->type = FP_MP_STR;
		lb = 1U << (c - 0xd9);
		break;
	case 0xdc: case 0xdd:
		h->kind = h->type = FP_MP_ARRAY;
		lb = 2U << (c - 0xdc);
		break;
	case 0xde: case 0xdf:
		h->kind = h->type = FP_MP_MAP;
		lb = 2U << (c - 0xde);
		break;
	default:		/* 0xc1 */
		h->type = 0;
		return -1;
	}
	h->hlen = (uint8_t)(1 + lb + extra);
	if (avail < h->hlen)
		return FP_MP_SHORT;
	h->len = fp_mp_ben(p + 1, lb);
	return 0;
}

/*
 * fp_mp_uint, fp_mp_int: the value of the int (FP_MP_UINT, FP_MP_INT)
 * whose header h was read at p, the payload complete.
 */
static inline uint64_t
fp_mp_uint(const uint8_t *p, const struct fp_mp_head *h)
{
	return h->len == 0 ? p[0] : fp_mp_ben(p + 1, h->len);
}

static inline int64_t
fp_mp_int(const uint8_t *p, const struct fp_mp_head *h)
{
	switch (h->len) {
	case 0:		return (int8_t)p[0];
	case 1:		return (int8_t)p[1];
	case 2:		return (int16_t)fp_mp_be16(p + 1);
	case 4:		return (int32_t)fp_mp_be32(p + 1);
	default:	return (int64_t)fp_mp_be64(p + 1);
	}
}

/* ---- the resumable skip ----------------------------------------------- */

/*
 * Skipping MessagePack needs no stack: one counter of objects still to
 * read (an array of n adds n, a map 2n) and one of payload bytes to pass.
 */
struct fp_mp_skip {
	uint64_t	 remaining;
	uint64_t	 skip;
	uint64_t	 pos;		/* bytes consumed since the init */
};

void	fp_mp_skip_init(struct fp_mp_skip *s);

/*
 * fp_mp_skip_feed: advance over the bytes p[0..len) that follow what was
 * already fed.  Returns 0 when the object is complete (s->pos is its total
 * length, *used what this call consumed), FP_AGAIN if more bytes are needed
 * (*used bytes were consumed; an incomplete header is left unconsumed), -1
 * on a byte that starts no MessagePack type (0xc1).
 */
int	fp_mp_skip_feed(struct fp_mp_skip *s, const uint8_t *p, size_t len,
	    size_t *used);

/*
 * fp_mp_skip_need: a lower bound of the object's total length, known from the
 * headers fed so far (for rejecting oversized messages early).
 */
uint64_t fp_mp_skip_need(const struct fp_mp_skip *s);

/*
 * fp_mp_frame: frame one message of at most max bytes in a stream, as a
 * client reads responses: feed what p[s->pos..avail) adds (p is the start
 * of the message, the same bytes each call, more of them).  Returns 1 when
 * the message is complete (s->pos bytes), 0 when more bytes are needed, -1
 * with *why set on a byte that starts no type or when the message cannot
 * fit in max (found from its headers, before its payload arrives).
 */
int	fp_mp_frame(struct fp_mp_skip *s, const uint8_t *p, size_t avail,
	    size_t max, const char **why);

/*
 * fp_mp_object_len: the length of the complete object that starts at p, or
 * -1 if p[0..len) does not start with one (incomplete, or a 0xc1), or,
 * when `exact', has bytes after it.
 */
ssize_t	fp_mp_object_len(const uint8_t *p, size_t len, int exact);

/* fp_mp_array_byte: whether b begins an array (fixarray, array 16, 32). */
static inline int
fp_mp_array_byte(unsigned b)
{
	return (b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd;
}

/*
 * fp_mp_one_array: whether p[0..len) is exactly one MessagePack array (as
 * params must be), whole, with nothing after it.
 */
int	fp_mp_one_array(const uint8_t *p, size_t len);

/*
 * fp_mp_fixext4: whether p[0..len) is exactly a fixext 4 of ext type
 * `type' (6 bytes); its 4 bytes, big-endian, in *v.  The pointer to a
 * payload in a connection's arena (FP_EXT_SHM, forkpool-rpc(7)).
 */
static inline int
fp_mp_fixext4(const uint8_t *p, size_t len, uint8_t type, uint32_t *v)
{
	if (len != 6 || p[0] != 0xd6 || p[1] != type)
		return 0;
	*v = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 |
	    (uint32_t)p[4] << 8 | p[5];
	return 1;
}

/*
 * fp_mp_abbrev: the object at p (len bytes) written to out (cap >= 32
 * bytes) as one MessagePack object of cap bytes at most: a copy if it fits,
 * else, for an array, an array of its first elements that fit (a str or
 * bin cut short, at a UTF-8 character for a str) and a last str
 * "... (N more bytes)"; any other object, or one that is not well formed,
 * becomes that str alone.  Returns the bytes written.
 */
size_t	fp_mp_abbrev(const uint8_t *p, size_t len, uint8_t *out, size_t cap);

/* ---- readers and writers ---------------------------------------------- */

/*
 * Typed readers, each over the next object of p[off..len): they check
 * every length against len and return -1, off unchanged, on another type
 * or an object cut short.
 */
struct fp_mp_reader {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};
int	fp_mp_read_array(struct fp_mp_reader *r, uint32_t *n);
int	fp_mp_read_uint(struct fp_mp_reader *r, uint64_t *v);
int	fp_mp_read_str(struct fp_mp_reader *r, const char **s, uint32_t *n);
int	fp_mp_read_map(struct fp_mp_reader *r, uint32_t *n);
/* fp_mp_read_raw: the next object as bytes (pointer into the input). */
int	fp_mp_read_raw(struct fp_mp_reader *r, const uint8_t **p, size_t *n);
/* fp_mp_peek_byte: the type byte of the next object, or -1 at the end. */
int	fp_mp_peek_byte(const struct fp_mp_reader *r);
/* fp_mp_read_skip: pass over the next object, whatever it is. */
int	fp_mp_read_skip(struct fp_mp_reader *r);

/*
 * Raw writers, for output loops that reserve room themselves: each stores
 * one item (a number, or the header of a str, array or map) at op in its
 * shortest encoding and returns the byte after it.  op has room for
 * FP_MP_ITEM_MAX bytes; a str is shorter than 4 GB.
 */
#define FP_MP_ITEM_MAX	9

/* fp_mp_wr_be: tag, then v as n (1, 2, 4, 8) big-endian bytes. */
static inline uint8_t *
fp_mp_wr_be(uint8_t *op, unsigned tag, uint64_t v, int n)
{
	uint16_t w16;
	uint32_t w32;
	uint64_t w64;

	op[0] = (uint8_t)tag;
	switch (n) {
	case 1:
		op[1] = (uint8_t)v;
		break;
	case 2:
		w16 = __builtin_bswap16((uint16_t)v);
		__builtin_memcpy(op + 1, &w16, 2);
		break;
	case 4:
		w32 = __builtin_bswap32((uint32_t)v);
		__builtin_memcpy(op + 1, &w32, 4);
		break;
	default:
		w64 = __builtin_bswap64(v);
		__builtin_memcpy(op + 1, &w64, 8);
		break;
	}
	return op + 1 + n;
}

/*
 * fp_mp_wr_tagged: v in the type byte itself (fix | v) when it is at most
 * fixmax, else in 1, 2, 4 or 8 bytes after the type tag1 + 0, 1, 2 or 3.
 */
static inline uint8_t *
fp_mp_wr_tagged(uint8_t *op, unsigned fix, uint64_t fixmax, unsigned tag1,
    uint64_t v)
{
	if (v <= fixmax) {
		*op = (uint8_t)(fix | v);
		return op + 1;
	}
	if (v <= 0xff)
		return fp_mp_wr_be(op, tag1, v, 1);
	if (v <= 0xffff)
		return fp_mp_wr_be(op, tag1 + 1, v, 2);
	if (v <= 0xffffffffULL)
		return fp_mp_wr_be(op, tag1 + 2, v, 4);
	return fp_mp_wr_be(op, tag1 + 3, v, 8);
}

static inline uint8_t *
fp_mp_wr_uint(uint8_t *op, uint64_t v)
{
	return fp_mp_wr_tagged(op, 0, 0x7f, 0xcc, v);
}

static inline uint8_t *
fp_mp_wr_int(uint8_t *op, int64_t v)
{
	if (v >= 0)
		return fp_mp_wr_uint(op, (uint64_t)v);
	if (v >= -32) {
		*op = (uint8_t)v;
		return op + 1;
	}
	if (v >= INT8_MIN)
		return fp_mp_wr_be(op, 0xd0, (uint64_t)v, 1);
	if (v >= INT16_MIN)
		return fp_mp_wr_be(op, 0xd1, (uint64_t)v, 2);
	if (v >= INT32_MIN)
		return fp_mp_wr_be(op, 0xd2, (uint64_t)v, 4);
	return fp_mp_wr_be(op, 0xd3, (uint64_t)v, 8);
}

static inline uint8_t *
fp_mp_wr_double(uint8_t *op, double v)
{
	uint64_t u;

	__builtin_memcpy(&u, &v, sizeof(u));
	return fp_mp_wr_be(op, 0xcb, u, 8);
}

/* fp_mp_wr_fixext4: a fixext 4 of ext type `type' holding v (6 bytes). */
static inline uint8_t *
fp_mp_wr_fixext4(uint8_t *op, uint8_t type, uint32_t v)
{
	*op++ = 0xd6;
	return fp_mp_wr_be(op, type, v, 4);
}

/* fp_mp_wr_str: the header of a str of n bytes. */
static inline uint8_t *
fp_mp_wr_str(uint8_t *op, size_t n)
{
	return fp_mp_wr_tagged(op, 0xa0, 31, 0xd9, n);
}

/* fp_mp_wr_container: the header of an array or map (kind) of n. */
static inline uint8_t *
fp_mp_wr_container(uint8_t *op, int kind, uint32_t n)
{
	unsigned tag16 = kind == FP_MP_MAP ? 0xde : 0xdc;

	if (n <= 15) {
		*op = (uint8_t)((kind == FP_MP_MAP ? 0x80 : 0x90) | n);
		return op + 1;
	}
	if (n <= 0xffff)
		return fp_mp_wr_be(op, tag16, n, 2);
	return fp_mp_wr_be(op, tag16 + 1, n, 4);	/* 0xdd, 0xdf */
}

/*
 * Writers: each appends one MessagePack item in its shortest encoding;
 * -1 with ENOMEM (b->err set), or with EMSGSIZE for a str of 4 GB or more.
 */
int	fp_mp_put_nil(struct fp_buf *b);
int	fp_mp_put_bool(struct fp_buf *b, int v);
int	fp_mp_put_uint(struct fp_buf *b, uint64_t v);
int	fp_mp_put_int(struct fp_buf *b, int64_t v);
int	fp_mp_put_double(struct fp_buf *b, double v);
int	fp_mp_put_str(struct fp_buf *b, const char *s, size_t n);
int	fp_mp_put_cstr(struct fp_buf *b, const char *s);
int	fp_mp_put_array(struct fp_buf *b, uint32_t n);
int	fp_mp_put_map(struct fp_buf *b, uint32_t n);
int	fp_mp_put_raw(struct fp_buf *b, const void *p, size_t n);

#endif /* FP_MP_H */
