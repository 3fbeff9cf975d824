/*
 * bench_ring.c -- shared-memory ring against pipe(2), measured in one run.
 *
 *	bench_ring [seconds per test]	(default 1.5, or FP_BENCH_SECONDS)
 *
 * Every test forks a child and moves 64-byte messages:
 *
 *   ring one-way	parent writes records, child busy-polls and reads
 *			them; publish after every record, then after every
 *			32 (the reader releases every 32 and when empty)
 *   pipe one-way	parent write(2)s 64 bytes at a time, child reads up
 *			to 64 KiB per read(2)
 *   ring ping-pong	one record there, one back; both sides sleep on
 *			their eventfd when their ring is empty (need-wakeup)
 *			-- and the same busy-polling, for reference
 *   pipe ping-pong	64 bytes there and back over two pipes
 *
 * Rates are per message; round trips are timed one by one (p50, p99,
 * max, in microseconds).
 * Absolute numbers drift on shared machines: compare within one run.
 */

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fpshm.h"
#include "bench.h"

#define RINGSIZE	(1 << 20)
#define MSGLEN		64
#define CHILD_LIMIT	60	/* seconds: a child never outlives this */

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax()	__asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

/*
 * A busy-polling side gives its CPU away now and then, so that a peer that
 * shares the CPU (a loaded machine) still makes progress; with a CPU to
 * itself, sched_yield returns at once and costs nothing measurable.
 */
static void
spin(void)
{
	static unsigned	n;

	cpu_relax();
	if (++n % 256 == 0)
		sched_yield();
}

struct result {
	const char	*name;
	uint64_t	 ops;
	double		 secs;
	double		 p50, p99, max; /* round trip, µs; 0 if not timed */
};

/* Shared between the parent and the child of one test. */
struct ctx {
	struct fp_seg	 seg;
	int		 pfd;		/* parent sleeps on it */
	int		 cfd;		/* child sleeps on it */
	struct fp_ring	 tx, rx;
	int		 child;
	double		 secs;
};

static void
die(const char *what)
{
	fprintf(stderr, "bench_ring: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
percentiles(struct result *res, double *v, size_t n)
{
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	res->p50 = v[n / 2] * 1e6;
	res->p99 = v[n * 99 / 100] * 1e6;
	res->max = v[n - 1] * 1e6;
}

/* Fork; the child runs fn and exits with its status. */
static pid_t
spawn(int (*fn)(struct ctx *), struct ctx *c)
{
	pid_t	pid;

	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(CHILD_LIMIT);
		c->child = 1;
		_exit(fn(c));
	}
	return pid;
}

static void
reap(pid_t pid, const char *name)
{
	double	deadline = now() + 10;
	pid_t	r;
	int	st;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now() < deadline)
		usleep(1000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fprintf(stderr, "bench_ring: %s: child hung\n", name);
		exit(1);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_ring: %s: child failed (status %#x)\n",
		    name, st);
		exit(1);
	}
}

/*
 * Rings.  The parent writes ring 0 and reads ring 1; the child the other
 * way round.  Each side wakes the other through the other's eventfd.
 */
static void
ctx_open(struct ctx *c, double secs)
{
	memset(c, 0, sizeof(*c));
	c->secs = secs;
	if ((c->pfd = fp_notify_open()) == -1 ||
	    (c->cfd = fp_notify_open()) == -1)
		die("eventfd");
	if (fp_seg_create(&c->seg, "fp-bench", 0, RINGSIZE, 0) == -1)
		die("fp_seg_create");
}

static void
ctx_attach(struct ctx *c)
{
	int	peerfd = c->child ? c->pfd : c->cfd;

	if (fp_ring_attach(&c->tx, fp_seg_ring(&c->seg, c->child), RINGSIZE,
	    1, peerfd) == -1 ||
	    fp_ring_attach(&c->rx, fp_seg_ring(&c->seg, !c->child), RINGSIZE,
	    0, peerfd) == -1)
		die("fp_ring_attach");
}

static void
ctx_close(struct ctx *c)
{
	fp_seg_destroy(&c->seg);
	close(c->pfd);
	close(c->cfd);
}

