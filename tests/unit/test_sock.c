/*
 * test_sock.c -- the default socket path of libforkpool (libsock.c):
 * which variable wins, that a path too long is an error and never another
 * path, fp_default_socket_check on directories of every kind, and
 * fp_path_check on the way there: symbolic links, directories passed
 * through, relative paths, "..", loops.
 */
#include <sys/stat.h>

#include <limits.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkpool.h"
#include "check.h"

static char	 dir[64];

/* fp_default_socket_check of dir/s.sock, with FORKPOOL_SOCKET unset. */
static int
check_dir(char *err, size_t errlen)
{
	char	 path[128];

	snprintf(path, sizeof(path), "%s/s.sock", dir);
	errno = 0;
	return fp_default_socket_check(path, err, errlen);
}

/* fp_path_check, in a directory of ours under /tmp. */
static void
test_path_check(void)
{
	struct stat	 st, want;
	char		 base[64], p[PATH_MAX], q[PATH_MAX], err[PATH_MAX + 128];
	char		 cwd[PATH_MAX];

	snprintf(base, sizeof(base), "/tmp/test_path.%d", (int)getpid());
	CHECK(mkdir(base, 0755) == 0);
	snprintf(p, sizeof(p), "%s/d", base);
	CHECK(mkdir(p, 0700) == 0 && stat(p, &want) == 0);
	CHECK(fp_path_check(p, &st, err, sizeof(err)) == 0 &&
	    st.st_ino == want.st_ino && S_ISDIR(st.st_mode));
	CHECK(fp_path_check(p, NULL, NULL, 0) == 0);
	/* The final directory is the caller's to judge. */
	CHECK(chmod(p, 0777) == 0 && fp_path_check(p, &st, err,
	    sizeof(err)) == 0 && (st.st_mode & 07777) == 0777);
	CHECK(chmod(p, 0700) == 0);

	/* A link of ours is followed, to the end and on the way. */
	snprintf(q, sizeof(q), "%s/l", base);
	CHECK(symlink("d", q) == 0);
	CHECK(fp_path_check(q, &st, err, sizeof(err)) == 0 &&
	    st.st_ino == want.st_ino);
	snprintf(q, sizeof(q), "%s/d/sub", base);
	CHECK(mkdir(q, 0700) == 0);
	snprintf(q, sizeof(q), "%s/l/sub/..", base);
	CHECK(fp_path_check(q, &st, err, sizeof(err)) == 0 &&
	    st.st_ino == want.st_ino);
	/* Relative: from the working directory. */
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL && chdir(base) == 0);
	CHECK(fp_path_check("./l/sub/../", &st, err, sizeof(err)) == 0 &&
	    st.st_ino == want.st_ino);
	CHECK(chdir(cwd) == 0);

	/* Missing; a file on the way; a loop. */
	snprintf(q, sizeof(q), "%s/none/x", base);
	CHECK(fp_path_check(q, &st, err, sizeof(err)) == -1 &&
	    errno == ENOENT && strstr(err, "/none: ") != NULL);
	snprintf(q, sizeof(q), "%s/f", base);
	CHECK(close(creat(q, 0600)) == 0);
	snprintf(q, sizeof(q), "%s/f/x", base);
	CHECK(fp_path_check(q, &st, err, sizeof(err)) == -1 &&
	    errno == ENOTDIR && strstr(err, "/f: not a directory") != NULL);
	snprintf(q, sizeof(q), "%s/loop", base);
	CHECK(symlink("loop", q) == 0);
	CHECK(fp_path_check(q, &st, err, sizeof(err)) == -1 &&
	    errno == ELOOP);

	/* Group-writable on the way, not sticky: refused; sticky: passes. */
	CHECK(chmod(base, 0775) == 0);
	CHECK(fp_path_check(p, &st, err, sizeof(err)) == -1 &&
	    errno == EPERM && strncmp(err, base, strlen(base)) == 0 &&
	    strstr(err, "writable by its group (mode 0775) without the "
	    "sticky bit") != NULL);
	CHECK(chmod(base, 01777) == 0);
	CHECK(fp_path_check(p, &st, err, sizeof(err)) == 0);
	CHECK(chmod(base, 0755) == 0);

	if (geteuid() == 0) {
		/* Another user's link, to the end or on the way: refused. */
		snprintf(q, sizeof(q), "%s/l", base);
		CHECK(lchown(q, 1, 1) == 0);
		CHECK(fp_path_check(q, &st, err, sizeof(err)) == -1 &&
		    errno == EPERM && strncmp(err, q, strlen(q)) == 0 &&
		    strstr(err, ": a symbolic link owned by uid 1, not by "
		    "uid 0 or root") != NULL);
		snprintf(q, sizeof(q), "%s/l/sub", base);
		CHECK(fp_path_check(q, &st, err, sizeof(err)) == -1 &&
		    errno == EPERM);
		/* The default socket's directory through it. */
		snprintf(q, sizeof(q), "%s/l/s.sock", base);
		CHECK(fp_default_socket_check(q, err, sizeof(err)) == -1 &&
		    errno == EPERM && strstr(err, "a symbolic link") != NULL);
		/* Another user's directory on the way. */
		CHECK(chown(p, 1, (gid_t)-1) == 0);
		snprintf(q, sizeof(q), "%s/d/sub", base);
		CHECK(fp_path_check(q, &st, err, sizeof(err)) == -1 &&
		    errno == EPERM && strstr(err, "/d: owned by uid 1, not "
		    "by uid 0 or root") != NULL);
		CHECK(chown(p, 0, (gid_t)-1) == 0);
	}
	snprintf(q, sizeof(q), "rm -rf %s", base);
	CHECK(system(q) == 0);
}

