/*
 * priv.c -- users and groups: the names of forkpool.conf(5) to ids, and a
 * worker giving up root before it reads a client's byte.
 *
 * Started as root, the supervisor stays root: it must fork workers, signal
 * them, unlink its socket and read the configuration again on reload.  It
 * decodes only the envelope of a request, never a handler's parameters,
 * and runs no handler or plug-in code but plug-ins' init and fini;
 * workers do the rest, and they run as `user'.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "priv.h"

/* A decimal id that fits uid_t/gid_t and is not (id_t)-1; -1 if not one. */
static int
parse_id(const char *s, unsigned long *id)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= UINT32_MAX)
		return -1;
	*id = v;
	return 0;
}

/*
 * After getpwnam/getpwuid/getgrnam found no entry, `what' being "user" or
 * "group": why, in why.  errno is 0, or one of those getpwnam(3) lists as
 * meaning "not found" too, for a name that is not there; another is a
 * lookup that failed (NSS, I/O).  Returns -1.
 */
static int
not_found(const char *what, char *why, size_t whylen)
{
	if (errno != 0 && errno != ENOENT && errno != ESRCH &&
	    errno != EBADF && errno != EPERM)
		snprintf(why, whylen, "cannot look the %s up: %s", what,
		    strerror(errno));
	else
		snprintf(why, whylen, "no such %s", what);
	return -1;
}

int
priv_user(const char *name, uid_t *uid, gid_t *gid, char *why,
    size_t whylen)
{
	struct passwd	*pw;
	unsigned long	 id;
	int		 num;

	num = parse_id(name, &id) == 0;
	errno = 0;
	pw = num ? getpwuid((uid_t)id) : getpwnam(name);
	if (pw != NULL) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	if (num) {
		*uid = (uid_t)id;
		*gid = (gid_t)-1;
		return 0;
	}
	return not_found("user", why, whylen);
}

int
priv_group(const char *name, gid_t *gid, char *why, size_t whylen)
{
	struct group	*gr;
	unsigned long	 id;

	if (parse_id(name, &id) == 0) {
		*gid = (gid_t)id;
		return 0;
	}
	errno = 0;
	if ((gr = getgrnam(name)) != NULL) {
		*gid = gr->gr_gid;
		return 0;
	}
	return not_found("group", why, whylen);
}

int
priv_drop(const struct fp_config *c, char *err, size_t errlen)
{
	uid_t	 uid = c->user_uid;
	gid_t	 gid = c->user_gid;

	if (c->user[0] == '\0')
		return 0;
	if (geteuid() == 0) {
		/* Groups first: only root may change them. */
		if (setgroups(1, &gid) == -1) {
			snprintf(err, errlen, "setgroups(%u): %s",
			    (unsigned)gid, strerror(errno));
			return -1;
		}
		if (setresgid(gid, gid, gid) == -1) {
			snprintf(err, errlen, "setresgid(%u): %s",
			    (unsigned)gid, strerror(errno));
			return -1;
		}
		if (setresuid(uid, uid, uid) == -1) {
			snprintf(err, errlen, "setresuid(%u): %s",
			    (unsigned)uid, strerror(errno));
			return -1;
		}
		/* A saved id or a capability left behind would show here. */
		if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
			snprintf(err, errlen, "uid 0 could be regained after "
			    "dropping to uid %u", (unsigned)uid);
			return -1;
		}
		if (gid != 0 && uid != 0 && (setgid(0) != -1 ||
		    setegid(0) != -1)) {
			snprintf(err, errlen, "gid 0 could be regained after "
			    "dropping to gid %u", (unsigned)gid);
			return -1;
		}
	}
	/*
	 * No set-user-ID program or file capability gives it back, and no
	 * other process of the same (often shared) user may ptrace the
	 * worker or read its memory.
	 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s",
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
priv_peer_in_group(int fd, gid_t gid)
{
	gid_t		 small[64], *g = small;
	socklen_t	 len = sizeof(small);
	size_t		 i, n;
	int		 found = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
		if (errno != ERANGE || len == 0 ||
		    (g = malloc(len)) == NULL)
			return 0;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
			free(g);
			return 0;
		}
	}
	n = len / sizeof(gid_t);
	for (i = 0; i < n; i++)
		if (g[i] == gid)
			found = 1;
	if (g != small)
		free(g);
	return found;
}