/* Next record on rx, spinning or sleeping on our eventfd.  -1 on error. */
static int
ring_recv(struct ctx *c, struct fp_rec *rec, int sleep)
{
	int	myfd = c->child ? c->cfd : c->pfd, rc;

	for (;;) {
		if ((rc = fp_ring_peek(&c->rx, rec)) != FP_AGAIN)
			return rc;
		if (!sleep) {
			fp_ring_release(&c->rx);
			spin();
			continue;
		}
		if ((rc = fp_ring_sleep_prepare(&c->rx)) == -1)
			return -1;
		if (rc == 0) {
			if (fp_notify_wait(myfd, 1000) == -1 && errno != EINTR)
				return -1;
			fp_ring_sleep_cancel(&c->rx);
		}
	}
}

/* Send one record on tx and publish it (never blocks in these tests). */
static int
ring_send(struct ctx *c, uint16_t type, uint64_t id, const void *p,
    uint32_t len)
{
	uint8_t	*d;

	while ((d = fp_ring_alloc(&c->tx, type, 0, id, len)) == NULL) {
		if (errno != EAGAIN)
			return -1;
		fp_ring_publish(&c->tx);
		spin();
	}
	memcpy(d, p, len);
	return fp_ring_publish(&c->tx);
}

/* One-way: the child reads and counts until a CTRL record, then acks. */
static int
oneway_child(struct ctx *c)
{
	struct fp_rec	rec;
	uint64_t	n = 0, x;
	unsigned	k = 0;

	ctx_attach(c);
	if (ring_send(c, FP_REC_CTRL, 0, "", 0) == -1)	/* ready */
		return 1;
	for (;;) {
		if (ring_recv(c, &rec, 0) == -1)
			return 2;
		if (rec.type == FP_REC_CTRL)
			break;
		memcpy(&x, rec.data, sizeof(x));
		if (rec.id != n || x != n || rec.len != MSGLEN)
			return 3;
		fp_ring_consume(&c->rx);
		n++;
		if (++k == 32) {
			fp_ring_release(&c->rx);
			k = 0;
		}
	}
	fp_ring_consume(&c->rx);
	fp_ring_release(&c->rx);
	return ring_send(c, FP_REC_CTRL, n, "", 0) == -1 ? 4 : 0;
}

static void
ring_oneway(struct result *res, double secs, unsigned batch)
{
	struct ctx	 c;
	struct fp_rec	 rec;
	uint8_t		 msg[MSGLEN], *d;
	uint64_t	 n = 0;
	double		 t0, end;
	unsigned	 k = 0;
	pid_t		 pid;

	ctx_open(&c, secs);
	pid = spawn(oneway_child, &c);
	ctx_attach(&c);
	memset(msg, 0x5a, sizeof(msg));
	if (ring_recv(&c, &rec, 0) == -1)
		die("ready");
	fp_ring_consume(&c.rx);

	t0 = now();
	end = t0 + secs;
	for (;;) {
		while ((d = fp_ring_alloc(&c.tx, FP_REC_TASK, 0, n, MSGLEN)) ==
		    NULL) {
			if (errno != EAGAIN)
				die("fp_ring_alloc");
			fp_ring_publish(&c.tx);
			spin();
		}
		memcpy(msg, &n, sizeof(n));
		memcpy(d, msg, MSGLEN);
		n++;
		if (++k == batch) {
			fp_ring_publish(&c.tx);
			k = 0;
		}
		if ((n & 4095) == 0 && now() >= end)
			break;
	}
	if (ring_send(&c, FP_REC_CTRL, 0, "", 0) == -1 ||
	    ring_recv(&c, &rec, 0) == -1)
		die("stop");
	res->secs = now() - t0;
	if (rec.id != n) {
		fprintf(stderr, "bench_ring: reader saw %ju of %ju records\n",
		    (uintmax_t)rec.id, (uintmax_t)n);
		exit(1);
	}
	res->ops = n;
	reap(pid, res->name);
	ctx_close(&c);
}

/* Ping-pong: the child echoes every record until a CTRL record. */
static int pingpong_sleep;

static int
pingpong_child(struct ctx *c)
{
	struct fp_rec	rec;
	uint8_t		msg[MSGLEN];

	ctx_attach(c);
	for (;;) {
		if (ring_recv(c, &rec, pingpong_sleep) == -1)
			return 2;
		if (rec.type == FP_REC_CTRL)
			return 0;
		if (rec.len != MSGLEN)
			return 3;
		memcpy(msg, rec.data, MSGLEN);
		fp_ring_consume(&c->rx);
		fp_ring_release(&c->rx);
		if (ring_send(c, FP_REC_RESULT, rec.id, msg, MSGLEN) == -1)
			return 4;
	}
}

