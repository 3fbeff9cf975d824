/*
 * source.h -- Redis Streams as a source of tasks (source.c,
 * forkpool-streams(7)): each `source' block of forkpool.conf(5) makes
 * this daemon one consumer of a group.  Entries become tasks that share
 * the queue, the workers, deadlines, retries, breakers and cancellation
 * with the clients' (t->src names the source); their answers go back
 * through Redis, at most once per entry id.  source.c owns its sources,
 * their entries and their Redis connections (redis.h).
 */
#ifndef FP_SOURCE_H
#define FP_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "forkpool.h"
#include "proto.h"
#include "tasks.h"

/* source_start: open the configured sources (at start, once). */
void	 source_start(void);
/* source_tick: timers (claims, lease renewal, reconnects, stalls). */
void	 source_tick(uint64_t now);
/* source_run: once per loop pass: read entries where there is room. */
void	 source_run(void);
/*
 * source_reply_result, source_reply_error: the answer of an entry's task
 * (dispatch.c), as control_reply_result and control_reply_error are a
 * client's.  source_reply_result checks a copy of the worker's bytes: -1
 * if they are not one MessagePack object.
 */
int	 source_reply_result(struct task *, const uint8_t *data, size_t len);
void	 source_reply_error(struct task *, int code, const char *msg,
	    const struct err_kv *kv, int n);
/*
 * source_drain: SIGTERM: read no more; entries still queued are given
 * back to the group at once (a peer takes them).  source_stop: the
 * daemon stops: once the answers are written, give back what is left,
 * delete the consumer if nothing is pending, drop the lease key.
 * source_stopped: every source is done with Redis (or gave up).
 */
void	 source_drain(void);
void	 source_stop(void);
int	 source_stopped(void);

/* What forkpool.stats and the metrics show of a source. */
struct source_figures {
	const char	*name;
	const char	*stream;
	const char	*group;
	const char	*consumer;
	const char	*state;
	int		 up;
	uint64_t	 reconnects;
	uint64_t	 read;
	uint64_t	 claimed;
	uint64_t	 recovered;
	uint64_t	 answered[FP_E__COUNT];	/* [FP_OK]: results */
	uint64_t	 suppressed;
	uint64_t	 dead_lettered;
	uint64_t	 lost;
	uint64_t	 lease_renewals;
	uint64_t	 leases_lost;
	uint64_t	 reads_skipped;
	uint64_t	 answers_dropped;
	uint32_t	 inflight;
	uint32_t	 answers_buffered;
	uint64_t	 rtt_us;	/* the last command's round trip */
};
int	 source_count(void);
void	 source_figures(int i, struct source_figures *);

#endif /* FP_SOURCE_H */
