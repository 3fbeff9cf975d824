/*
 * pool.c -- the supervisor's side of worker processes: create each
 * worker's segment and eventfds, fork it, notice its death through its
 * pidfd, and replace it, backing off when workers die young.  Workers are
 * recycled (max-tasks-per-worker, max-worker-rss) and replaced by a new
 * generation on reload: the replacement starts first, in a free slot, and
 * the old worker retires once it holds no task.
 *
 * Slots: sv->nslots is the high-water mark.  A slot with `respawn' set is
 * one of the conf.workers slots kept filled (running, or waiting to be
 * respawned); a retiring worker's slot has it clear and is free once the
 * worker is reaped.
 */
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <bsd/unistd.h>

#include "forkpool.h"
#include "daemon.h"
#include "dispatch.h"
#include "handlers.h"
#include "log.h"
#include "pool.h"
#include "spin.h"
#include "stats.h"
#include "worker.h"

#define BACKOFF_MIN_MS	100
#define RETIRE_GRACE_MS	2000	/* SIGTERM to SIGKILL for a retired worker */
#define LOG_DRAIN_TICK	1000	/* log records read a tick, per worker */
#define STDERR_EVENT	(64 << 10)	/* stderr bytes read an event */
#define STDERR_DEATH	(1 << 20)	/* and when the worker is gone */
/*
 * Lines a second written of each worker, from its log ring and from its
 * stderr: a plug-in that logs or prints per task lets a client choose how
 * much is written.  Past them, lines are read all the same (the worker
 * never waits) and counted, and worker_log_suppressed says how many.
 */
#define LOG_LINES_PER_S	1000
#define STDERR_LINES_PER_S 200

static int	 have_pidfd = -1;
static int	 retiring_hint;		/* a worker may be retiring */
static int	 noslot_logged;		/* "no free slot" said once */
static int	 bound_logged;		/* "at the process bound" said once */
static uint64_t	 spawn_failing;		/* failed spawns since one worked */
static uint64_t	 log_suppressed;	/* worker lines past the limits */

static void	lost(struct worker *, int);
static void	fill(void);

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

static int
epoll_add(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev);
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
	close_fd(&w->errfd);
	w->errlen = 0;
	close_fd(&w->pidfd);
	close_fd(&w->sup_efd);
	close_fd(&w->wrk_efd);
	fp_seg_destroy(&w->seg);
	dispatch_worker_free(w);
	w->stats = NULL;
	w->pid = 0;
	w->kill_ns = 0;
	w->state = W_EMPTY;
}

static void
schedule_respawn(struct worker *w, uint64_t delay_ms)
{
	w->respawn_ns = fp_now_ns() + delay_ms * 1000000ULL;
}

/* max-tasks-per-worker with +-10 % jitter, so workers do not retire together. */
static uint64_t
task_limit(void)
{
	uint64_t	 m = sv->conf.max_tasks_per_worker, j = m / 10;

	if (m == 0)
		return 0;
	return m - j + arc4random_uniform((uint32_t)(2 * j + 1));
}

/*
 * A step of starting a worker failed (no file descriptor, no memory, no
 * process): logged once until a worker starts again, then quietly counted,
 * so that a pool short of descriptors does not flood the log.
 */
static void
spawn_failed(struct worker *w, const char *step)
{
	sv->cnt.spawn_failures++;
	if (spawn_failing++ == 0)
		log_warn("worker_spawn", "worker=%d msg=\"%s failed; retrying "
		    "with back-off\"", w->slot, step);
	else
		log_debug("worker_spawn", "worker=%d msg=\"%s failed\" "
		    "failures=%llu", w->slot, step,
		    (unsigned long long)spawn_failing);
}

/*
 * In the child pool_spawn forked for w: leave only what this worker
 * needs, its own segment and eventfds (as 3 and 4), and standard error,
 * the pipe `errw' that the supervisor reads and logs.  Every other
 * worker's mapping and every descriptor of the supervisor go; standard
 * input and output (a terminal or whatever the daemon was started with)
 * become /dev/null.  Then the worker runs.
 */
