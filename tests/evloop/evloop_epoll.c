/*
 * evloop_epoll.c -- the epoll walk-through of forkpool(3) grown into a
 * test: one thread, several clients made with fp_client_connect, up to
 * `depth' requests in flight on each, completions taken by msgid.
 *
 *	evloop_epoll [-c conns] [-d depth] [-n requests] [-S pid] socket
 *
 * Half the clients are level-triggered, their interest set to
 * fp_client_events after each round; the other half are edge-triggered,
 * registered once for EPOLLIN | EPOLLOUT and drained to FP_AGAIN after
 * every event.  A client that is connecting is not registered at all
 * (its socket would poll ready at once); its retries come from the
 * epoll_wait timeout, fp_client_timeout.
 *
 * With -S, the daemon (pid) is stopped and its listen backlog filled
 * before the clients connect, so that they start connecting; they must
 * wait without spinning, and complete once the daemon is continued.
 *
 * Exits 0 when every request got its one right completion, with writes
 * that met a full socket (so POLLOUT was needed); 1 otherwise.
 */
#include <sys/types.h>
#include <sys/epoll.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkpool.h"
#include "work.h"

#define MAXCONNS	16
#define DEADLINE_MS	120000	/* the whole run, well inside the runner's */

struct cl {
	struct fp_client	*c;
	int			 et;	/* edge-triggered */
	int			 reg;	/* registered events, -1: not */
	struct work		 w;
};

static struct cl	 cls[MAXCONNS];
static int		 nconns = 4, depth = 32, ep = -1;
static uint32_t		 nreq = 1000;
static unsigned long	 nfull, nout, nwakeups;

/*
 * interest: tell epoll what the client waits for.  Level-triggered:
 * exactly fp_client_events (POLLIN and POLLOUT have the values of EPOLLIN
 * and EPOLLOUT).  Edge-triggered: both, once, from when it is connected;
 * POLLOUT then costs nothing while the socket stays writable.
 */
static void
interest(struct cl *k)
{
	struct epoll_event	 e;
	int			 ev = fp_client_events(k->c), op;

	memset(&e, 0, sizeof(e));
	if (ev == 0) {
		/* Connecting: nothing to wait for on the socket. */
		if (k->reg != -1 && epoll_ctl(ep, EPOLL_CTL_DEL,
		    fp_client_fd(k->c), &e) == -1)
			w_fail("epoll_ctl: %s", strerror(errno));
		k->reg = -1;
		return;
	}
	if (k->reg != -1 && (k->et || ev == k->reg))
		return;
	e.data.ptr = k;
	e.events = k->et ? EPOLLIN | EPOLLOUT | EPOLLET : (uint32_t)ev;
	op = k->reg == -1 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(ep, op, fp_client_fd(k->c), &e) == -1)
		w_fail("epoll_ctl: %s", strerror(errno));
	k->reg = ev;
}

/*
 * drain: after any event or an expired timeout, take every completion
 * until FP_AGAIN: the socket has then been read to EAGAIN and written
 * until empty or EAGAIN, which is what edge-triggered epoll needs.
 */
static void
drain(struct cl *k)
{
	struct fp_result	 res;
	char			 err[256];
	int			 r;

	while ((r = fp_client_next(k->c, &res, 0, err, sizeof(err))) == 0)
		w_check(&k->w, &res);	/* res is valid until the next call */
	if (r == -1)
		w_fail("client %d: %s", k->w.client, err);
}

