/*
 * paths.c -- the daemon's paths on disk: the directories of its socket and
 * pidfile (walked from / so that no other user can point them elsewhere,
 * made with the mode asked for, removed again if the start fails), and a
 * stale socket left by a daemon that died.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "config.h"
#include "paths.h"
#include "log.h"

#define SOCKDIR_MODE	0700	/* the socket's directory, when we make it */
#define SOCKDIR_GMODE	0750	/* the same, for a socket-group */

/*
 * A path from the configuration as a logfmt value (log_quote): one a log
 * line at a time, as the buffer is static.
 */
static const char *
qpath(const char *path)
{
	static char	 q[PATH_MAX * 4 + 3];

	return log_quote(path, q, sizeof(q));
}

int
paths_stale_socket(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat	 st;
	int		 fd, r;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "%s: socket: %s", path, strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "%s: another forkpoold is listening on "
		    "it", path);
		log_warnx("startup", "msg=\"socket in use\" socket=%s",
		    qpath(path));
		return -1;
	}
	/* Nobody listens: a stale socket from a daemon that died. */
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: cannot remove the stale socket: %s",
		    path, strerror(errno));
		return -1;
	}
	log_info("stale_socket", "socket=%s", qpath(path));
	return 0;
}

/*
 * The directory part of path (shorter than PATH_MAX) in dir: "." for a
 * name without a slash, "/" for one right under /.
 */
static void
dir_of(const char *path, char dir[PATH_MAX])
{
	char	*slash;

	strlcpy(dir, path, PATH_MAX);
	if ((slash = strrchr(dir, '/')) == NULL)
		strlcpy(dir, ".", PATH_MAX);
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

/*
 * The parent of the missing directory dir, walked as fp_path_check does:
 * 0, or -1 with the reason in err.  -n (create 0): also, could dir be
 * made there?
 */
static int
parent_check(const char *dir, int create, char *err, size_t errlen)
{
	struct stat	 st;
	char		 parent[PATH_MAX];
	const char	*why;

	dir_of(dir, parent);
	if (fp_path_check(parent, &st, err, errlen) == -1) {
		/* Another user's link or directory: named as it is. */
		if (errno == EPERM)
			return -1;
		why = errno == ENOTDIR ? "its parent is not a directory" :
		    strerror(errno);
	} else if (!create && faccessat(AT_FDCWD, parent, W_OK | X_OK,
	    AT_EACCESS) == -1)
		why = strerror(errno);
	else
		return 0;
	if (create)
		snprintf(err, errlen, "%s: cannot create the directory: %s",
		    dir, why);
	else
		snprintf(err, errlen, "%s: missing, and it cannot be "
		    "created: %s", dir, why);
	return -1;
}

/*
 * Directories made during start-up, removed again if it fails (the
 * socket's, the pidfile's): nothing is left behind.
 */
static char	 made_dirs[2][PATH_MAX];
static int	 nmade;

void
paths_dirs_keep(void)
{
	nmade = 0;
}

void
paths_dirs_remove(void)
{
	while (nmade > 0) {
		nmade--;
		if (rmdir(made_dirs[nmade]) == -1 && errno != ENOENT)
			log_warn("rmdir", "dir=%s", qpath(made_dirs[nmade]));
	}
}

int
paths_dir_check(const char *path, mode_t mode, gid_t gid, int create,
    char *err, size_t errlen)
{
	struct stat	 st;
	char		 dir[PATH_MAX];
	int		 made;

	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%.64s...: path too long", path);
		return -1;
	}
	dir_of(path, dir);
	/*
	 * Every directory and symbolic link from / on must be root's or
	 * ours, or another user could point the path elsewhere later.
	 */
	if (fp_path_check(dir, &st, err, errlen) == -1) {
		if (errno != ENOENT)
			return -1;
		if (parent_check(dir, create, err, errlen) == -1)
			return -1;
		if (!create)
			return 0;	/* -n: it would be made */
		if ((made = mkdir(dir, mode)) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create the "
			    "directory: %s", dir, strerror(errno));
			return -1;
		}
		if (made == 0 && nmade < (int)(sizeof(made_dirs) /
		    sizeof(made_dirs[0])))
			strlcpy(made_dirs[nmade++], dir, sizeof(made_dirs[0]));
		/* The group may pass through to the socket, no one else. */
		if (made == 0 && gid != (gid_t)-1 && chown(dir, (uid_t)-1,
		    gid) == -1) {
			snprintf(err, errlen, "%s: cannot give the directory "
			    "to group %lu: %s", dir, (unsigned long)gid,
			    strerror(errno));
			return -1;
		}
		/* The mode asked for, whatever the umask took from it. */
		if (made == 0 && chmod(dir, mode) == -1) {
			snprintf(err, errlen, "%s: chmod: %s", dir,
			    strerror(errno));
			return -1;
		}
		if (made == 0)
			log_info("mkdir", "dir=%s mode=%04o", qpath(dir),
			    (unsigned)mode);
		/* Made by someone else meanwhile: judged like any other. */
		if (fp_path_check(dir, &st, err, errlen) == -1)
			return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	/*
	 * Whoever owns the directory, or may write to it without the sticky
	 * bit, can rename what the daemon puts there and put their own in
	 * its place: clients would talk to them.
	 */
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "%s: owned by uid %lu, not by uid %lu or "
		    "root: refusing a directory that another user controls",
		    dir, (unsigned long)st.st_uid, (unsigned long)geteuid());
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (st.st_mode & S_ISVTX) == 0) {
		snprintf(err, errlen, "%s: writable by %s (mode %04o) without "
		    "the sticky bit: refusing a directory that other users "
		    "control", dir, (st.st_mode & S_IWOTH) ? "others" :
		    "its group", (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* May we give a file to group gid (chown(2) as not root)? */
static int
our_group(gid_t gid)
{
	gid_t	*groups;
	int	 i, n, found = 0;

	if (geteuid() == 0 || gid == getegid())
		return 1;
	if ((n = getgroups(0, NULL)) <= 0 ||
	    (groups = calloc((size_t)n, sizeof(*groups))) == NULL)
		return 0;
	n = getgroups(n, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			found = 1;
	free(groups);
	return found;
}

int
paths_socket_dir(const struct fp_config *c, int create, char *err,
    size_t errlen)
{
	struct stat	 st;
	const char	*path = c->socket;
	int		 r;

	if (strlen(path) >= FP_SOCKPATH_MAX) {
		snprintf(err, errlen, "%s: socket path too long (%d bytes at "
		    "most)", path, FP_SOCKPATH_MAX - 1);
		return -1;
	}
	/* Found out at start only once something is made: say it now. */
	if (c->socket_gid != (gid_t)-1 && !our_group(c->socket_gid)) {
		snprintf(err, errlen, "socket-group %s: not a group of uid %lu: "
		    "cannot give the socket to it", c->socket_group,
		    (unsigned long)geteuid());
		return -1;
	}
	if (c->socket_gid != (gid_t)-1)
		r = paths_dir_check(path, SOCKDIR_GMODE, c->socket_gid,
		    create, err, errlen);
	else
		r = paths_dir_check(path, SOCKDIR_MODE, (gid_t)-1, create,
		    err, errlen);
	if (r == -1)
		return -1;
	/* -n: what paths_stale_socket would refuse at start. */
	if (!create && lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket", path);
		return -1;
	}
	return 0;
}