static void __attribute__((noreturn))
child(struct worker *w, int errw)
{
	struct worker_spec ws;
	int		 i, a, b, e, null;

	for (i = 0; i < sv->nslots; i++) {
		struct worker *o = &sv->workers[i];

		if (o != w && o->seg.base != NULL)
			fp_seg_destroy(&o->seg);
	}
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1)
		fatal("worker_fds", NULL);
	if (null > STDERR_FILENO)
		close(null);
	if ((a = fcntl(w->sup_efd, F_DUPFD_CLOEXEC, 5)) == -1 ||
	    (b = fcntl(w->wrk_efd, F_DUPFD_CLOEXEC, 5)) == -1 ||
	    (e = fcntl(errw, F_DUPFD_CLOEXEC, 5)) == -1 ||
	    dup3(a, 3, O_CLOEXEC) == -1 || dup3(b, 4, O_CLOEXEC) == -1 ||
	    dup2(e, STDERR_FILENO) == -1)
		fatal("worker_fds", NULL);
	closefrom(5);

	memset(&ws, 0, sizeof(ws));
	ws.slot = w->slot;
	ws.ppid = sv->pid;
	ws.conf = &sv->conf;
	ws.seg = &w->seg;
	ws.stats = w->stats;
	ws.sup_efd = 3;
	ws.wrk_efd = 4;
	ws.test_crash = sv->conf.test_handlers && pool_test_crash();
	worker_child(&ws);
}

int
pool_spawn(struct worker *w)
{
	char		 name[32];
	const char	*step;
	pid_t		 pid;
	uint32_t	 nh = handler_count();
	int		 status, ep[2] = { -1, -1 };

	snprintf(name, sizeof(name), "forkpool-worker-%d", w->slot);
	w->pidfd = w->sup_efd = w->wrk_efd = w->errfd = -1;
	w->errlen = 0;
	w->logbad = 0;
	w->pid = 0;
	/* Its predecessor's counts were said when it was lost. */
	memset(&w->errlim, 0, sizeof(w->errlim));
	memset(&w->loglim, 0, sizeof(w->loglim));
	/* The stats block, a block per handler (the table is fixed), logs. */
	if (fp_seg_create(&w->seg, name, wire_size(nh),
	    sv->conf.ring_size, sv->conf.blob_size) == -1) {
		spawn_failed(w, "shared memory");
		goto fail;
	}
	w->stats = fp_seg_user(&w->seg);
	/* The worker writes it with no wake-up: we read it on the tick. */
	if (fp_ring_format(wire_log_ring(w->stats, nh), WLOG_RING_SIZE) == -1 ||
	    fp_ring_attach(&w->logr, wire_log_ring(w->stats, nh),
	    WLOG_RING_SIZE, 0, -1) == -1) {
		spawn_failed(w, "ring_attach");
		goto fail;
	}
	if ((w->sup_efd = fp_notify_open()) == -1 ||
	    (w->wrk_efd = fp_notify_open()) == -1) {
		spawn_failed(w, "eventfd");
		goto fail;
	}
	if (fp_ring_attach(&w->tx, fp_seg_ring(&w->seg, 0), w->seg.ringsize,
	    1, w->wrk_efd) == -1 ||
	    fp_ring_attach(&w->rx, fp_seg_ring(&w->seg, 1), w->seg.ringsize,
	    0, w->wrk_efd) == -1 ||
	    fp_ring_attach(&w->btx, fp_seg_ring(&w->seg, 2), w->seg.blobsize,
	    1, w->wrk_efd) == -1 ||
	    fp_ring_attach(&w->brx, fp_seg_ring(&w->seg, 3), w->seg.blobsize,
	    0, w->wrk_efd) == -1) {
		spawn_failed(w, "ring_attach");
		goto fail;
	}
	fp_ring_set_rewind(&w->btx);
	fp_ring_set_rewind(&w->brx);
	/*
	 * Its stderr: ours is the read end, non-blocking; its end blocks,
	 * so that a crash report is not lost to a full pipe.
	 */
	if (pipe2(ep, O_CLOEXEC) == -1) {
		spawn_failed(w, "pipe");
		goto fail;
	}
	w->errfd = ep[0];
	if (fcntl(w->errfd, F_SETFL, O_NONBLOCK) == -1) {
		close(ep[1]);
		spawn_failed(w, "pipe");
		goto fail;
	}
	switch (pid = fork()) {
	case -1:
		close(ep[1]);
		spawn_failed(w, "fork");
		goto fail;
	case 0:
		child(w, ep[1]);
	default:
		break;
	}
	close(ep[1]);
	/*
	 * From here a failed step kills the child, which has not taken a
	 * task: a spawn is all or nothing.
	 */
	w->pid = pid;
	step = NULL;
	if (pool_have_pidfd() && (w->pidfd = pidfd_open_compat(pid)) == -1)
		step = "pidfd_open";
	/* Edge-triggered: every eventfd write is one event, never read. */
	else if (epoll_add(w->sup_efd, EPOLLIN | EPOLLET,
	    EV_TAG(EV_WORKER, w->slot)) == -1)
		step = "epoll_ctl";
	else if (w->pidfd != -1 && epoll_add(w->pidfd, EPOLLIN,
	    EV_TAG(EV_PIDFD, w->slot)) == -1)
		step = "epoll_ctl";
	else if (epoll_add(w->errfd, EPOLLIN, EV_TAG(EV_WSTDERR,
	    w->slot)) == -1)
		step = "epoll_ctl";
	if (step != NULL) {
		spawn_failed(w, step);
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		goto fail;
	}
	if (spawn_failing > 0) {
		log_info("worker_spawn", "worker=%d msg=\"started again\" "
		    "failures=%llu", w->slot,
		    (unsigned long long)spawn_failing);
		spawn_failing = 0;
	}
	/* A result message is the run's header and the result. */
	dispatch_worker_reset(w, RESULT_MAX(&sv->conf) +
	    sizeof(struct wire_run));
	w->task_limit = task_limit();
	w->kill_ns = 0;
	w->kill_reason = WX_CRASHED;
	w->generation = sv->generation;
	w->spawned_ns = fp_now_ns();
	w->rss_ns = 0;
	w->state = W_READY;
	sv->cnt.worker_spawns++;
	stats_worker_started(w);
	log_info("worker_start", "worker=%d pid=%d generation=%u", w->slot,
	    (int)pid, w->generation);
	return 0;
fail:
	release(w);
	schedule_respawn(w, sv->conf.respawn_backoff_max_ms);
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
		sv->workers[i].errfd = -1;
		dispatch_worker_reset(&sv->workers[i], 0);
	}
	sv->nslots = 0;
	if (sv->conf.test_handlers && pool_test_crash())
		log_warnx("test_worker_crash", "msg=\"FORKPOOL_TEST_WORKER_CRASH"
		    "=1: every worker aborts when it starts\"");
	fill();
}

