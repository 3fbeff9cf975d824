/*
 * spin.c -- brief adaptive spinning (spin.h): the budgets, and the
 * supervisor's side: whether a CPU is free, sampled on its 100 ms tick,
 * and its own spin before it sleeps.
 *
 * "A CPU is free": the runnable tasks of the whole system, read from
 * /proc/loadavg once a tick (one pread on a descriptor kept open, never
 * per task), less the daemon's own spinners (the supervisor, which reads
 * it, and the workers that say WS_SPIN), averaged over a few ticks,
 * against the CPUs the daemon may run on.  With at least one CPU free the
 * supervisor spins; a worker spins only while one more is free, the one it
 * would take: on two CPUs, with a client that waits for one request at a
 * time, the supervisor and one worker spin and a request costs one
 * wake-up, the client's, as with a naive prefork pool.  The client needs
 * a CPU when its answer comes: a spinning worker yields every 64 polls
 * (worker.c), so a client woken on its CPU runs at once.  When the CPUs
 * are busy nobody spins, so the load measured then is not ours.
 */
#include <sys/epoll.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkpool.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "pool.h"
#include "spin.h"

#define SPIN_SKIP	16	/* sleeps without a spin after empty ones */
#define LOAD_SHIFT	4	/* load is kept in 1/16 of a task */
#define LOAD_SMOOTH	2	/* each sample moves it by 1/4 of the gap */

/* ---- budgets: worker and supervisor ------------------------------------ */

uint64_t
spin_budget(struct spin_adapt *a, uint32_t max_us)
{
	uint32_t	 max = max_us * 1000;	/* <= FP_SPIN_MAX_US: fits */

	if (max == 0)
		return 0;
	if (a->skip > 0) {
		a->skip--;
		return 0;
	}
	if (a->cur_ns == 0 || a->cur_ns > max)
		a->cur_ns = max;
	return a->cur_ns;
}

void
spin_won(struct spin_adapt *a, uint32_t max_us)
{
	uint32_t	 max = max_us * 1000;

	a->cur_ns = a->cur_ns > max / 2 ? max : a->cur_ns * 2;
}

void
spin_lost(struct spin_adapt *a, uint32_t max_us)
{
	uint32_t	 max = max_us * 1000;

	a->cur_ns /= 2;
	if (a->cur_ns < max / 8) {
		/* Four in a row, under two budgets spent: stop for a while. */
		a->cur_ns = max / 4;
		a->skip = SPIN_SKIP;
	}
}

void
spin_slept(struct spin_adapt *a, uint32_t max_us, uint64_t slept_ns)
{
	/* Work came within a budget: a spin would have caught it. */
	if (a->skip > 0 && slept_ns < max_us * 1000ULL)
		a->skip = 0;
}

/* ---- the supervisor ---------------------------------------------------- */

static int		 loadfd = -1;	/* /proc/loadavg */
static int		 ncpu = 1;	/* CPUs it may run on */
static int		 load;		/* others' runnable tasks, averaged,
					   in 1/16 */
static int		 sampled;	/* load has a first sample */
static uint32_t		 sup_max_us;	/* its own budget now, 0: none */
static struct spin_adapt sup;
static uint64_t		 sup_budget;	/* spin_wanted's, for this spin */
static int		 inflight;	/* workers hold tasks */
static uint32_t		 last_sup;	/* what the last `spin' line said */
static int		 last_rank;

