/*
 * buf.h -- growable byte buffer with a read offset, for connection input
 * and output.  On allocation failure these functions return -1 with
 * ENOMEM and set `err', which stays set until buf_free: a caller that
 * writes a message in many appends checks it once at the end.
 */
#ifndef FP_BUF_H
#define FP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;
	size_t	 off;		/* first unread byte */
	size_t	 len;		/* end of valid data */
	size_t	 cap;
	int	 err;		/* an append failed since buf_free */
};

/* buf_reserve: make room for `n' more bytes after len. */
int	 buf_reserve(struct buf *b, size_t n);
/* buf_append: copy n bytes to the end. */
int	 buf_append(struct buf *b, const void *p, size_t n);
/* buf_drop: mark n unread bytes read; compacts when empty. */
void	 buf_drop(struct buf *b, size_t n);
/* buf_compact: move unread bytes to the front. */
void	 buf_compact(struct buf *b);
/* buf_shrink: release memory above `keep' bytes when the buffer is empty. */
void	 buf_shrink(struct buf *b, size_t keep);
void	 buf_free(struct buf *b);

static inline size_t
buf_unread(const struct buf *b)
{
	return b->len - b->off;
}

static inline uint8_t *
buf_head(const struct buf *b)
{
	return b->data + b->off;
}

#endif /* FP_BUF_H */
