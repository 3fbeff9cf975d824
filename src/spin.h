/*
 * spin.h -- brief adaptive spinning before sleeping, only while a CPU is
 * free (DESIGN §4, §9).  A worker polls its task ring, the supervisor its
 * workers' result rings and its clients' sockets, for a few tens of
 * microseconds before they sleep, so that a hop between them costs no
 * wake-up.  The supervisor decides on its 100 ms tick whether a CPU is
 * free and tells each worker its budget (struct wstats spin_us); each side
 * adapts its own budget to what its spins catch.
 */
#ifndef FP_SPIN_H
#define FP_SPIN_H

#include <sys/epoll.h>
#include <stdint.h>

#define SPIN_AUTO_US	100	/* `spin auto': budget of one spin, at most */

/*
 * One spinner's adaptive budget (like glibc's adaptive mutexes): a spin
 * that catches work keeps the budget, one that ends empty halves it, and
 * after a few empty ones the spinner sleeps at once for a while, until a
 * sleep shows that a spin would have caught the work.
 */
struct spin_adapt {
	uint32_t	 cur_ns;	/* budget of the next spin, 0: none yet */
	uint32_t	 skip;		/* sleeps left without a spin */
};

/* spin_budget: nanoseconds to spin now (0: sleep at once). */
uint64_t spin_budget(struct spin_adapt *, uint32_t max_us);
/* spin_won, spin_lost: the spin caught work, or ended empty. */
void	 spin_won(struct spin_adapt *, uint32_t max_us);
void	 spin_lost(struct spin_adapt *, uint32_t max_us);
/* spin_slept: a sleep of slept_ns ended with work. */
void	 spin_slept(struct spin_adapt *, uint32_t max_us, uint64_t slept_ns);

/* A pause between two polls: lets the sibling hyperthread run. */
static inline void
spin_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Supervisor side (spin.c). */
void	 spin_init(void);
void	 spin_tick(void);
/*
 * spin_figures: the choice of the last tick (forkpool.stats): how long
 * the supervisor may spin, in microseconds (0: not), and how many workers
 * may.
 */
void	 spin_figures(uint32_t *supervisor_us, int *workers);
int	 spin_wanted(int);
int	 spin_supervisor(struct epoll_event *, int);
void	 spin_supervisor_slept(uint64_t);

#endif /* FP_SPIN_H */