int
pool_test_crash(void)
{
	const char	*e = getenv("FORKPOOL_TEST_WORKER_CRASH");

	return e != NULL && strcmp(e, "1") == 0;
}

/* ---- what workers say: their log rings and stderr ---------------------- */

/*
 * Whether the event name a worker wrote is one we write as is: one logfmt
 * word, printable ASCII without `=', `"' or `\', the names host_log
 * (plugin_host.c) makes of what a plug-in passes.
 */
static int
event_ok(const uint8_t *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '=' ||
		    s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

uint64_t
pool_log_suppressed(void)
{
	return log_suppressed;
}

/* Say that `n' lines of w from `what' (log or stderr) were not written. */
static void
said_suppressed(struct worker *w, const char *what, uint64_t n)
{
	if (n > 0)
		log_warnx("worker_log_suppressed", "worker=%d pid=%d what=%s "
		    "suppressed=%llu", w->slot, (int)w->pid, what,
		    (unsigned long long)n);
}

/*
 * Lines held back in a second that is over, not said yet since no line
 * came after them (every tick); with `all' (the worker is gone), those
 * of the current second too.
 */
static void
say_suppressed(struct worker *w, uint64_t now, int all)
{
	uint64_t	 n;

	if (all) {
		said_suppressed(w, "log", w->loglim.held);
		said_suppressed(w, "stderr", w->errlim.held);
		w->loglim.held = w->errlim.held = 0;
		return;
	}
	if (log_limit_idle(&w->loglim, now, &n))
		said_suppressed(w, "log", n);
	if (log_limit_idle(&w->errlim, now, &n))
		said_suppressed(w, "stderr", n);
}

/*
 * Write up to `max' records of w's log ring as lines of ours, tagged
 * worker= pid=.  Every record is the worker's claim: its type, lengths
 * and level are checked, its event is written only if it is a plain
 * name (else event=worker_log) and its fields go through log_escape.  A
 * ring that breaks the format is not read again and is a protocol
 * violation (with `dead', the worker is gone already: only said).  A
 * worker killed for another violation still has its lines read: they may
 * say why.  The worker is never woken: it does not wait for room.  Past
 * LOG_LINES_PER_S lines a second, records are read and only counted.
 */
static void
drain_log(struct worker *w, uint32_t max, int dead)
{
	struct fp_rec	 rec;
	struct wire_log	 wl;
	uint8_t		 buf[sizeof(wl) + UINT8_MAX + WLOG_LINE_MAX];
	static const char *const reserved[] = { "ts", "level", "event",
		"worker", "pid", NULL };
	char		 ev[65], f[4 * WLOG_LINE_MAX + 3];
	const uint8_t	*p;
	const char	*why = NULL;
	uint64_t	 now = fp_now_ns(), held;
	uint32_t	 n;
	size_t		 len;
	int		 r;

	if (w->stats == NULL || w->logbad)
		return;
	for (n = 0; n < max; n++) {
		if ((r = fp_ring_peek(&w->logr, &rec)) == FP_AGAIN)
			break;
		if (r == -1) {
			why = "log ring corrupt";
			break;
		}
		if (rec.type != FP_REC_CTRL || rec.flags != 0 ||
		    rec.len < sizeof(wl) || rec.len > sizeof(buf)) {
			why = "bad log record";
			break;
		}
		/* The worker may still write there: copy, then check. */
		len = rec.len;
		memcpy(buf, rec.data, len);
		fp_ring_consume(&w->logr);
		memcpy(&wl, buf, sizeof(wl));
		if (wl.level > LOG_LVL_DEBUG || wl.fieldlen > WLOG_LINE_MAX ||
		    sizeof(wl) + wl.evlen + wl.fieldlen != len) {
			why = "bad log record";
			break;
		}
		if (!log_limited_n(&w->loglim, LOG_LINES_PER_S, now, &held)) {
			log_suppressed++;
			continue;
		}
		said_suppressed(w, "log", held);
		if (event_ok(buf + sizeof(wl), wl.evlen)) {
			memcpy(ev, buf + sizeof(wl), wl.evlen);
			ev[wl.evlen] = '\0';
		} else
			strlcpy(ev, "worker_log", sizeof(ev));
		/*
		 * Fields that are not plain logfmt (a plug-in that put a
		 * client's text in unquoted) go out as one quoted value, so
		 * that a worker cannot add fields after the supervisor's.
		 */
		p = buf + sizeof(wl) + wl.evlen;
		if (log_fields_ok(p, wl.fieldlen, reserved))
			log_at(wl.level, ev, "worker=%d pid=%d%s%s", w->slot,
			    (int)w->pid, wl.fieldlen > 0 ? " " : "",
			    log_escape(p, wl.fieldlen, f, sizeof(f)));
		else
			log_at(wl.level, ev, "worker=%d pid=%d fields=%s",
			    w->slot, (int)w->pid,
			    log_quoten(p, wl.fieldlen, f, sizeof(f)));
	}
	(void)fp_ring_release(&w->logr);
	if (why == NULL)
		return;
	w->logbad = 1;
	log_warnx("worker_protocol", "worker=%d pid=%d msg=\"%s\"", w->slot,
	    (int)w->pid, why);
	if (!dead && w->violation == NULL) {
		sv->cnt.worker_protocol_errors++;
		pool_kill_violator(w, why);
	}
}

/*
 * One line (or a piece of a long one) of w's stderr; past
 * STDERR_LINES_PER_S lines a second, only counted.
 */
static void
err_flush(struct worker *w)
{
	char		 q[4 * sizeof(w->errline) + 3];
	uint64_t	 held;

	if (w->errlen > 0) {
		if (log_limited_n(&w->errlim, STDERR_LINES_PER_S, sv->now_ns,
		    &held)) {
			said_suppressed(w, "stderr", held);
			log_warnx("worker_stderr", "worker=%d pid=%d line=%s",
			    w->slot, (int)w->pid, log_quoten(w->errline,
			    w->errlen, q, sizeof(q)));
		} else
			log_suppressed++;
	}
	w->errlen = 0;
}

/* Split what w wrote into lines; an unfinished one waits in errline. */
static void
err_feed(struct worker *w, const char *p, size_t n)
{
	const char	*nl;
	size_t		 k, room;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		room = sizeof(w->errline) - w->errlen;
		if (k > room) {
			/* Longer than a line may be: a piece of it. */
			memcpy(w->errline + w->errlen, p, room);
			w->errlen += room;
			err_flush(w);
			p += room;
			n -= room;
			continue;
		}
		memcpy(w->errline + w->errlen, p, k);
		w->errlen += k;
		p += k;
		n -= k;
		if (nl != NULL) {
			err_flush(w);
			p++;
			n--;
		}
	}
}

