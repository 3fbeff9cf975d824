/*
 * priv.h -- users and groups: resolving the names of forkpool.conf(5)
 * (user, group, socket-owner, socket-group, admin-group) and dropping a
 * worker's privileges.  Nothing here logs or exits: functions return 0, or
 * -1 with a message in a buffer.
 */
#ifndef FP_PRIV_H
#define FP_PRIV_H

#include <sys/types.h>
#include <stddef.h>

struct fp_config;

/*
 * priv_user: a user name, or a decimal uid, to its uid and primary group.
 * A number that names no user gets *gid = (gid_t)-1.  Returns 0, or -1
 * with the reason in why.
 */
int	priv_user(const char *name, uid_t *uid, gid_t *gid, char *why,
	    size_t whylen);

/* priv_group: a group name, or a decimal gid, to its gid.  As priv_user. */
int	priv_group(const char *name, gid_t *gid, char *why, size_t whylen);

/*
 * priv_drop: in a new worker, become c's `user' (and `group'): only that
 * group as supplementary group, real, effective and saved ids all
 * changed, checked that root cannot be regained, then no_new_privs and
 * not dumpable.  Without `user', nothing changes.  Not root (the user is
 * then the current one, which config_load checked): only no_new_privs and
 * not dumpable.  Returns 0, or -1 with the failed step in err.  The
 * kernel clears the parent-death signal when the ids change: the caller
 * sets it again.
 */
int	priv_drop(const struct fp_config *c, char *err, size_t errlen);

/*
 * priv_peer_in_group: whether the connected peer of Unix socket fd has gid
 * among its supplementary groups (SO_PEERGROUPS, as of its connect(2)).
 * 0 if not, or if they cannot be read.
 */
int	priv_peer_in_group(int fd, gid_t gid);

#endif /* FP_PRIV_H */
