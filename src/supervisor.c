/*
 * supervisor.c -- the supervisor process: one thread, one epoll loop over
 * the listening socket, client connections, each worker's eventfd and
 * pidfd, a signalfd and a 100 ms timer.  It owns every decision and never
 * runs a task.
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/unistd.h>

#include "forkpool.h"
#include "breaker_table.h"
#include "control.h"
#include "daemon.h"
#include "dispatch.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "pool.h"
#include "redis.h"
#include "reload.h"
#include "source.h"
#include "spin.h"
#include "stats.h"

#define MAX_EVENTS	256
#define TICK_MS		100
#define STOP_GRACE_NS	(2000ULL * 1000000)	/* SIGTERM to SIGKILL */
#define FLUSH_GRACE_NS	(1000ULL * 1000000)	/* last replies to slow clients */

struct supervisor *sv;

static uint64_t	 stop_deadline_ns;

/*
 * Large payloads pass through buffers of their size (a request read, an
 * answer written).  glibc would map each past 128 KiB anew and unmap it
 * when freed, or give the top of the heap back: every 1 MiB task would
 * then fault its pages in again, which on these VMs costs more than
 * copying them.  Keep freed memory for the next task instead, up to an
 * eighth of max-buffered (at most 64 MiB), and give it all back when the
 * daemon goes idle (idle_trim).  Workers inherit it (worker.c lowers the
 * trim threshold: they cannot trim when idle).  Called again on reload.
 */
void
supervisor_malloc_tune(void)
{
	size_t	 keep = sv->conf.max_buffered / 8;

	if (keep > 64 << 20)
		keep = 64 << 20;
	if (keep < 128 << 10)
		keep = 128 << 10;
	(void)mallopt(M_MMAP_THRESHOLD, (int)keep);
	(void)mallopt(M_TRIM_THRESHOLD, (int)keep);
}

int
supervisor_setup(char *err, size_t errlen)
{
	struct epoll_event ev;
	struct itimerspec its;
	sigset_t	 set;

	sv->lfd = sv->sigfd = sv->tfd = -1;
	supervisor_malloc_tune();
	TAILQ_INIT(&sv->queue);
	TAILQ_INIT(&sv->retryq);
	TAILQ_INIT(&sv->flushq);
	handlers_init(sv->conf.test_handlers);
	breaker_table_init();
	if (stats_init() == -1)
		fatal("stats_init", NULL);
	if ((sv->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create", NULL);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	/* Without pidfds (old kernels, valgrind) worker deaths come as SIGCHLD. */
	if (!pool_have_pidfd())
		sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sv->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd", NULL);
	/*
	 * An ignored signal is dropped, never queued for the signalfd: undo
	 * what a shell (SIGINT, SIGQUIT for `&') or nohup (SIGHUP) set.  They
	 * are blocked, so the default action never runs.
	 */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	ev.events = EPOLLIN;
	ev.data.u64 = EV_TAG(EV_SIGNAL, 0);
	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, sv->sigfd, &ev) == -1)
		fatal("epoll_ctl", NULL);

	if ((sv->tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
		fatal("timerfd", NULL);
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_nsec = TICK_MS * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(sv->tfd, 0, &its, NULL) == -1)
		fatal("timerfd", NULL);
	ev.events = EPOLLIN;
	ev.data.u64 = EV_TAG(EV_TIMER, 0);
	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, sv->tfd, &ev) == -1)
		fatal("epoll_ctl", NULL);

	spin_init();
	if (control_listen(err, errlen) == -1)
		return -1;
	/* Bound before the first fork, so a busy port stops the start. */
	return http_listen(err, errlen);
}

/*
 * On the tick: the first time the daemon finds itself idle (no task, no
 * answer waiting to be written), give the memory malloc keeps for the next
 * large payload back to the system, and the pages of the task blob rings.
 */
static void
idle_trim(void)
{
	static int	 trimmed;

	if (sv->nactive != 0 || control_pending_output() != 0) {
		trimmed = 0;
		return;
	}
	if (!trimmed) {
		(void)malloc_trim(0);
		dispatch_trim();
	}
	trimmed = 1;
}

