/*
 * libsock.c -- where the daemon listens when nobody says otherwise, and
 * whether a directory on the way there can be trusted.
 *
 * The daemon and every client must agree on both without configuration,
 * so both take them from here.
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

/*
 * May the directory or symbolic link at path, with status st, stand in a
 * path the caller trusts?  Only if nobody but root and the effective uid
 * can change what it leads to.
 */
static int
path_judge(const char *path, const struct stat *st, char *err, size_t errlen)
{
	uid_t	 euid = geteuid();

	if (st->st_uid != 0 && st->st_uid != euid) {
		errno = EPERM;
		if (S_ISLNK(st->st_mode))
			snprintf(err, errlen, "%s: a symbolic link owned by "
			    "uid %lu, not by uid %lu or root: refusing to "
			    "follow it", path, (unsigned long)st->st_uid,
			    (unsigned long)euid);
		else
			snprintf(err, errlen, "%s: owned by uid %lu, not by "
			    "uid %lu or root: refusing a directory that "
			    "another user controls", path,
			    (unsigned long)st->st_uid, (unsigned long)euid);
		return -1;
	}
	if (S_ISDIR(st->st_mode) && (st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (st->st_mode & S_ISVTX) == 0) {
		errno = EPERM;
		snprintf(err, errlen, "%s: writable by %s (mode %04o) without "
		    "the sticky bit: refusing a directory that other users "
		    "control", path, (st->st_mode & S_IWOTH) ? "others" :
		    "its group", (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

int
fp_path_check(const char *dir, struct stat *fst, char *err, size_t errlen)
{
	struct stat	 st;
	char		 done[PATH_MAX], rest[PATH_MAX], link[PATH_MAX];
	char		 name[PATH_MAX], *p, *slash;
	size_t		 n, dlen;
	ssize_t		 ln;
	int		 links = 0, r, e;

	if (err == NULL)
		errlen = 0;
	/* A relative path is walked from / too. */
	if (dir[0] == '/')
		r = snprintf(rest, sizeof(rest), "%s", dir);
	else if (getcwd(done, sizeof(done)) == NULL) {
		snprintf(err, errlen, "%s: getcwd: %s", dir, strerror(errno));
		return -1;
	} else
		r = snprintf(rest, sizeof(rest), "%s/%s", done, dir);
	if (r < 0 || (size_t)r >= sizeof(rest))
		goto toolong;
	/* done: the part walked so far, with no symbolic link left in it. */
	done[0] = '\0';
	if (lstat("/", &st) == -1) {
		snprintf(err, errlen, "/: %s", strerror(errno));
		return -1;
	}
	p = rest;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		if ((slash = strchr(p, '/')) != NULL)
			n = (size_t)(slash - p);
		else
			n = strlen(p);
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		/* We pass through done: it must be trusted. */
		if (path_judge(done[0] ? done : "/", &st, err, errlen) == -1)
			return -1;
		dlen = strlen(done);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			p += n;
			if ((slash = strrchr(done, '/')) != NULL)
				*slash = '\0';
			if (lstat(done[0] ? done : "/", &st) == -1)
				goto fail_done;
			continue;
		}
		if (dlen + 1 + n >= sizeof(done))
			goto toolong;
		done[dlen] = '/';
		memcpy(done + dlen + 1, p, n);
		done[dlen + 1 + n] = '\0';
		p += n;
		if (lstat(done, &st) == -1)
			goto fail_done;
		if (S_ISLNK(st.st_mode)) {
			if (path_judge(done, &st, err, errlen) == -1)
				return -1;
			if (++links > 40) {
				errno = ELOOP;
				goto fail_done;
			}
			if ((ln = readlink(done, link, sizeof(link))) == -1)
				goto fail_done;
			if ((size_t)ln >= sizeof(link))
				goto toolong;
			link[ln] = '\0';
			/* The link's text, then what was left after it. */
			r = snprintf(name, sizeof(name), "%s/%s", link, p);
			if (r < 0 || (size_t)r >= sizeof(name))
				goto toolong;
			memcpy(rest, name, (size_t)r + 1);
			p = rest;
			if (link[0] == '/')
				done[0] = '\0';
			else
				done[dlen] = '\0';
			if (lstat(done[0] ? done : "/", &st) == -1)
				goto fail_done;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			snprintf(err, errlen, "%s: not a directory", done);
			return -1;
		}
	}
	if (fst != NULL)
		*fst = st;
	return 0;
fail_done:
	e = errno;
	snprintf(err, errlen, "%s: %s", done[0] ? done : "/", strerror(e));
	errno = e;
	return -1;
toolong:
	errno = ENAMETOOLONG;
	snprintf(err, errlen, "%.64s...: path too long", dir);
	return -1;
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
	/*
	 * Every directory and symbolic link on the way must be root's or
	 * ours: a link another user owns could be pointed elsewhere between
	 * this check and connect(2).
	 */
	if (fp_path_check(dir, &st, err, errlen) == -1) {
		if (errno == EPERM || errno == ENOTDIR)
			return -1;
		/* Missing or unreachable: connect(2) says so, with the path. */
		if (errlen > 0)
			err[0] = '\0';
		return 0;
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