void
spin_init(void)
{
	cpu_set_t	 set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpu = CPU_COUNT(&set);
	if (ncpu < 1)
		ncpu = 1;
	/* Opened before privileges go; read as long as the daemon runs. */
	if ((loadfd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("spin_off", "msg=\"cannot tell whether a CPU is "
		    "free: no spinning\" path=/proc/loadavg");
}

/* The runnable tasks of the system ("0.20 0.18 0.12 3/80 1120"), or -1. */
static long
runnable(void)
{
	char		 buf[128], *p;
	ssize_t		 n;
	int		 i;

	if ((n = pread(loadfd, buf, sizeof(buf) - 1, 0)) <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf, i = 0; i < 3; i++) {
		if ((p = strchr(p, ' ')) == NULL)
			return -1;
		p++;
	}
	return strtol(p, NULL, 10);
}

static int
live(const struct worker *w)
{
	return w->state == W_READY || w->state == W_RETIRING;
}

void
spin_figures(uint32_t *supervisor_us, int *workers)
{
	*supervisor_us = sup_max_us;
	*workers = last_rank;
}

/*
 * Once a tick: sample the load, decide who may spin and for how long, and
 * tell the workers (the one field of their stats block the supervisor
 * writes, spin.h).
 */
void
spin_tick(void)
{
	struct worker	*w;
	uint32_t	 max, wmax;
	long		 run;
	int		 i, own = 1, free16, allow, rank = 0;

	max = sv->conf.spin_us == FP_SPIN_AUTO ? SPIN_AUTO_US :
	    (uint32_t)sv->conf.spin_us;
	if (loadfd == -1 || sv->state != SV_RUNNING)
		max = 0;
	if (max != 0 && (run = runnable()) > 0) {
		for (i = 0; i < sv->nslots; i++) {
			w = &sv->workers[i];
			if (live(w) && atomic_load_explicit(&w->stats->state,
			    memory_order_relaxed) == WS_SPIN)
				own++;
		}
		run = run > own ? run - own : 0;
		if (run > 4 * ncpu)
			run = 4 * ncpu;
		/* The first sample alone, not an average from 0 (idle). */
		if (!sampled)
			load = (int)run << LOAD_SHIFT;
		load += (((int)run << LOAD_SHIFT) - load) >> LOAD_SMOOTH;
		sampled = 1;
	} else
		max = 0;
	/* Free CPUs, rounded to the nearest, for the supervisor. */
	free16 = (ncpu << LOAD_SHIFT) - load;
	allow = free16 < 0 ? 0 : (free16 + (1 << (LOAD_SHIFT - 1))) >>
	    LOAD_SHIFT;
	sup_max_us = allow >= 1 ? max : 0;
	/*
	 * For the workers, a quarter of a CPU counts as a whole one: a
	 * client that waits for one request at a time is runnable about
	 * half the time, and rounded to the nearest, a load of 0.5 on two
	 * CPUs sat on the threshold (0.37 to 0.68 sampled during W1-lat):
	 * the worker's spin came and went from tick to tick, and a request
	 * cost two wake-ups more half the time.  A spinning worker yields
	 * to such a client (worker.c).  Busy CPUs still stop it.
	 */
	allow = free16 < 0 ? 0 : (free16 + (3 << (LOAD_SHIFT - 2))) >>
	    LOAD_SHIFT;
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (!live(w))
			continue;
		/* In slot order, the order dispatch.c picks idle workers. */
		wmax = w->state == W_READY && rank + 1 < allow ? max : 0;
		if (wmax != 0)
			rank++;
		if (atomic_load_explicit(&w->stats->spin_us,
		    memory_order_relaxed) != wmax)
			atomic_store_explicit(&w->stats->spin_us, wmax,
			    memory_order_relaxed);
	}
	if (sup_max_us != last_sup || rank != last_rank) {
		log_debug("spin", "cpus=%d load=%d.%02d supervisor_us=%u "
		    "workers=%d", ncpu, load >> LOAD_SHIFT,
		    (load & ((1 << LOAD_SHIFT) - 1)) * 100 >> LOAD_SHIFT,
		    sup_max_us, rank);
		last_sup = sup_max_us;
		last_rank = rank;
	}
}

/* A worker that holds tasks has put a result up. */
static int
results_waiting(void)
{
	struct worker	*w;
	int		 i;

	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (live(w) && w->ld.ninflight > 0 && !fp_ring_empty(&w->rx))
			return 1;
	}
	return 0;
}

/*
 * spin_wanted: the supervisor is about to sleep with nothing to do.  Spin
 * if it may, and if workers hold tasks (a result is coming) or it has
 * just answered (after_work: the client's next request may be coming).
 */
int
spin_wanted(int after_work)
{
	int	 i;

	if (sup_max_us == 0)
		return 0;
	for (inflight = 0, i = 0; i < sv->nslots && !inflight; i++)
		inflight = live(&sv->workers[i]) &&
		    sv->workers[i].ld.ninflight > 0;
	if (!inflight && !after_work)
		return 0;
	return (sup_budget = spin_budget(&sup, sup_max_us)) != 0;
}

/*
 * spin_supervisor: after spin_wanted.  While workers hold tasks, poll
 * their result rings (no syscall) and, every few polls, the clients
 * (epoll_wait without waiting); with nothing in flight, poll the clients
 * alone.  Returns the events epoll_wait gave (0 for a result), or -1 if
 * the spin ended empty: then sleep.
 */
int
spin_supervisor(struct epoll_event *evs, int maxev)
{
	uint64_t	 end = fp_now_ns() + sup_budget;
	int		 i, n;

	for (i = 1;; i++) {
		if (inflight && results_waiting()) {
			spin_won(&sup, sup_max_us);
			return 0;
		}
		if (!inflight || (i & 15) == 0) {
			n = epoll_wait(sv->epfd, evs, maxev, 0);
			if (n > 0)
				spin_won(&sup, sup_max_us);
			if (n != 0)
				return n;	/* -1: the sleep reports it */
		}
		if ((i & 15) == 0 && fp_now_ns() >= end)
			break;
		spin_relax();
	}
	spin_lost(&sup, sup_max_us);
	return -1;
}

/* The supervisor slept slept_ns and woke with work. */
void
spin_supervisor_slept(uint64_t slept_ns)
{
	spin_slept(&sup, sup_max_us, slept_ns);
}