/*
 * Sleep at most `ts' (dispatch_lazy_ns()) for events.  epoll_pwait2(2) came
 * with Linux 5.11: on an older kernel (ENOSYS), or wherever it fails for
 * another reason than a signal (a seccomp filter), the batches wait whole
 * milliseconds, epoll_wait's finest timeout (at least 1), from then on.
 */
static int
lazy_wait(struct epoll_event *evs, const struct timespec *ts)
{
	static int	 nopwait2;
	int		 n;

	if (!nopwait2) {
		n = epoll_pwait2(sv->epfd, evs, MAX_EVENTS, ts, NULL);
		if (n != -1 || errno == EINTR)
			return n;
		nopwait2 = 1;
		log_info("epoll_pwait2", "msg=\"not available: results of busy "
		    "workers are taken in batches of whole milliseconds\" "
		    "err=\"%s\"", strerror(errno));
	}
	return epoll_wait(sv->epfd, evs, MAX_EVENTS,
	    ts->tv_nsec < 1000000 ? 1 : (int)(ts->tv_nsec / 1000000));
}

static void
begin_stop(const char *why)
{
	if (sv->state == SV_STOPPING)
		return;
	log_info("shutdown_stop", "reason=%s queued=%u running=%u", why,
	    sv->nqueued, sv->nactive - sv->nqueued);
	control_unlisten();
	sv->state = SV_STOPPING;
	dispatch_fail_all(FP_E_SHUTTING_DOWN, "the daemon is shutting down");
	source_stop();
	pool_stop();
	stop_deadline_ns = fp_now_ns() + STOP_GRACE_NS;
}

static void
begin_drain(void)
{
	if (sv->state != SV_RUNNING) {
		begin_stop("second-signal");
		return;
	}
	log_info("shutdown_drain", "queued=%u running=%u timeout_ms=%llu",
	    sv->nqueued, sv->nactive - sv->nqueued,
	    (unsigned long long)sv->conf.shutdown_timeout_ms);
	control_unlisten();
	sv->state = SV_DRAINING;
	source_drain();
	sv->drain_deadline_ns = fp_now_ns() +
	    sv->conf.shutdown_timeout_ms * 1000000ULL;
}

static void
handle_signals(void)
{
	struct signalfd_siginfo si;

	while (read(sv->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			begin_drain();
			break;
		case SIGQUIT:
			begin_stop("SIGQUIT");
			break;
		case SIGCHLD:
			pool_reap_children();
			break;
		case SIGHUP: {
			char	 msg[PATH_MAX + 256];

			/* reload() logs the outcome and every warning. */
			log_info("sighup", "msg=\"reloading the configuration\"");
			(void)reload(NULL, msg, sizeof(msg));
			break;
		}
		}
	}
}

static void __attribute__((noreturn))
finish(void)
{
	uint64_t	 end = fp_now_ns() + FLUSH_GRACE_NS;
	struct epoll_event evs[MAX_EVENTS];

	/* Give slow readers a moment for their last answers. */
	while (control_pending_output() > 0 && fp_now_ns() < end) {
		control_flush_all();
		if (control_pending_output() == 0)
			break;
		(void)epoll_wait(sv->epfd, evs, MAX_EVENTS, 10);
		control_write_pending();
	}
	control_close_all();
	http_close_all();
	log_info("shutdown", "tasks_ok=%llu tasks_failed=%llu",
	    (unsigned long long)sv->cnt.tasks_ok,
	    (unsigned long long)sv->cnt.tasks_failed);
	exit(0);		/* atexit removes the socket and the pidfile */
}

