/*
 * notify.c -- eventfd wake-ups between the two sides of a ring.
 *
 * Each side sleeps on its own eventfd; the peer writes to it only when the
 * ring's need-wakeup (or need-space) flag says the side sleeps, so these
 * calls are off the hot path.
 */

#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include "fpshm.h"

int
fp_notify_open(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/*
 * One 8-byte transfer on an eventfd, a write if `wr', retried on EINTR:
 * 1 done, 0 on EAGAIN (a counter at its maximum, or at 0), -1 with errno
 * (EIO for a short transfer, which an eventfd never makes).
 */
static int
efd_io(int fd, uint64_t *v, int wr)
{
	ssize_t		n;

	for (;;) {
		n = wr ? write(fd, v, sizeof(*v)) : read(fd, v, sizeof(*v));
		if (n == (ssize_t)sizeof(*v))
			return 1;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n != -1)
			errno = EIO;
		return -1;
	}
}

int
fp_notify_signal(int fd)
{
	uint64_t	one = 1;

	/* A saturated counter (EAGAIN): the sleeper is woken anyway. */
	return efd_io(fd, &one, 1) == -1 ? -1 : 0;
}

int
fp_notify_drain(int fd)
{
	uint64_t	cnt;
	int		r;

	if ((r = efd_io(fd, &cnt, 0)) == -1)
		return -1;
	return r == 1 ? 0 : FP_AGAIN;
}

int
fp_notify_wait(int fd, int timeout_ms)
{
	struct pollfd	pfd;
	int		n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if ((n = poll(&pfd, 1, timeout_ms)) == -1)
		return -1;
	if (n == 0)
		return FP_AGAIN;
	if (pfd.revents & POLLNVAL) {
		errno = EBADF;
		return -1;
	}
	/* Someone else may have drained it first: still a wake-up. */
	return fp_notify_drain(fd) == -1 ? -1 : 0;
}