/* top_up: keep `depth' requests in flight, then write them at once. */
static void
top_up(struct cl *k)
{
	int	 r;

	while (k->w.issued - k->w.done < (uint32_t)depth &&
	    k->w.issued < k->w.count) {
		w_submit(&k->w, k->c);
		/* A notification now and then: no completion may follow. */
		if (k->w.issued % 97 == 0 &&
		    fp_client_notify(k->c, "echo", "\x91\x01", 2) == -1)
			w_fail("notify: %s", strerror(errno));
	}
	if ((r = fp_client_flush(k->c)) == -1)
		w_fail("client %d: write: %s", k->w.client, strerror(errno));
	if (r == FP_AGAIN && fp_client_timeout(k->c) == -1)
		nfull++;		/* connected, and the socket is full */
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 evs[MAXCONNS];
	struct cl		*k;
	char			 err[256];
	int64_t			 deadline, t0;
	unsigned long		 held_wakeups = 0;
	uint32_t		 total = 0, done;
	const char		*path;
	pid_t			 pid = 0;
	int			*fillers = NULL, nfill = 0, i, n, tmo, t;

	path = w_options(argc, argv, "evloop_epoll", MAXCONNS, &nconns, &depth,
	    &nreq, &pid);

	if (pid > 0)
		nfill = fill_backlog(pid, path, &fillers);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		w_fail("epoll_create1: %s", strerror(errno));
	for (i = 0; i < nconns; i++) {
		k = &cls[i];
		if ((k->c = fp_client_connect(path, err,
		    sizeof(err))) == NULL)
			w_fail("%s", err);
		k->et = i % 2;
		k->reg = -1;
		w_init(&k->w, i, nreq);
		total += nreq;
		if (pid > 0 && (fp_client_events(k->c) != 0 ||
		    fp_client_timeout(k->c) < 0))
			w_fail("client %d: not connecting with the daemon's "
			    "backlog full (%d connections)", i, nfill);
	}

	t0 = now_ms();
	deadline = t0 + DEADLINE_MS;
	for (;;) {
		for (i = 0, done = 0; i < nconns; i++) {
			top_up(&cls[i]);
			interest(&cls[i]);
			done += cls[i].w.done;
		}
		if (done == total)
			break;

		/* The nearest connect retry, if any client is connecting. */
		tmo = deadline - now_ms();
		if (tmo <= 0)
			w_fail("%u of %u completions after %d s", done, total,
			    DEADLINE_MS / 1000);
		for (i = 0; i < nconns; i++)
			if ((t = fp_client_timeout(cls[i].c)) >= 0 && t < tmo)
				tmo = t;
		if ((n = epoll_wait(ep, evs, MAXCONNS, tmo)) == -1) {
			if (errno == EINTR)
				continue;
			w_fail("epoll_wait: %s", strerror(errno));
		}
		nwakeups++;
		for (i = 0; i < n; i++) {
			k = evs[i].data.ptr;
			if (evs[i].events & EPOLLOUT &&
			    fp_client_pending_output(k->c) > 0)
				nout++;
			drain(k);
		}
		for (i = 0; i < nconns; i++)
			if (fp_client_timeout(cls[i].c) == 0)
				drain(&cls[i]);

		/*
		 * The daemon held: every client keeps connecting, waking
		 * only for its retries.  Then let the daemon go.
		 */
		if (stopped > 0) {
			held_wakeups++;
			for (i = 0; i < nconns; i++)
				if (fp_client_timeout(cls[i].c) < 0)
					w_fail("client %d connected to a "
					    "stopped daemon", i);
			if (now_ms() - t0 >= 300) {
				if (held_wakeups > 300)
					w_fail("%lu wake-ups in 300 ms while "
					    "connecting: spinning",
					    held_wakeups);
				resume_daemon();
				for (i = 0; i < nfill; i++)
					close(fillers[i]);
				free(fillers);
				fillers = NULL;
			}
		}
	}

	for (i = 0; i < nconns; i++) {
		w_finish(&cls[i].w);
		/* Nothing more may come: the notifications had no answer. */
		drain(&cls[i]);
		fp_client_close(cls[i].c);
		w_free(&cls[i].w);
	}
	close(ep);
	if (nfull == 0 || nout == 0)
		w_fail("no write met a full socket (%lu) or no EPOLLOUT "
		    "(%lu): POLLOUT was not tested", nfull, nout);
	printf("evloop_epoll: %d clients, %u requests, %lu ms, %lu "
	    "wake-ups, %lu full writes, %lu EPOLLOUT", nconns, total,
	    (unsigned long)(now_ms() - t0), nwakeups, nfull, nout);
	if (pid > 0)
		printf(", backlog of %d held, %lu wake-ups while connecting",
		    nfill, held_wakeups);
	printf("\n");
	return 0;
}
