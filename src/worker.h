/*
 * worker.h -- the worker process (worker.c): what pool_spawn hands the
 * child it forked, and the contract on result sizes both sides keep.
 */
#ifndef FP_WORKER_H
#define FP_WORKER_H

#include <sys/types.h>
#include <stdint.h>

#include "fpshm.h"
#include "config.h"
#include "wire.h"

/*
 * The largest result message (the payload of one result or error record,
 * assembled) the supervisor takes from a worker, and the largest a worker
 * sends: a worker refuses a bigger result itself (too_large).  Both sides
 * read it from the configuration the worker was forked with.  A ring
 * message holds at most UINT32_MAX bytes.
 */
#define RESULT_MAX(conf)	((conf)->max_request_size > UINT32_MAX / 4 ? \
	(size_t)UINT32_MAX : (size_t)(conf)->max_request_size * 4)

/*
 * All a worker is given: pool_spawn has left it only its own segment, its
 * two eventfds (as sup_efd and wrk_efd) and standard error.
 */
struct worker_spec {
	int			 slot;
	pid_t			 ppid;		/* the supervisor */
	const struct fp_config	*conf;		/* as it was forked with */
	struct fp_seg		*seg;		/* its rings and stats block */
	struct wstats		*stats;
	int			 sup_efd;	/* the supervisor sleeps on this */
	int			 wrk_efd;	/* the worker sleeps on this */
	int			 test_crash;	/* abort at start (tests) */
};

/*
 * worker_child: the forked child's entry: drop privileges, load
 * plug-ins, then run tasks from the ring until the supervisor goes.
 */
void	 worker_child(const struct worker_spec *) __attribute__((noreturn));

#endif /* FP_WORKER_H */