/* Read up to `max' bytes of w's stderr; at its end, stop watching it. */
static void
err_read(struct worker *w, size_t max)
{
	char		 buf[8192];
	size_t		 total = 0;
	ssize_t		 r;

	while (w->errfd != -1 && total < max) {
		r = read(w->errfd, buf, sizeof(buf));
		if (r > 0) {
			err_feed(w, buf, (size_t)r);
			total += (size_t)r;
		} else if (r == -1 && errno == EINTR)
			continue;
		else if (r == -1 && errno == EAGAIN)
			break;
		else {
			/* Closed by all its writers (or broken): done. */
			err_flush(w);
			close_fd(&w->errfd);
		}
	}
}

void
pool_stderr_event(uint32_t slot)
{
	if (slot < (uint32_t)sv->nslots)
		err_read(&sv->workers[slot], STDERR_EVENT);
}

_Static_assert(WX__COUNT == sizeof(((struct counters *)0)->worker_exits) /
    sizeof(uint64_t), "sv->cnt.worker_exits holds one counter per WX_*");

/* Why w's process ended (WX_*), for worker_exits. */
static int
exit_reason(const struct worker *w, int status)
{
	if (w->violation != NULL)
		return WX_PROTOCOL;
	if (sv->state == SV_STOPPING)
		return WX_SHUTDOWN;
	if (w->kill_ns != 0)
		return w->kill_reason;
	/* It said it was not ready, and exited on its own with a failure. */
	if (atomic_load_explicit(&w->stats->ready, memory_order_relaxed) == 0 &&
	    WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return WX_INIT_FAILED;
	return WX_CRASHED;
}

const char *
pool_exit_name(int why)
{
	static const char *const names[WX__COUNT] = {
		"crashed", "deadline", "cancelled", "protocol", "recycled",
		"retired", "init_failed", "shutdown"
	};

	return why >= 0 && why < WX__COUNT ? names[why] : "crashed";
}

const char *
pool_state_name(const struct worker *w)
{
	struct wire_cur	 c;

	switch (w->state) {
	case W_EMPTY:
		return "empty";
	case W_RETIRING:
		return "retiring";
	case W_STOPPING:
		return "stopping";
	}
	if (w->kill_ns != 0)
		return "stopping";
	/* Claims of its block: only a name to show. */
	if (atomic_load_explicit(&w->stats->ready, memory_order_relaxed) == 0)
		return "starting";
	if (wire_cur_read(w->stats, &c, 4) == -1)
		return "busy";		/* changing the task in flight */
	return c.id != 0 ? "busy" : "idle";
}

/* w's pidfd is readable: reap it, if it is gone. */
static void
reap(struct worker *w)
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
pool_reap_slot(uint32_t slot)
{
	struct worker	*w = &sv->workers[slot];

	if (w->state != W_EMPTY)
		reap(w);
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

/* The respawn delay after `deaths' consecutive early deaths (>= 2). */
static uint64_t
backoff_ms(uint32_t deaths)
{
	uint32_t	 shift = deaths - 2;
	uint64_t	 d;

	d = (uint64_t)BACKOFF_MIN_MS << (shift > 20 ? 20 : shift);
	return d > sv->conf.respawn_backoff_max_ms ?
	    sv->conf.respawn_backoff_max_ms : d;
}

/* Worker w is gone with wait status `status': account and replace it. */
static void
lost(struct worker *w, int status)
{
	uint64_t	 age, delay;
	int		 crash, young, retired, why;

	/* Results it published before dying are good: deliver them first. */
	if (w->state == W_READY || w->state == W_RETIRING)
		dispatch_results(w);
	/* What it said before it went, and what its block counted last. */
	drain_log(w, UINT32_MAX, 1);
	err_read(w, STDERR_DEATH);
	err_flush(w);
	say_suppressed(w, 0, 1);
	stats_fold(w, fp_now_ns());
	why = exit_reason(w, status);
	sv->cnt.worker_exits[why]++;
	if (WIFSIGNALED(status))
		log_info("worker_exit", "worker=%d pid=%d signal=%d tasks=%llu",
		    w->slot, (int)w->pid, WTERMSIG(status),
		    (unsigned long long)w->ld.tasks_done);
	else
		log_info("worker_exit", "worker=%d pid=%d status=%d tasks=%llu",
		    w->slot, (int)w->pid, WEXITSTATUS(status),
		    (unsigned long long)w->ld.tasks_done);
	/*
	 * Deaths the supervisor caused (a deadline, a cancel, a retirement,
	 * shutdown) are not crashes and do not count towards the back-off.
	 * A worker killed for breaking the protocol is: the supervisor only
	 * carried out what the worker asked for, and one that breaks it on
	 * every task must not be respawned in a tight loop.
	 */
	crash = sv->state != SV_STOPPING && ((w->state != W_STOPPING &&
	    w->kill_ns == 0) || w->violation != NULL);
	retired = w->state == W_RETIRING && w->kill_ns != 0 &&
	    w->ld.ninflight == 0;
	if (crash && w->violation == NULL)
		sv->cnt.worker_crashes++;
	dispatch_worker_lost(w, status);
	w->violation = NULL;
	age = fp_now_ns() - w->spawned_ns;
	young = crash && (w->ld.tasks_done == 0 ||
	    age < sv->conf.min_worker_age_ms * 1000000ULL);
	if (retired)
		log_info("worker_retired", "worker=%d pid=%d generation=%u "
		    "tasks=%llu", w->slot, (int)w->pid, w->generation,
		    (unsigned long long)w->ld.tasks_done);
	release(w);
	if (sv->state == SV_STOPPING || !w->respawn) {
		/* Retired, or replaced already: the slot is free. */
		w->early_deaths = 0;
		return;
	}
	if (!crash) {
		pool_spawn(w);
		return;
	}
	w->early_deaths = young ? w->early_deaths + 1 : 0;
	/* The first early death is replaced at once; a loop backs off. */
	if (w->early_deaths <= 1) {
		pool_spawn(w);
		return;
	}
	delay = backoff_ms(w->early_deaths);
	log_warnx("worker_backoff", "worker=%d deaths=%u delay_ms=%llu",
	    w->slot, w->early_deaths, (unsigned long long)delay);
	schedule_respawn(w, delay);
}

/*
 * A slot for a new worker: a free one below the high-water mark, else the
 * next one; -1 if all MAX_SLOTS are taken.
 */
static int
free_slot(void)
{
	int	 i;

	for (i = 0; i < sv->nslots; i++)
		if (sv->workers[i].state == W_EMPTY &&
		    !sv->workers[i].respawn)
			return i;
	if (sv->nslots < MAX_SLOTS)
		return sv->nslots++;
	return -1;
}

/*
 * Worker processes alive at most: twice `workers'.  Replacements (reload,
 * recycling) start before the workers they replace stop, and a retiring
 * worker may hold a long task; without a bound, reloads in a loop would
 * pile up generations of retiring workers.
 */
static int
max_alive(void)
{
	return 2 * sv->conf.workers;
}

static int
alive_count(void)
{
	int	 i, n = 0;

	for (i = 0; i < sv->nslots; i++)
		if (sv->workers[i].state != W_EMPTY)
			n++;
	return n;
}

/*
 * A worker of an older generation still kept filled: it serves until a
 * worker of this generation can replace it.
 */
static int
stale(const struct worker *w)
{
	return w->respawn && w->state == W_READY &&
	    w->generation != sv->generation;
}

/* Whether no worker may start now (said once until one may again). */
static int
at_bound(void)
{
	int	 n = alive_count();

	if (n < max_alive()) {
		bound_logged = 0;
		return 0;
	}
	if (!bound_logged)
		log_info("worker_bound", "alive=%d max=%d retiring=%d "
		    "msg=\"twice workers are alive: replacements wait for "
		    "retiring workers\"", n, max_alive(), pool_retiring());
	bound_logged = 1;
	return 1;
}

/* Start a worker in a free slot, kept filled from now on; its slot or -1. */
static int
spawn_extra(void)
{
	struct worker	*w;
	int		 i;

	if (at_bound())
		return -1;
	if ((i = free_slot()) == -1) {
		if (!noslot_logged)
			log_warnx("worker_slots", "msg=\"all %d worker slots "
			    "are in use; waiting for retiring workers\"",
			    MAX_SLOTS);
		noslot_logged = 1;
		return -1;
	}
	noslot_logged = 0;
	w = &sv->workers[i];
	w->respawn = 1;
	w->early_deaths = 0;
	if (pool_spawn(w) == -1) {
		/* Not now: give the slot back. */
		w->respawn = 0;
		return -1;
	}
	return i;
}

static void	retire(struct worker *);

/*
 * Retire one worker of an older generation, an idle one first; with
 * idle_only, none if all are busy.  Returns 0, or -1 if none was retired.
 */
static int
retire_stale(int idle_only)
{
	struct worker	*w, *busy = NULL;
	int		 i;

	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (!stale(w))
			continue;
		if (w->ld.ninflight == 0 && w->ld.partial == NULL) {
			retire(w);
			return 0;
		}
		if (busy == NULL)
			busy = w;
	}
	if (busy == NULL || idle_only)
		return -1;
	retire(busy);
	return 0;
}

/*
 * Keep conf.workers slots of this generation filled (start-up, reload,
 * slots that ran out), each new worker replacing one of an older
 * generation, within max_alive().  At the bound, idle workers of an older
 * generation make room (they stop at once; the next tick starts their
 * replacements); busy ones serve on until retiring workers that finish
 * make room, or retire themselves if none is retiring.
 */
static void
fill(void)
{
	int	 i, n, have = 0, nstale = 0;

	for (i = 0; i < sv->nslots; i++) {
		if (stale(&sv->workers[i]))
			nstale++;
		else if (sv->workers[i].respawn)
			have++;
	}
	while (have < sv->conf.workers) {
		if (at_bound()) {
			/* Room for the missing ones, as far as idle ones go. */
			for (n = 0; have + n < sv->conf.workers && n < nstale;
			    n++)
				if (retire_stale(1) == -1)
					break;
			/*
			 * Busy ones only, and nothing retiring that would make
			 * room: one of them retires after the tasks it holds,
			 * or a loaded pool would never be renewed.
			 */
			if (n == 0 && nstale > 0 && pool_retiring() == 0)
				(void)retire_stale(0);
			return;
		}
		if (spawn_extra() == -1)
			return;
		have++;
		if (nstale > 0 && retire_stale(0) == 0)
			nstale--;
	}
	/* As many as configured are of this generation: the rest go. */
	while (nstale-- > 0 && retire_stale(0) == 0)
		;
}

/* Stop w once it holds no task: SIGTERM, SIGKILL if it lingers. */
static void
retire_step(struct worker *w)
{
	if (w->state != W_RETIRING || w->kill_ns != 0 || w->ld.ninflight > 0 ||
	    w->ld.partial != NULL)
		return;
	log_debug("worker_stop", "worker=%d pid=%d msg=retired", w->slot,
	    (int)w->pid);
	kill(w->pid, SIGTERM);
	w->kill_ns = fp_now_ns() + RETIRE_GRACE_MS * 1000000ULL;
}

/*
 * w takes no new task from now on and stops when it holds none; its slot
 * is not refilled (its replacement has another).
 */
static void
retire(struct worker *w)
{
	w->respawn = 0;
	if (w->state != W_READY)
		return;		/* stopping already, or empty */
	if (w->kill_reason != WX_RECYCLED)
		w->kill_reason = WX_RETIRED;
	w->state = W_RETIRING;
	retiring_hint = 1;
	/* Records not yet published would never reach it otherwise. */
	dispatch_publish_worker(w);
	retire_step(w);
}

/* Resident set of w in bytes (/proc/PID/statm), 0 if unknown. */
static uint64_t
rss_read(const struct worker *w)
{
	char		 path[64], buf[128];
	unsigned long long size, res;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)w->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &res) != 2)
		return 0;
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