int
main(void)
{
	char	 buf[256], small[8], err[256], want[128], longp[300];

	unsetenv("FORKPOOL_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("TMPDIR");

	/* Which variable names the default. */
	setenv("FORKPOOL_SOCKET", "/x/y.sock", 1);
	CHECK(fp_default_socket(buf, sizeof(buf)) == buf &&
	    strcmp(buf, "/x/y.sock") == 0);
	unsetenv("FORKPOOL_SOCKET");
	if (geteuid() == 0) {
		CHECK(fp_default_socket(buf, sizeof(buf)) != NULL &&
		    strcmp(buf, "/run/forkpool/forkpool.sock") == 0);
	} else {
		setenv("TMPDIR", "/t", 1);
		snprintf(want, sizeof(want), "/t/forkpool-%lu/forkpool.sock",
		    (unsigned long)geteuid());
		CHECK(fp_default_socket(buf, sizeof(buf)) != NULL &&
		    strcmp(buf, want) == 0);
		setenv("TMPDIR", "relative", 1);
		snprintf(want, sizeof(want), "/tmp/forkpool-%lu/forkpool.sock",
		    (unsigned long)geteuid());
		CHECK(fp_default_socket(buf, sizeof(buf)) != NULL &&
		    strcmp(buf, want) == 0);
		setenv("XDG_RUNTIME_DIR", "/r", 1);
		CHECK(fp_default_socket(buf, sizeof(buf)) != NULL &&
		    strcmp(buf, "/r/forkpool.sock") == 0);
		unsetenv("XDG_RUNTIME_DIR");
		unsetenv("TMPDIR");
	}

	/* Too long: NULL and ENAMETOOLONG, never another path. */
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	setenv("FORKPOOL_SOCKET", longp, 1);
	errno = 0;
	CHECK(fp_default_socket(buf, sizeof(buf)) == NULL &&
	    errno == ENAMETOOLONG && buf[0] == '\0');
	setenv("FORKPOOL_SOCKET", "/x/y.sock", 1);
	CHECK(fp_default_socket(small, sizeof(small)) == NULL &&
	    errno == ENAMETOOLONG);

	/* A path the user named is not judged. */
	CHECK(fp_default_socket_check("/nonexistent/s.sock", err,
	    sizeof(err)) == 0);
	unsetenv("FORKPOOL_SOCKET");

	snprintf(dir, sizeof(dir), "/tmp/test_sock.%d", (int)getpid());
	/* Missing: connecting will say ENOENT. */
	CHECK(check_dir(err, sizeof(err)) == 0);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK(check_dir(err, sizeof(err)) == 0);
	CHECK(check_dir(NULL, 0) == 0);
	CHECK(chmod(dir, 0777) == 0);
	CHECK(check_dir(err, sizeof(err)) == -1 && errno == EPERM &&
	    strstr(err, "writable by others (mode 0777)") != NULL &&
	    strncmp(err, dir, strlen(dir)) == 0);
	CHECK(check_dir(NULL, 0) == -1 && errno == EPERM);
	CHECK(chmod(dir, 0770) == 0);
	CHECK(check_dir(err, sizeof(err)) == -1 && errno == EPERM &&
	    strstr(err, "writable by its group") != NULL);
	CHECK(chmod(dir, 0755) == 0);
	CHECK(check_dir(err, sizeof(err)) == 0);
	if (geteuid() == 0) {
		/* Another user's: root can make one. */
		CHECK(chown(dir, 1, (gid_t)-1) == 0);
		CHECK(check_dir(err, sizeof(err)) == -1 && errno == EPERM &&
		    strstr(err, "owned by uid 1, not by you") != NULL);
	}
	CHECK(rmdir(dir) == 0);
	/* Not a directory. */
	{
		FILE	*fp = fopen(dir, "w");

		CHECK(fp != NULL);
		if (fp != NULL)
			fclose(fp);
	}
	CHECK(check_dir(err, sizeof(err)) == -1 && errno == ENOTDIR);
	unlink(dir);
	test_path_check();
	return check_done("test_sock");
}
