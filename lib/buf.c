/*
 * buf.c -- growable byte buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/*
 * Room for n more bytes: the read part reclaimed first, then the buffer
 * grown to the next power of two, or to exactly what is needed.
 */
static int
reserve(struct fp_buf *b, size_t n, int exact)
{
	size_t	 need, cap;
	uint8_t	*p;

	if (b->cap - b->len >= n)
		return 0;
	/* Reclaim the read part before growing. */
	if (b->off > 0) {
		fp_buf_compact(b);
		if (b->cap - b->len >= n)
			return 0;
	}
	if (n > SIZE_MAX / 2 - b->len) {
		errno = ENOMEM;
		b->err = 1;
		return -1;
	}
	need = b->len + n;
	cap = exact ? need : b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		b->err = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
fp_buf_reserve(struct fp_buf *b, size_t n)
{
	return reserve(b, n, 0);
}

int
fp_buf_reserve_exact(struct fp_buf *b, size_t n)
{
	return reserve(b, n, 1);
}

int
fp_buf_append(struct fp_buf *b, const void *p, size_t n)
{
	if (fp_buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void
fp_buf_drop(struct fp_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void
fp_buf_compact(struct fp_buf *b)
{
	if (b->off == 0)
		return;
	memmove(b->data, b->data + b->off, b->len - b->off);
	b->len -= b->off;
	b->off = 0;
}

void
fp_buf_shrink(struct fp_buf *b, size_t keep)
{
	if (b->len != b->off || b->cap <= keep)
		return;
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void
fp_buf_free(struct fp_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

uint8_t *
fp_buf_detach(struct fp_buf *b, size_t *cap)
{
	uint8_t	*p = b->data;

	*cap = b->cap;
	memset(b, 0, sizeof(*b));
	return p;
}
