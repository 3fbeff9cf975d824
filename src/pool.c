/*
 * pool.c -- the supervisor's side of worker processes: create each
 * worker's segment and eventfds, fork it, notice its death through its
 * pidfd, and replace it, backing off when workers die young.
 */
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkpool.h"
#include "daemon.h"
#include "log.h"

#define YOUNG_NS	(1000ULL * 1000000)	/* died within 1 s of spawn */
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	10000

static int	 have_pidfd = -1;

static int
pidfd_open_compat(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * pidfds (Linux 5.3) tell which worker died at once; without them the
 * supervisor falls back to SIGCHLD and waitpid(-1).
 */
int
pool_have_pidfd(void)
{
	int	 fd;

	if (have_pidfd == -1) {
		fd = pidfd_open_compat(getpid());
		have_pidfd = fd != -1;
		if (fd != -1)
			close(fd);
		else
			log_info("pidfd", "msg=\"pidfd_open unavailable, using "
			    "SIGCHLD\" err=\"%s\"", strerror(errno));
	}
	return have_pidfd;
}

static void
epoll_add(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl", NULL);
}

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

static void
release(struct worker *w)
{
	close_fd(&w->pidfd);
	close_fd(&w->sup_efd);
	close_fd(&w->wrk_efd);
	fp_seg_destroy(&w->seg);
	fp_asm_free(&w->as);
	w->stats = NULL;
	w->pid = 0;
	w->state = W_EMPTY;
}

static void
schedule_respawn(struct worker *w, uint64_t delay_ms)
{
	w->respawn_ns = now_ns() + delay_ms * 1000000ULL;
}

int
pool_spawn(struct worker *w)
{
	char	 name[32];
	pid_t	 pid;

	snprintf(name, sizeof(name), "forkpool-worker-%d", w->slot);
	w->pidfd = w->sup_efd = w->wrk_efd = -1;
	if (fp_seg_create(&w->seg, name, sizeof(struct wstats),
	    sv->conf.ring_size) == -1) {
		log_warn("worker_spawn", "worker=%d msg=\"shared memory\"",
		    w->slot);
		goto fail;
	}
	w->stats = fp_seg_user(&w->seg);
	if ((w->sup_efd = fp_notify_open()) == -1 ||
	    (w->wrk_efd = fp_notify_open()) == -1) {
		log_warn("worker_spawn", "worker=%d msg=eventfd", w->slot);
		goto fail;
	}
	switch (pid = fork()) {
	case -1:
		log_warn("worker_spawn", "worker=%d msg=fork", w->slot);
		goto fail;
	case 0:
		worker_main(w);
	default:
		break;
	}
	w->pid = pid;
	if (pool_have_pidfd() && (w->pidfd = pidfd_open_compat(pid)) == -1)
		fatal("pidfd_open", "pid=%d", (int)pid);
	if (fp_ring_attach(&w->tx, fp_seg_ring(&w->seg, 0), w->seg.ringsize,
	    1, w->wrk_efd) == -1 ||
	    fp_ring_attach(&w->rx, fp_seg_ring(&w->seg, 1), w->seg.ringsize,
	    0, w->wrk_efd) == -1)
		fatal("ring_attach", NULL);
	fp_asm_init(&w->as, sv->conf.max_request_size * 4);
	/* Edge-triggered: every eventfd write is one event, never read. */
	epoll_add(w->sup_efd, EPOLLIN | EPOLLET, EV_TAG(EV_WORKER, w->slot));
	if (w->pidfd != -1)
		epoll_add(w->pidfd, EPOLLIN, EV_TAG(EV_PIDFD, w->slot));
	TAILQ_INIT(&w->inflight);
	w->ninflight = 0;
	w->partial = NULL;
	w->dirty = w->blocked = 0;
	w->tasks_done = 0;
	w->spawned_ns = now_ns();
	w->state = W_READY;
	log_info("worker_start", "worker=%d pid=%d", w->slot, (int)pid);
	return 0;
fail:
	release(w);
	schedule_respawn(w, BACKOFF_MAX_MS);
	return -1;
}

void
pool_init(void)
{
	int	 i;

	if ((sv->workers = calloc(MAX_SLOTS, sizeof(*sv->workers))) == NULL)
		fatal("pool_init", NULL);
	for (i = 0; i < MAX_SLOTS; i++) {
		sv->workers[i].slot = i;
		sv->workers[i].pidfd = -1;
		sv->workers[i].sup_efd = -1;
		sv->workers[i].wrk_efd = -1;
		TAILQ_INIT(&sv->workers[i].inflight);
	}
	for (i = 0; i < sv->nslots; i++)
		pool_spawn(&sv->workers[i]);
}

static void	lost(struct worker *, int);

void
pool_reap(struct worker *w)
{
	int		 status;
	pid_t		 r;

	r = waitpid(w->pid, &status, WNOHANG);
	if (r == 0)
		return;		/* pidfd woke us early; not gone yet */
	if (r == -1) {
		log_warn("waitpid", "worker=%d pid=%d", w->slot, (int)w->pid);
		status = 0;
	}
	lost(w, status);
}

void
pool_reap_children(void)
{
	pid_t	 pid;
	int	 status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < sv->nslots; i++)
			if (sv->workers[i].pid == pid &&
			    sv->workers[i].state != W_EMPTY) {
				lost(&sv->workers[i], status);
				break;
			}
}

