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

int
fp_notify_signal(int fd)
{
	uint64_t	one = 1;
	ssize_t		n;

	for (;;) {
		n = write(fd, &one, sizeof(one));
		if (n == (ssize_t)sizeof(one))
			return 0;
		if (n == -1 && errno == EINTR)
			continue;
		/* A saturated counter: the sleeper is woken anyway. */
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n != -1)
			errno = EIO;
		return -1;
	}
}

int
fp_notify_drain(int fd)
{
	uint64_t	cnt;
	ssize_t		n;

	for (;;) {
		n = read(fd, &cnt, sizeof(cnt));
		if (n == (ssize_t)sizeof(cnt))
			return 0;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return FP_AGAIN;
		if (n != -1)
			errno = EIO;
		return -1;
	}
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
