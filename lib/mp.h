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

/*
 * Skipping MessagePack needs no stack: one counter of objects still to
 * read (an array of n adds n, a map 2n) and one of payload bytes to pass.
 */
struct fp_mp_skip {
	uint64_t	 remaining;
	uint64_t	 skip;
	uint64_t	 pos;		/* bytes consumed since fp_mp_skip_init */
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
 * fp_mp_object_len: length of the one complete object at p, or -1 if p[0..len)
 * is not exactly one valid object (incomplete, invalid, or trailing bytes
 * when `exact').
 */
ssize_t	fp_mp_object_len(const uint8_t *p, size_t len, int exact);

/* Typed readers over a params array (bounds-checked; -1 on type error). */
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
int	fp_mp_read_skip(struct fp_mp_reader *r);

/* Writers: each appends one MessagePack item; -1 only on ENOMEM. */
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
