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

/* fp_mp_be: the n-byte (0..8) big-endian unsigned integer at p. */
static inline uint64_t
fp_mp_be(const uint8_t *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The fixed widths, for hot paths (one load and a byte swap). */
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

/* The header of one object, as fp_mp_head reads it. */
struct fp_mp_head {
	uint64_t	 len;	/* array, map: the count; else payload bytes */
	uint8_t		 hlen;	/* header bytes: type, length, ext type */
	uint8_t		 kind;	/* FP_MP_SCALAR, FP_MP_ARRAY, FP_MP_MAP */
};

/*
 * fp_mp_head: read the header of the object at p[0..avail) (avail >= 1).
 * The payload follows the header: the value of an int or float, the bytes
 * of a str or bin, the data of an ext (for fixext, its type byte and data:
 * d4 has hlen 1 and len 2).  Returns 0, FP_MP_SHORT when avail ends inside
 * the header, -1 for 0xc1.
 */
#define FP_MP_SHORT	1
static inline int
fp_mp_head(const uint8_t *p, size_t avail, struct fp_mp_head *h)
{
	unsigned	 c = p[0], lb = 0, extra = 0;

	h->kind = FP_MP_SCALAR;
	h->hlen = 1;
	h->len = 0;
	if (c <= 0x7f || c >= 0xe0)
		return 0;
	if (c <= 0x9f) {
		h->kind = c <= 0x8f ? FP_MP_MAP : FP_MP_ARRAY;
		h->len = c & 0x0f;
		return 0;
	}
	if (c <= 0xbf) {
		h->len = c & 0x1f;
		return 0;
	}
	switch (c) {
	case 0xc0: case 0xc2: case 0xc3:	return 0;
	case 0xc4: case 0xd9:	lb = 1; break;
	case 0xc5: case 0xda:	lb = 2; break;
	case 0xc6: case 0xdb:	lb = 4; break;
	case 0xc7:		lb = 1; extra = 1; break;	/* + type */
	case 0xc8:		lb = 2; extra = 1; break;
	case 0xc9:		lb = 4; extra = 1; break;
	case 0xdc:		lb = 2; h->kind = FP_MP_ARRAY; break;
	case 0xdd:		lb = 4; h->kind = FP_MP_ARRAY; break;
	case 0xde:		lb = 2; h->kind = FP_MP_MAP; break;
	case 0xdf:		lb = 4; h->kind = FP_MP_MAP; break;
	case 0xc1:
		return -1;
	default:		/* numbers and fixext: the table knows */
		h->len = fp_mp_size[c] - 1;
		return 0;
	}
	h->hlen = (uint8_t)(1 + lb + extra);
	if (avail < h->hlen)
		return FP_MP_SHORT;
	h->len = lb == 1 ? p[1] : lb == 2 ? fp_mp_be16(p + 1) :
	    fp_mp_be32(p + 1);
	return 0;
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
