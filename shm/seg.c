/*
 * seg.c -- shared segments: one memfd mapping per worker, created by the
 * supervisor before fork, holding a user area (the stats block), the two
 * rings (task ring and result ring) and, optionally, two blob rings for
 * large payloads, whose pages are allocated only when first touched.
 */

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fpshm.h"

int
fp_seg_create(struct fp_seg *s, const char *name, size_t userlen,
    size_t ringsize, size_t blobsize)
{
	size_t	 page, ulen, stride, bstride = 0, len, committed;
	void	*base;
	long	 pg;
	int	 fd, saved;

	memset(s, 0, sizeof(*s));
	if ((pg = sysconf(_SC_PAGESIZE)) <= 0)
		pg = 4096;
	page = (size_t)pg;
	if (fp_ring_bytes(ringsize) == 0 || userlen > SIZE_MAX / 4 ||
	    (blobsize != 0 && fp_ring_bytes(blobsize) == 0)) {
		errno = EINVAL;
		return -1;
	}
	ulen = (userlen + page - 1) & ~(page - 1);
	stride = (fp_ring_bytes(ringsize) + page - 1) & ~(page - 1);
	if (blobsize != 0)
		bstride = (fp_ring_bytes(blobsize) + page - 1) & ~(page - 1);
	committed = ulen + 2 * stride;
	len = committed + 2 * bstride;

	if ((fd = memfd_create(name != NULL ? name : "fpshm", MFD_CLOEXEC)) ==
	    -1)
		return -1;
	if (ftruncate(fd, (off_t)len) == -1)
		goto fail;
	/*
	 * Reserve the pages now: a tmpfs page that cannot be allocated at
	 * first touch is a SIGBUS, which a library cannot report.  Not the
	 * blob rings': they are address space for payloads as large as a
	 * task may be, most of which is never touched.
	 */
	if (fallocate(fd, 0, 0, (off_t)committed) == -1 && errno != EOPNOTSUPP &&
	    errno != ENOSYS)
		goto fail;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		goto fail;
	close(fd);

	if (fp_ring_format((uint8_t *)base + ulen, ringsize) == -1 ||
	    fp_ring_format((uint8_t *)base + ulen + stride, ringsize) == -1 ||
	    (blobsize != 0 && (fp_ring_format((uint8_t *)base + committed,
	    blobsize) == -1 || fp_ring_format((uint8_t *)base + committed +
	    bstride, blobsize) == -1))) {
		saved = errno;
		munmap(base, len);
		errno = saved;
		return -1;
	}
	s->base = base;
	s->len = len;
	s->userlen = ulen;
	s->ringsize = ringsize;
	s->stride = stride;
	s->blobsize = blobsize;
	s->bstride = bstride;
	return 0;

 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

void
fp_seg_destroy(struct fp_seg *s)
{
	if (s->base != NULL)
		munmap(s->base, s->len);
	memset(s, 0, sizeof(*s));
}

void *
fp_seg_user(const struct fp_seg *s)
{
	return s->base;
}

void *
fp_seg_ring(const struct fp_seg *s, int i)
{
	if (s->base == NULL || i < 0 || i > 3 || (i > 1 && s->blobsize == 0)) {
		errno = EINVAL;
		return NULL;
	}
	if (i < 2)
		return s->base + s->userlen + (size_t)i * s->stride;
	return s->base + s->userlen + 2 * s->stride + (size_t)(i - 2) *
	    s->bstride;
}