static void
ring_pingpong(struct result *res, double secs, int sleep)
{
	struct ctx	 c;
	struct fp_rec	 rec;
	uint8_t		 msg[MSGLEN];
	double		 t0, t, end, *rtt;
	size_t		 cap = 1 << 16, n = 0;
	pid_t		 pid;

	if ((rtt = malloc(cap * sizeof(*rtt))) == NULL)
		die("malloc");
	pingpong_sleep = sleep;
	ctx_open(&c, secs);
	pid = spawn(pingpong_child, &c);
	ctx_attach(&c);
	memset(msg, 0xa5, sizeof(msg));

	t0 = now();
	end = t0 + secs;
	for (t = t0; t < end; ) {
		double	s = t;

		memcpy(msg, &n, sizeof(n));
		if (ring_send(&c, FP_REC_TASK, n, msg, MSGLEN) == -1 ||
		    ring_recv(&c, &rec, sleep) == -1)
			die("ping-pong");
		if (rec.id != n || rec.len != MSGLEN ||
		    memcmp(rec.data, msg, MSGLEN) != 0) {
			fprintf(stderr, "bench_ring: bad echo\n");
			exit(1);
		}
		fp_ring_consume(&c.rx);
		fp_ring_release(&c.rx);
		t = now();
		if (n == cap && (rtt = realloc(rtt, (cap *= 2) *
		    sizeof(*rtt))) == NULL)
			die("realloc");
		rtt[n++] = t - s;
	}
	res->secs = t - t0;
	res->ops = n;
	percentiles(res, rtt, n);
	if (ring_send(&c, FP_REC_CTRL, 0, "", 0) == -1)
		die("stop");
	reap(pid, res->name);
	ctx_close(&c);
	free(rtt);
}

/*
 * Pipes.
 */
static int
readn(int fd, void *buf, size_t n)
{
	uint8_t	*p = buf;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, p, n)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
