/*
 * evloop_uv.c -- the libuv walk-through of forkpool(3) grown into a test:
 * one thread, no uv_work or thread pool, a uv_poll_t on fp_client_fd and
 * a uv_timer_t for the connect retries of each client, up to `depth'
 * requests in flight on each, completions taken by msgid.
 *
 *	evloop_uv [-c conns] [-d depth] [-n requests] [-S pid] socket
 *
 * -S as in evloop_epoll.c: the daemon is held stopped with its listen
 * backlog full for 300 ms, while the clients connect by their timers.
 *
 * Exits 0 when every request got its one right completion; 1 otherwise.
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "forkpool.h"
#include "work.h"

#define MAXCONNS	16
#define DEADLINE_MS	120000
#define HOLD_MS		300

struct cl {
	struct fp_client	*c;
	uv_poll_t		 poll;
	uv_timer_t		 retry;
	int			 polling;	/* uv events being polled */
	struct work		 w;
};

static struct cl	 cls[MAXCONNS];
static int		 nconns = 4, depth = 32, nclosing;
static uint32_t		 nreq = 1000, total, ndone;
static uv_timer_t	 deadline, hold;
static int		*fillers, nfill;
static unsigned long	 nretries, nfull, nwritable;

static void	 on_poll(uv_poll_t *, int, int);
static void	 on_retry(uv_timer_t *);

/*
 * update: after every call into the library, watch what it now waits
 * for: the socket (libuv's own flags, mapped from poll's), or, while
 * connecting, only the retry timer.
 */
static void
update(struct cl *k)
{
	int	 ev = fp_client_events(k->c), uvev = 0, tmo, r;

	if (ev & POLLIN)
		uvev |= UV_READABLE;
	if (ev & POLLOUT)
		uvev |= UV_WRITABLE;
	if (uvev != k->polling) {
		if (uvev == 0)
			uv_poll_stop(&k->poll);
		else if ((r = uv_poll_start(&k->poll, uvev, on_poll)) != 0)
			w_fail("uv_poll_start: %s", uv_strerror(r));
		k->polling = uvev;
	}
	if ((tmo = fp_client_timeout(k->c)) >= 0)
		uv_timer_start(&k->retry, on_retry, tmo, 0);
	else
		uv_timer_stop(&k->retry);
}

static void
on_close(uv_handle_t *h)
{
	nclosing--;
}

static void
finish(void)
{
	int	 i;

	uv_close((uv_handle_t *)&deadline, on_close);
	nclosing++;
	for (i = 0; i < nconns; i++) {
		uv_close((uv_handle_t *)&cls[i].poll, on_close);
		uv_close((uv_handle_t *)&cls[i].retry, on_close);
		nclosing += 2;
	}
}

/*
 * process: drain completions to FP_AGAIN (which also writes what is
 * queued and connects a connecting client), keep `depth' in flight.
 */
static void
process(struct cl *k)
{
	struct fp_result	 res;
	char			 err[256];
	int			 r;

	while ((r = fp_client_next(k->c, &res, 0, err, sizeof(err))) == 0) {
		w_check(&k->w, &res);
		ndone++;
	}
	if (r == -1)
		w_fail("client %d: %s", k->w.client, err);
	while (k->w.issued - k->w.done < (uint32_t)depth &&
	    k->w.issued < k->w.count)
		w_submit(&k->w, k->c);
	if ((r = fp_client_flush(k->c)) == -1)
		w_fail("client %d: write: %s", k->w.client, strerror(errno));
	if (r == FP_AGAIN && fp_client_timeout(k->c) == -1)
		nfull++;
	update(k);
	if (ndone == total && nclosing == 0)
		finish();
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct cl	*k = h->data;

	if (status < 0)
		w_fail("client %d: poll: %s", k->w.client,
		    uv_strerror(status));
	if (events & UV_WRITABLE && fp_client_pending_output(k->c) > 0)
		nwritable++;
	process(k);
}

static void
on_retry(uv_timer_t *t)
{
	struct cl	*k = t->data;

	nretries++;
	if (stopped > 0 && fp_client_events(k->c) != 0)
		w_fail("client %d connected to a stopped daemon", k->w.client);
	process(k);
}

static void
on_deadline(uv_timer_t *t)
{
	w_fail("%u of %u completions after %d s", ndone, total,
	    DEADLINE_MS / 1000);
}

static void
on_hold(uv_timer_t *t)
{
	int	 i;

	/* 300 ms of retries 1 to 64 ms apart: about 12 per client. */
	if (nretries > 50UL * nconns)
		w_fail("%lu connect retries in %d ms: spinning", nretries,
		    HOLD_MS);
	resume_daemon();
	for (i = 0; i < nfill; i++)
		close(fillers[i]);
	free(fillers);
	fillers = NULL;
	uv_close((uv_handle_t *)&hold, NULL);
}

int
main(int argc, char *argv[])
{
	uv_loop_t	 loop;
	struct cl	*k;
	char		 err[256];
	const char	*path;
	pid_t		 pid = 0;
	int		 i, r;

	path = w_options(argc, argv, "evloop_uv", MAXCONNS, &nconns, &depth,
	    &nreq, &pid);
	if ((r = uv_loop_init(&loop)) != 0)
		w_fail("uv_loop_init: %s", uv_strerror(r));

	if (pid > 0) {
		nfill = fill_backlog(pid, path, &fillers);
		uv_timer_init(&loop, &hold);
		uv_timer_start(&hold, on_hold, HOLD_MS, 0);
	}
	uv_timer_init(&loop, &deadline);
	uv_timer_start(&deadline, on_deadline, DEADLINE_MS, 0);
	for (i = 0; i < nconns; i++) {
		k = &cls[i];
		if ((k->c = fp_client_connect(path, err,
		    sizeof(err))) == NULL)
			w_fail("%s", err);
		if (pid > 0 && fp_client_events(k->c) != 0)
			w_fail("client %d: not connecting with the daemon's "
			    "backlog full (%d connections)", i, nfill);
		w_init(&k->w, i, nreq);
		total += nreq;
		/* The socket exists from the start, connected or not. */
		if ((r = uv_poll_init(&loop, &k->poll,
		    fp_client_fd(k->c))) != 0)
			w_fail("uv_poll_init: %s", uv_strerror(r));
		uv_timer_init(&loop, &k->retry);
		k->poll.data = k->retry.data = k;
		process(k);
	}

	uv_run(&loop, UV_RUN_DEFAULT);
	if (ndone != total || nclosing != 0)
		w_fail("loop ended with %u of %u completions", ndone, total);
	if ((r = uv_loop_close(&loop)) != 0)
		w_fail("uv_loop_close: %s", uv_strerror(r));
	for (i = 0; i < nconns; i++) {
		w_finish(&cls[i].w);
		fp_client_close(cls[i].c);
		w_free(&cls[i].w);
	}
	if (nfull == 0 || nwritable == 0)
		w_fail("no write met a full socket (%lu) or no UV_WRITABLE "
		    "(%lu): POLLOUT was not tested", nfull, nwritable);
	printf("evloop_uv: %d clients, %u requests, %lu full writes, %lu "
	    "UV_WRITABLE, %lu connect retries", nconns, total, nfull,
	    nwritable, nretries);
	if (pid > 0)
		printf(", backlog of %d held", nfill);
	printf("\n");
	return 0;
}
