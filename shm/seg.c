/*
 * seg.c -- shared segments: one memfd mapping per worker, created by the
 * supervisor before fork, holding a user area (the stats block) and the two
 * rings (task ring and result ring).
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
    size_t ringsize)
{
	size_t	 page, ulen, stride, len;
	void	*base;
	long	 pg;
	int	 fd, saved;

	memset(s, 0, sizeof(*s));
	if ((pg = sysconf(_SC_PAGESIZE)) <= 0)
		pg = 4096;
	page = (size_t)pg;
	if (fp_ring_bytes(ringsize) == 0 || userlen > SIZE_MAX / 4) {
		errno = EINVAL;
		return -1;
	}
	ulen = (userlen + page - 1) & ~(page - 1);
	stride = (fp_ring_bytes(ringsize) + page - 1) & ~(page - 1);
	len = ulen + 2 * stride;

	if ((fd = memfd_create(name != NULL ? name : "fpshm", MFD_CLOEXEC)) ==
	    -1)
		return -1;
	if (ftruncate(fd, (off_t)len) == -1)
		goto fail;
	/*
	 * Reserve the pages now: a tmpfs page that cannot be allocated at
	 * first touch is a SIGBUS, which a library cannot report.
	 */
	if (fallocate(fd, 0, 0, (off_t)len) == -1 && errno != EOPNOTSUPP &&
	    errno != ENOSYS)
		goto fail;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		goto fail;
	close(fd);

	if (fp_ring_format((uint8_t *)base + ulen, ringsize) == -1 ||
	    fp_ring_format((uint8_t *)base + ulen + stride, ringsize) == -1) {
		saved = errno;
		munmap(base, len);
		errno = saved;
		return -1;
	}
	s->base = base;
	s->len = len;
	s->userlen = ulen;
	s->ringsize = ringsize;
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
	size_t	stride;

	if (s->base == NULL || (i != 0 && i != 1)) {
		errno = EINVAL;
		return NULL;
	}
	/* Computed as fp_seg_create laid it out, without asking sysconf. */
	stride = (s->len - s->userlen) / 2;
	return s->base + s->userlen + (size_t)i * stride;
}