writen(int fd, const void *buf, size_t n)
{
	const uint8_t	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		if ((r = write(fd, p, n)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
pipe_oneway(struct result *res, double secs)
{
	static uint8_t	 big[65536];
	uint8_t		 msg[MSGLEN];
	uint64_t	 n = 0, got;
	double		 t0, end;
	ssize_t		 r;
	pid_t		 pid;
	int		 data[2], ack[2];

	if (pipe(data) == -1 || pipe(ack) == -1)
		die("pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(CHILD_LIMIT);
		close(data[1]);
		close(ack[0]);
		got = 0;
		if (writen(ack[1], "r", 1) == -1)
			_exit(1);
		while ((r = read(data[0], big, sizeof(big))) != 0) {
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1)
				_exit(2);
			got += (uint64_t)r;
		}
		_exit(writen(ack[1], &got, sizeof(got)) == -1 ? 3 : 0);
	}
	close(data[0]);
	close(ack[1]);
	memset(msg, 0x3c, sizeof(msg));
	if (readn(ack[0], big, 1) == -1)
		die("ready");
	t0 = now();
	end = t0 + secs;
	do {
		if (writen(data[1], msg, MSGLEN) == -1)
			die("write");
		n++;
	} while ((n & 1023) != 0 || now() < end);
	close(data[1]);
	if (readn(ack[0], &got, sizeof(got)) == -1)
		die("ack");
	res->secs = now() - t0;
	if (got != n * MSGLEN) {
		fprintf(stderr, "bench_ring: pipe reader got %ju bytes of %ju\n",
		    (uintmax_t)got, (uintmax_t)(n * MSGLEN));
		exit(1);
	}
	res->ops = n;
	close(ack[0]);
	reap(pid, res->name);
}

static void
pipe_pingpong(struct result *res, double secs)
{
	uint8_t		 msg[MSGLEN], back[MSGLEN];
	double		 t0, t, end, *rtt;
	size_t		 cap = 1 << 16, n = 0;
	pid_t		 pid;
	int		 there[2], back_[2];

	if ((rtt = malloc(cap * sizeof(*rtt))) == NULL)
		die("malloc");
	if (pipe(there) == -1 || pipe(back_) == -1)
		die("pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(CHILD_LIMIT);
		close(there[1]);
		close(back_[0]);
		while (readn(there[0], msg, MSGLEN) == 0)
			if (writen(back_[1], msg, MSGLEN) == -1)
				_exit(1);
		_exit(0);
	}
	close(there[0]);
	close(back_[1]);
	memset(msg, 0x69, sizeof(msg));
	t0 = now();
	end = t0 + secs;
	for (t = t0; t < end; ) {
		double	s = t;

		memcpy(msg, &n, sizeof(n));
		if (writen(there[1], msg, MSGLEN) == -1 ||
		    readn(back_[0], back, MSGLEN) == -1)
			die("pipe ping-pong");
		if (memcmp(msg, back, MSGLEN) != 0) {
			fprintf(stderr, "bench_ring: bad pipe echo\n");
			exit(1);
		}
		t = now();
		if (n == cap && (rtt = realloc(rtt, (cap *= 2) *
		    sizeof(*rtt))) == NULL)
			die("realloc");
		rtt[n++] = t - s;
	}
	res->secs = t - t0;
	res->ops = n;
	percentiles(res, rtt, n);
	close(there[1]);
	close(back_[0]);
	reap(pid, res->name);
	free(rtt);
}

/* The 1-minute load average, to tell a busy machine's numbers apart. */
static const char *
loadavg(void)
{
	static char	buf[32];
	FILE		*f;

	if ((f = fopen("/proc/loadavg", "r")) == NULL ||
	    fscanf(f, "%31s", buf) != 1)
		snprintf(buf, sizeof(buf), "?");
	if (f != NULL)
		fclose(f);
	return buf;
}

static void
print(const struct result *r)
{
	printf("%-38s %11ju %6.2f %13.0f %9.1f", r->name, (uintmax_t)r->ops,
	    r->secs, r->ops / r->secs, r->secs * 1e9 / r->ops);
	if (r->p50 > 0)
		printf("  %7.2f %7.2f %8.0f", r->p50, r->p99, r->max);
	printf("\n");
	fflush(stdout);
}

int
main(int argc, char *argv[])
{
	struct result	 res[6];
	const char	*e;
	double		 secs = 1.5;
	int		 i;

	if (argc > 2) {
		fprintf(stderr, "usage: bench_ring [seconds]\n");
		return 2;
	}
	if (argc == 2)
		e = argv[1];
	else
		e = getenv("FP_BENCH_SECONDS");
	if (e != NULL && *e != '\0' && ((secs = atof(e)) <= 0 || secs > 30)) {
		fprintf(stderr, "bench_ring: bad duration: %s\n", e);
		return 2;
	}
	memset(res, 0, sizeof(res));
	res[0].name = "ring one-way, publish every record";
	res[1].name = "ring one-way, publish every 32";
	res[2].name = "pipe one-way, write(2) per message";
	res[3].name = "ring ping-pong, eventfd wake-ups";
	res[4].name = "ring ping-pong, busy polling";
	res[5].name = "pipe ping-pong";

	printf("bench_ring: %d-byte messages, ring %d KiB, %.1f s per test, "
	    "%ld CPUs online, load average %s\n", MSGLEN, RINGSIZE / 1024,
	    secs, sysconf(_SC_NPROCESSORS_ONLN), loadavg());
	printf("%-38s %11s %6s %13s %9s  %7s %7s %8s\n", "test", "messages",
	    "s", "messages/s", "ns/msg", "p50 us", "p99 us", "max us");
	ring_oneway(&res[0], secs, 1);
	print(&res[0]);
	ring_oneway(&res[1], secs, 32);
	print(&res[1]);
	pipe_oneway(&res[2], secs);
	print(&res[2]);
	ring_pingpong(&res[3], secs, 1);
	print(&res[3]);
	ring_pingpong(&res[4], secs, 0);
	print(&res[4]);
	pipe_pingpong(&res[5], secs);
	print(&res[5]);

	for (i = 0; i < 6; i++)
		if (res[i].ops == 0)
			return 1;
	printf("ratios: one-way ring/pipe %.1fx (publish every record), "
	    "%.1fx (every 32); round trip pipe/ring-eventfd %.2fx, "
	    "pipe/ring-polling %.1fx\n",
	    (res[0].ops / res[0].secs) / (res[2].ops / res[2].secs),
	    (res[1].ops / res[1].secs) / (res[2].ops / res[2].secs),
	    (res[5].secs / res[5].ops) / (res[3].secs / res[3].ops),
	    (res[5].secs / res[5].ops) / (res[4].secs / res[4].ops));
	return 0;
}