#define RSS_MAX_AGE_NS	(100 * 1000000ULL)

uint64_t
pool_rss_bytes(struct worker *w)
{
	uint64_t	 now = fp_now_ns();

	if (w->rss_ns == 0 || now - w->rss_ns >= RSS_MAX_AGE_NS) {
		w->rss = rss_read(w);
		w->rss_ns = now;
	}
	return w->rss;
}

/* Replace w by a new worker first, then retire it. */
static void
recycle(struct worker *w, const char *why, uint64_t val, uint64_t limit)
{
	int	 n;

	/* A task half written to its ring: finish it first. */
	if (w->ld.partial != NULL)
		return;
	if ((n = spawn_extra()) == -1)
		return;		/* no slot: try again on a later check */
	w->kill_reason = WX_RECYCLED;
	log_info("worker_recycle", "worker=%d pid=%d reason=%s value=%llu "
	    "limit=%llu tasks=%llu replacement=%d", w->slot, (int)w->pid, why,
	    (unsigned long long)val, (unsigned long long)limit,
	    (unsigned long long)w->ld.tasks_done, n);
	sv->cnt.workers_recycled++;
	retire(w);
}

void
pool_check(void)
{
	struct worker	*w;
	int		 i, any = 0;

	if (sv->state == SV_STOPPING)
		return;
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (w->state == W_READY && w->task_limit != 0 &&
		    w->ld.tasks_done >= w->task_limit && w->kill_ns == 0 &&
		    w->respawn)
			recycle(w, "max-tasks-per-worker", w->ld.tasks_done,
			    w->task_limit);
		if (retiring_hint && w->state == W_RETIRING) {
			any = 1;
			retire_step(w);
		}
	}
	retiring_hint = any;
}