/* Shutdown progress, checked once per loop iteration. */
static void
shutdown_step(void)
{
	uint64_t now;

	if (sv->state == SV_RUNNING)
		return;
	now = fp_now_ns();
	if (sv->state == SV_DRAINING) {
		if (sv->nactive == 0)
			begin_stop("drained");
		else if (now >= sv->drain_deadline_ns)
			begin_stop("shutdown-timeout");
		else
			return;
	}
	/* Sources write their last answers and give back the rest. */
	if (pool_alive() == 0 && source_stopped())
		finish();
	if (now >= stop_deadline_ns) {
		log_warnx("shutdown_kill", "workers=%d", pool_alive());
		pool_kill();
		stop_deadline_ns = UINT64_MAX;
	}
}

void
supervisor(void)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t	 ticks, answered = 0, slept;
	uint32_t	 slot;
	struct timespec	 lts;
	int		 i, n, timeout, lazy, work;
	char		 q[FP_SOCKPATH_MAX * 4 + 3];

	sv->pid = getpid();
	sv->started_ns = sv->now_ns = fp_now_ns();
	{
		struct timespec	 ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sv->started_wall = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	}
	setproctitle("supervisor");
	pool_init();
	source_start();
	log_info("start", "pid=%d workers=%d socket=%s", (int)sv->pid,
	    sv->conf.workers, log_quote(sv->conf.socket, q, sizeof(q)));

	for (;;) {
		/* Answers went out since the last time round. */
		work = sv->cnt.tasks_ok + sv->cnt.tasks_failed != answered;
		answered = sv->cnt.tasks_ok + sv->cnt.tasks_failed;
		n = -1;
		slept = 0;
		timeout = dispatch_sleep_prepare(&lazy) || control_busy() ? 0 : -1;
		/* Workers busy with queued tasks: batch, do not spin. */
		if (timeout == -1 && !lazy && spin_wanted(work)) {
			/* Spin first (spin.h): workers need not wake us. */
			dispatch_sleep_cancel();
			if ((n = spin_supervisor(evs, MAX_EVENTS)) == -1)
				timeout = dispatch_sleep_prepare(&lazy) ||
				    control_busy() ? 0 : -1;
		}
		if (n == -1) {
			if (timeout == -1 && lazy) {
				lts.tv_sec = 0;
				lts.tv_nsec = (long)dispatch_lazy_ns();
				n = lazy_wait(evs, &lts);
			} else {
				if (timeout == -1 && sv->conf.spin_us != 0)
					slept = fp_now_ns();
				n = epoll_wait(sv->epfd, evs, MAX_EVENTS,
				    timeout);
			}
			if (n == -1) {
				if (errno == EINTR)
					continue;
				fatal("epoll_wait", NULL);
			}
		}
		/* One clock read per iteration serves every task it handles. */
		sv->now_ns = fp_now_ns();
		if (slept != 0)
			spin_supervisor_slept(sv->now_ns - slept);
		dispatch_sleep_cancel();
		for (i = 0; i < n; i++) {
			slot = (uint32_t)evs[i].data.u64;
			switch (evs[i].data.u64 >> 32) {
			case EV_LISTEN:
				control_accept();
				break;
			case EV_SIGNAL:
				handle_signals();
				break;
			case EV_TIMER:
				(void)!read(sv->tfd, &ticks, sizeof(ticks));
				dispatch_tick(fp_now_ns());
				pool_tick();
				source_tick(sv->now_ns);
				http_tick(sv->now_ns);
				idle_trim();
				break;
			case EV_CONN:
				control_event_slot(slot, evs[i].events);
				break;
			case EV_HTTP_LISTEN:
			case EV_HTTP_CONN:
				http_event((int)(evs[i].data.u64 >> 32), slot,
				    evs[i].events);
				break;
			case EV_WORKER:
				break;	/* rings are drained below */
			case EV_PIDFD:
				pool_reap_slot(slot);
				break;
			case EV_REDIS:
				rconn_event(slot, evs[i].events);
				break;
			case EV_WSTDERR:
				pool_stderr_event(slot);
				break;
			}
		}
		dispatch_results_all();
		/* Task limits reached, retiring workers now idle. */
		pool_check();
		control_resume_all();
		if (sv->state != SV_STOPPING) {
			dispatch_run();
			dispatch_publish();
		}
		source_run();
		control_flush_all();
		shutdown_step();
	}
}
