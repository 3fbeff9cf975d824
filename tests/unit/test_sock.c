/*
 * test_sock.c -- the default socket path of libforkpool (libsock.c):
 * which variable wins, that a path too long is an error and never another
 * path, and fp_default_socket_check on directories of every kind.
 */
#include <sys/stat.h>

#include <errno.h>
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
	return check_done("test_sock");
}