void
pool_tick(void)
{
	struct worker	*w;
	uint64_t	 now = fp_now_ns(), rss, age;
	uint64_t	 min_age = sv->conf.min_worker_age_ms * 1000000ULL;
	int		 i;

	/* Their logs and stats blocks, shutting down too. */
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (w->state == W_EMPTY)
			continue;
		drain_log(w, LOG_DRAIN_TICK, 0);
		say_suppressed(w, now, 0);
		stats_fold(w, now);
	}
	stats_tick(now);
	spin_tick();
	if (sv->state == SV_STOPPING)
		return;
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		/* Killed (a deadline, a cancel, retired) and still there. */
		if ((w->state == W_READY || w->state == W_RETIRING) &&
		    w->kill_ns != 0 && w->kill_ns != UINT64_MAX &&
		    now >= w->kill_ns) {
			log_warnx("worker_kill", "worker=%d pid=%d "
			    "msg=\"kill-grace passed\"", w->slot, (int)w->pid);
			kill(w->pid, SIGKILL);
			w->kill_ns = UINT64_MAX;
		}
		if (w->state == W_EMPTY && w->respawn && w->respawn_ns <= now)
			pool_spawn(w);
		if (w->state != W_READY || w->kill_ns != 0 || !w->respawn)
			continue;
		/* Alive past min-worker-age and useful: the loop is over. */
		age = now - w->spawned_ns;
		if (w->early_deaths > 0 && w->ld.tasks_done > 0 && age >= min_age)
			w->early_deaths = 0;
		if (sv->conf.max_worker_rss != 0 &&
		    (rss = pool_rss_bytes(w)) > sv->conf.max_worker_rss)
			recycle(w, "max-worker-rss", rss,
			    sv->conf.max_worker_rss);
	}
	fill();
	pool_check();
}

