/*
 * reload.h -- the command line, kept for reloads; SIGHUP and
 * forkpool.reload (reload.c).
 */
#ifndef FP_RELOAD_H
#define FP_RELOAD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct cmdline {
	char		 file[PATH_MAX];	/* absolute */
	int		 fflag;			/* -f given: must exist */
	const char	*socket;		/* -s, or NULL */
	const char	*pidfile;		/* -p, or NULL */
	int		 workers;		/* -w, or 0 */
	int		 test;			/* -T */
	int		 verbose;		/* -v */
};
extern struct cmdline cmdline;

#define RELOAD_MAXWARN	8
struct reload_result {
	uint32_t	 generation;	/* the one now running */
	int		 nwarn;
	char		 warn[RELOAD_MAXWARN][160];
};

/*
 * cmdline_apply: the command-line options over a configuration read from
 * the file (their lengths were checked at start-up).
 */
void	 cmdline_apply(struct fp_config *);
/*
 * reload: re-read the configuration file.  RELOAD_APPLIED: a new
 * generation of workers started and the old ones retiring; rr (if not
 * NULL) has the generation and the warnings (settings that cannot change
 * at run time, ignored).  RELOAD_BAD_FILE: "FILE:LINE: problem" in msg,
 * nothing changed.  RELOAD_SHUTTING_DOWN: the daemon is draining or
 * stopping (message in msg), nothing changed.  Everything is logged.
 */
enum reload_status {
	RELOAD_APPLIED = 0,
	RELOAD_BAD_FILE = -1,
	RELOAD_SHUTTING_DOWN = -2
};
enum reload_status reload(struct reload_result *rr, char *msg,
	    size_t msglen);
/*
 * reload_admit: whether a forkpool.reload may run now (RELOAD_BURST at
 * once, then one every RELOAD_INTERVAL_MS); if not, how many ms until one
 * may in *wait_ms.  SIGHUP is not limited: only root and the daemon's own
 * user can send it.
 */
#define RELOAD_BURST		5
#define RELOAD_INTERVAL_MS	1000
int	 reload_admit(uint64_t now_ns, uint64_t *wait_ms);

#endif /* FP_RELOAD_H */
