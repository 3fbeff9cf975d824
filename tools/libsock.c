/*
 * libsock.c -- where the daemon listens when nobody says otherwise.
 *
 * The daemon and every client must agree on this without configuration,
 * so both take it from here.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		n = snprintf(buf, len, "%s/forkpool-%lu/forkpool.sock",
		    (env = getenv("TMPDIR")) != NULL && *env == '/' ? env :
		    "/tmp", (unsigned long)geteuid());
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

int
fp_default_socket_check(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	const char	*env, *slash;
	char		 dir[PATH_MAX];
	size_t		 n;

	if (err == NULL)
		errlen = 0;
	/* A path the user named is theirs to judge. */
	if ((env = getenv("FORKPOOL_SOCKET")) != NULL && *env != '\0')
		return 0;
	if ((slash = strrchr(path, '/')) == NULL || slash == path)
		return 0;
	n = (size_t)(slash - path);
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (stat(dir, &st) == -1)
		return 0;	/* connect(2) says ENOENT, with the path */
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	/*
	 * Another user who made the per-user directory first, or who may
	 * write to it, could put their own socket there and receive every
	 * call made to the default path.
	 */
	if (st.st_uid != geteuid()) {
		errno = EPERM;
		snprintf(err, errlen, "%s: owned by uid %lu, not by you (uid "
		    "%lu): refusing the default socket in it", dir,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		errno = EPERM;
		snprintf(err, errlen, "%s: writable by %s (mode %04o): "
		    "refusing the default socket in it", dir,
		    (st.st_mode & S_IWOTH) ? "others" : "its group",
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}