/*
 * Workers of older generations are replaced by fill(), each as soon as
 * its replacement has started (see max_alive()).
 */
void
pool_reload(void)
{
	struct worker	*w;
	int		 i, old = 0;

	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (w->state == W_EMPTY) {
			w->respawn = 0;	/* a back-off of the old generation */
			w->early_deaths = 0;
			continue;
		}
		if (w->generation == sv->generation)
			continue;
		if (w->state == W_READY)
			old++;
		/* Not kept filled (none should be): nothing replaces it. */
		if (!w->respawn)
			retire(w);
	}
	fill();
	log_info("reload_workers", "generation=%u workers=%d retiring=%d "
	    "old=%d", sv->generation, sv->conf.workers, pool_retiring(), old);
}

/* How many slots are in `state'. */
static int
count_state(int state)
{
	int	 i, n = 0;

	for (i = 0; i < sv->nslots; i++)
		if (sv->workers[i].state == state)
			n++;
	return n;
}

/*
 * Kill a worker that holds a task past its deadline (or cancelled with
 * cancel-running kill): SIGTERM then SIGKILL after kill-grace (pool_tick),
 * or SIGKILL at once.  It takes no new tasks meanwhile; its results so far
 * are good.
 */
void
pool_kill_worker(struct worker *w, const char *why)
{
	if (w->kill_ns != 0)
		return;
	w->kill_reason = strcmp(why, "cancel") == 0 ? WX_CANCELLED :
	    WX_DEADLINE;
	log_info("worker_kill", "worker=%d pid=%d reason=%s grace_ms=%llu",
	    w->slot, (int)w->pid, why,
	    (unsigned long long)sv->conf.kill_grace_ms);
	if (sv->conf.kill_grace_ms > 0) {
		kill(w->pid, SIGTERM);
		w->kill_ns = fp_now_ns() + sv->conf.kill_grace_ms * 1000000ULL;
	} else {
		kill(w->pid, SIGKILL);
		w->kill_ns = UINT64_MAX;
	}
}

void
pool_kill_violator(struct worker *w, const char *why)
{
	/* What it logged so far may say why: before the kill's lines. */
	if (w->violation == NULL && !w->logbad)
		drain_log(w, LOG_DRAIN_TICK, 0);
	w->violation = why;
	w->state = W_STOPPING;
	if (w->kill_ns != UINT64_MAX) {
		kill(w->pid, SIGKILL);
		w->kill_ns = UINT64_MAX;
	}
}

int
pool_retiring(void)
{
	return count_state(W_RETIRING);
}

uint64_t
pool_backoff_ms(void)
{
	uint64_t	 d, max = 0;
	int		 i;

	for (i = 0; i < sv->nslots; i++) {
		if (!sv->workers[i].respawn || sv->workers[i].early_deaths < 2)
			continue;
		d = backoff_ms(sv->workers[i].early_deaths);
		if (d > max)
			max = d;
	}
	return max;
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
	return count_state(W_READY);
}
