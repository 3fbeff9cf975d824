/*
 * paths.h -- the socket's and pidfile's directories, and the stale socket:
 * checked (or made) before the daemon binds or locks anything there.
 */
#ifndef FP_PATHS_H
#define FP_PATHS_H

#include <stddef.h>
#include <sys/types.h>

struct fp_config;

/*
 * paths_dir_check: the directory of path (made with mode whatever the
 * umask, one level, if missing and create is set, and given to group gid
 * unless it is -1; without create, a missing one must be one that could be
 * made) must be a directory that no other user controls: owned by us or
 * root, not writable by group or others unless sticky, reached from /
 * through directories and symbolic links of root's or ours only
 * (fp_path_check).  0, or -1 with "PATH: reason" in err, PATH the
 * component refused.  A directory made is removed by
 * paths_dirs_remove until paths_dirs_keep (control_listen, once it
 * succeeds).
 */
int	 paths_dir_check(const char *path, mode_t mode, gid_t gid, int create,
	    char *err, size_t errlen);
/*
 * paths_socket_dir: paths_dir_check for c's socket path: made 0700,
 * or 0750 and given to socket-group when there is one.  Without create
 * (-n), a file at the path that is not a socket is refused too.
 */
int	 paths_socket_dir(const struct fp_config *c, int create, char *err,
	    size_t errlen);
/* paths_dirs_remove: a failed start removes the directories it made. */
void	 paths_dirs_remove(void);
/* paths_dirs_keep: the start succeeded; the directories made stay. */
void	 paths_dirs_keep(void);
/*
 * paths_stale_socket: refuse to replace a socket that another daemon still
 * answers on, or a file that is not a socket; remove a socket nobody
 * listens on.  0, or -1 with "PATH: reason" in err.
 */
int	 paths_stale_socket(const char *path, char *err, size_t errlen);

#endif /* FP_PATHS_H */
