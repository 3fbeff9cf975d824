/*
 * buf.h -- growable byte buffer with a read offset, for connection input
 * and output.  On allocation failure these functions return -1 with
 * ENOMEM and set `err', which stays set until fp_buf_free: a caller that
 * writes a message in many appends checks it once at the end.
 */
#ifndef FP_BUF_H
#define FP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct fp_buf {
	uint8_t	*data;
	size_t	 off;		/* first unread byte */
	size_t	 len;		/* end of valid data */
	size_t	 cap;
	int	 err;		/* an append failed since fp_buf_free */
};

/* fp_buf_reserve: make room for `n' more bytes after len. */
int	 fp_buf_reserve(struct fp_buf *b, size_t n);
/* fp_buf_append: copy n bytes to the end. */
int	 fp_buf_append(struct fp_buf *b, const void *p, size_t n);
/* fp_buf_drop: mark n unread bytes read; compacts when empty. */
void	 fp_buf_drop(struct fp_buf *b, size_t n);
/* fp_buf_compact: move unread bytes to the front. */
void	 fp_buf_compact(struct fp_buf *b);
/* fp_buf_shrink: release memory above `keep' bytes when the buffer is empty. */
void	 fp_buf_shrink(struct fp_buf *b, size_t keep);
void	 fp_buf_free(struct fp_buf *b);

static inline size_t
fp_buf_unread(const struct fp_buf *b)
{
	return b->len - b->off;
}

static inline uint8_t *
fp_buf_head(const struct fp_buf *b)
{
	return b->data + b->off;
}

/*
 * fp_buf_reserve_exact: as fp_buf_reserve, but a buffer that grows gets
 * room for exactly n more bytes, not the next power of two: for a buffer
 * meant to hold one message of a known size.
 */
int	fp_buf_reserve_exact(struct fp_buf *b, size_t n);

/*
 * fp_buf_detach: hand b's memory (*cap bytes, NULL if none) to the caller,
 * who frees it; b is left empty, as after fp_buf_free.
 */
uint8_t	*fp_buf_detach(struct fp_buf *b, size_t *cap);

#endif /* FP_BUF_H */
