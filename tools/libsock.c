/*
 * libsock.c -- where the daemon listens when nobody says otherwise.
 *
 * The daemon and every client must agree on this without configuration,
 * so both take it from here.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "forkpool.h"

char *
fp_default_socket(char *buf, size_t len)
{
	const char	*env;
	int		 n;

	if (buf == NULL || len == 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((env = getenv("FORKPOOL_SOCKET")) != NULL && *env != '\0')
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/run/forkpool/forkpool.sock");
	/* XDG requires an absolute path; a relative one is ignored. */
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && *env == '/')
		n = snprintf(buf, len, "%s/forkpool.sock", env);
	else
		n = snprintf(buf, len, "/tmp/forkpool-%lu/forkpool.sock",
		    (unsigned long)geteuid());
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}