/* Worker w is gone with wait status `status': account and replace it. */
static void
lost(struct worker *w, int status)
{
	uint64_t	 age, delay;
	int		 young;
	/* Results it published before dying are good: deliver them first. */
	if (w->state == W_READY)
		dispatch_results(w);
	if (WIFSIGNALED(status))
		log_info("worker_exit", "worker=%d pid=%d signal=%d tasks=%llu",
		    w->slot, (int)w->pid, WTERMSIG(status),
		    (unsigned long long)w->tasks_done);
	else
		log_info("worker_exit", "worker=%d pid=%d status=%d tasks=%llu",
		    w->slot, (int)w->pid, WEXITSTATUS(status),
		    (unsigned long long)w->tasks_done);
	if (sv->state != SV_STOPPING && w->state != W_STOPPING)
		sv->cnt.worker_crashes++;
	dispatch_worker_lost(w, status);
	age = now_ns() - w->spawned_ns;
	young = age < YOUNG_NS && w->tasks_done == 0;
	release(w);
	if (sv->state == SV_STOPPING)
		return;
	w->early_deaths = young ? w->early_deaths + 1 : 0;
	/* The first early death is replaced at once; a loop backs off. */
	if (w->early_deaths <= 1) {
		pool_spawn(w);
		return;
	}
	delay = BACKOFF_MIN_MS << (w->early_deaths - 2 > 10 ? 10 :
	    w->early_deaths - 2);
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	log_warnx("worker_backoff", "worker=%d deaths=%u delay_ms=%llu",
	    w->slot, w->early_deaths, (unsigned long long)delay);
	schedule_respawn(w, delay);
}

void
pool_tick(void)
{
	uint64_t	 now = now_ns();
	int		 i;

	if (sv->state == SV_STOPPING)
		return;
	for (i = 0; i < sv->nslots; i++) {
		struct worker *w = &sv->workers[i];

		if (w->state == W_EMPTY && w->respawn_ns <= now)
			pool_spawn(w);
	}
}

void
pool_stop(void)
{
	int	 i;

	for (i = 0; i < sv->nslots; i++) {
		struct worker *w = &sv->workers[i];

		if (w->pid > 0 && w->state != W_EMPTY) {
			kill(w->pid, SIGTERM);
			w->state = W_STOPPING;
		}
	}
}

void
pool_kill(void)
{
	int	 i;

	for (i = 0; i < sv->nslots; i++)
		if (sv->workers[i].pid > 0)
			kill(sv->workers[i].pid, SIGKILL);
}

int
pool_alive(void)
{
	int	 i, n = 0;

	for (i = 0; i < sv->nslots; i++)
		if (sv->workers[i].pid > 0)
			n++;
	return n;
}

int
pool_ready(void)
{
	int	 i, n = 0;

	for (i = 0; i < sv->nslots; i++)
		if (sv->workers[i].state == W_READY)
			n++;
	return n;
}
