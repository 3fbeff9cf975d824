/*
 * test_ring_stress.c -- cross-process stress test of the shm rings.
 *
 * The parent writes FP_STRESS_RECORDS messages (default 2000000) of random
 * sizes from 0 to maxrec, plus now and then a message of several fragments
 * (up to three ring sizes), through a ring in a memfd segment; a forked
 * child checks every one in order: sequence number (record id and payload),
 * type, length and a checksum of the payload.  Batch sizes for publish and
 * release vary too.  Two passes: both sides busy-polling, then both sides
 * sleeping on eventfds (fp_ring_sleep_prepare / fp_ring_space_wait) when
 * the ring is empty or full.  A third pass sends fewer messages (1/20)
 * ping-pong: the parent waits for the child's reply to each one, and both
 * sides poll for a random while before going to sleep, so that going to
 * sleep races with the peer's publish; with nothing else in flight, a
 * wake-up lost there would stall a side until its sleep times out.
 *
 * The last pass hammers the race itself, in lock step through a spinning
 * barrier: the writer publishes exactly when the reader prepares to sleep
 * (fp_ring_publish against fp_ring_sleep_prepare), then the reader releases
 * exactly when the writer prepares to wait for room (fp_ring_release
 * against fp_ring_space_wait).  Whenever the sleeper is told it may sleep,
 * its eventfd must have been written by then.  This is the store-buffering
 * litmus test: with the fences taken out of one side's handshake, it found
 * 80 (need-wakeup) and 1380 (need-space) lost wake-ups in 200000 rounds on
 * a 2-vCPU x86 machine, and the ping-pong pass about 20.
 *
 * The child reports through its exit status; the parent bounds every wait
 * and kills the child if it overruns.  One line per failed check on stderr,
 * lines starting with `#' are information, and the last line counts the
 * checks.
 */

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fpshm.h"

#define RINGSIZE	(16 * 1024)
#define DEFAULT_RECORDS	2000000
#define PASS_TIMEOUT	90		/* seconds; normal runs take a few */
/*
 * Longest sleep on an eventfd.  In every pass the peer of a sleeper is
 * about to publish or release, so a sleep that lasts this long is a lost
 * wake-up (one that the timeout, not the peer, ended), and fails the pass.
 */
#define WAIT_MS		1000

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax()	__asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

/* Child exit statuses. */
enum {
	C_OK = 0,
	C_SETUP = 10,
	C_EPROTO,	/* fp_ring_peek failed */
	C_ID,		/* record id is not the expected sequence number */
	C_TYPE,
	C_LEN,
	C_SEQ,		/* sequence number in the payload */
	C_SUM,		/* checksum */
	C_SMALL,	/* content of a record shorter than 16 bytes */
	C_ASM,		/* reassembly failed */
	C_FLAGS,	/* MORE on a message that should be one record */
	C_WAIT,		/* eventfd error */
	C_TIMEOUT
};

static const char *cstatus[] = {
	"ok", "", "", "", "", "", "", "", "", "",
	"setup failed", "ring reported EPROTO", "wrong record id",
	"wrong type", "wrong length", "wrong sequence number in payload",
	"bad checksum", "bad short payload", "reassembly failed",
	"unexpected fragment flag", "eventfd error", "timed out"
};

static unsigned long	npass, nfail;

static void
check(int ok, const char *what)
{
	if (ok)
		npass++;
	else {
		nfail++;
		fprintf(stderr, "test_ring_stress: FAILED: %s\n", what);
	}
}

static uint64_t
splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What message `seq' is: derived from seq alone, so both sides agree. */
struct msg {
	uint64_t	seq;
	uint64_t	h;
	size_t		len;
	uint16_t	type;
	int		frag;	/* sent with fp_msg_write, maybe fragmented */
};

static void
msg_plan(struct msg *m, uint64_t seq, uint32_t maxrec)
{
	uint64_t	h = splitmix(seq ^ 0x5eed);

	m->seq = seq;
	m->h = h;
	m->type = FP_REC_TASK + (h >> 40) % FP_REC_MAXTYPE;
	m->frag = 0;
	if (h % 1024 == 0) {
		/* A message of several fragments, up to 3 ring sizes. */
		m->frag = 1;
		m->len = maxrec + 1 + (h >> 11) % (3 * RINGSIZE);
	} else if ((h >> 10) % 8 == 0)
		m->len = (h >> 16) % (maxrec + 1);
	else
		m->len = (h >> 16) % 129;
	/* Some one-record messages go through fp_msg_write too. */
	if ((h >> 50) % 16 == 0)
		m->frag = 1;
}

/* Position-sensitive 64-bit checksum of the bytes after the 16-byte head. */
static uint64_t
csum(const uint8_t *p, size_t n)
{
	uint64_t	h = 0x243f6a8885a308d3ULL ^ n, w;
	size_t		i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * Fill the payload: [seq][checksum][random bytes] for 16 bytes and more,
 * else bytes of splitmix(seq).
 */
static void
msg_fill(const struct msg *m, uint8_t *p)
{
	uint64_t	x, w, sum;
	size_t		i;

	if (m->len < 16) {
		w = splitmix(m->h);
		memcpy(p, &w, m->len < 8 ? m->len : 8);
		if (m->len > 8) {
			w = splitmix(w);
			memcpy(p + 8, &w, m->len - 8);
		}
		return;
	}
	x = m->h | 1;
	for (i = 16; i < m->len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, m->len - i < 8 ? m->len - i : 8);
	}
	sum = csum(p + 16, m->len - 16);
	memcpy(p, &m->seq, 8);
	memcpy(p + 8, &sum, 8);
}

static int
msg_check(const struct msg *m, const uint8_t *p, size_t len)
{
	uint8_t		small[16];
	uint64_t	v;

	if (len != m->len)
		return C_LEN;
	if (len < 16) {
		msg_fill(m, small);
		return memcmp(small, p, len) == 0 ? C_OK : C_SMALL;
	}
	memcpy(&v, p, 8);
	if (v != m->seq)
		return C_SEQ;
	memcpy(&v, p + 8, 8);
	return v == csum(p + 16, len - 16) ? C_OK : C_SUM;
}

/* The reader's statistics, in the segment's user area. */
struct rstats {
	uint64_t	empty;		/* times the ring was empty */
	uint64_t	sleeps;
	uint64_t	timeouts;	/* sleeps that ended by timeout */
};

struct pass {
	const char	*name;
	int		 sleep;		/* sleep on eventfds when empty/full */
	int		 pingpong;	/* wait for a reply to every message */
	uint64_t	 nrec;
	struct fp_seg	 seg;
	int		 rfd;		/* the reader sleeps on it */
	int		 wfd;		/* the writer sleeps on it */
	double		 deadline;
	pid_t		 child;
	int		 dead;		/* child already reaped */
	int		 status;
	/* writer-side statistics */
	uint64_t	 full;		/* times the ring was full */
	uint64_t	 spins;
	uint64_t	 sleeps;
	uint64_t	 timeouts;
	uint64_t	 bytes;
};

/* Poll for a random while (0 to ~1000 pauses) before going to sleep. */
static void
random_spin(uint64_t *h)
{
	unsigned	n;

	*h = splitmix(*h);
	for (n = *h % 1024; n > 0; n--)
		cpu_relax();
}

/* Child: reply to message `seq' on ring 1. */
static int
reply(struct fp_ring *tx, uint64_t seq)
{
	uint8_t	*p;
	int	 n = 0;

	while ((p = fp_ring_alloc(tx, FP_REC_RESULT, 0, seq, 8)) == NULL) {
		/* The parent releases each reply before sending on. */
		if (errno != EAGAIN || ++n > 1000000)
			return -1;
		cpu_relax();
	}
	memcpy(p, &seq, 8);
	return fp_ring_publish(tx);
}

/*
 * The reader, in the child.
 */
static int
reader(struct pass *ps)
{
	struct fp_ring	 r, tx;
	struct fp_rec	 rec;
	struct fp_asm	 a;
	struct msg	 m;
	struct rstats	*st;
	uint64_t	 seq = 0, h = 77, spins = 0;
	unsigned	 batch = 1, n = 0;
	int		 rc;

	if (fp_ring_attach(&r, fp_seg_ring(&ps->seg, 0), ps->seg.ringsize, 0,
	    ps->wfd) == -1 ||
	    fp_ring_attach(&tx, fp_seg_ring(&ps->seg, 1), ps->seg.ringsize, 1,
	    ps->wfd) == -1)
		return C_SETUP;
	st = fp_seg_user(&ps->seg);
	fp_asm_init(&a, 4 * RINGSIZE);
	msg_plan(&m, 0, r.maxrec);
	while (seq < ps->nrec) {
		rc = fp_ring_peek(&r, &rec);
		if (rc == -1)
			return C_EPROTO;
		if (rc == FP_AGAIN) {
			st->empty++;
			if (!ps->sleep) {
				fp_ring_release(&r);
				cpu_relax();
				/* Let a writer on the same CPU run. */
				if (++spins % 256 == 0)
					sched_yield();
				continue;
			}
			if (ps->pingpong)
				random_spin(&h);
			rc = fp_ring_sleep_prepare(&r);
			if (rc == -1)
				return errno == EPROTO ? C_EPROTO : C_WAIT;
			if (rc == 0) {
				st->sleeps++;
				rc = fp_notify_wait(ps->rfd, WAIT_MS);
				if (rc == -1 && errno != EINTR)
					return C_WAIT;
				if (rc == FP_AGAIN)
					st->timeouts++;
				fp_ring_sleep_cancel(&r);
			}
			continue;
		}
		if (rec.id != seq)
			return C_ID;
		if (rec.type != m.type)
			return C_TYPE;
		if (rec.flags == 0 && !a.active) {
			/* One record: check it in place. */
			if ((rc = msg_check(&m, rec.data, rec.len)) != C_OK)
				return rc;
		} else {
			if (m.len <= r.maxrec)
				return C_FLAGS;
			rc = fp_asm_add(&a, &rec);
			if (rc == -1)
				return C_ASM;
			if (rc == 0 && (rc = msg_check(&m, a.buf, a.len)) !=
			    C_OK)
				return rc;
		}
		fp_ring_consume(&r);
		if (!a.active) {
			if (ps->pingpong) {
				fp_ring_release(&r);
				if (reply(&tx, seq) == -1)
					return C_WAIT;
			}
			msg_plan(&m, ++seq, r.maxrec);
		}
		/* Release in batches of 1 to 64 records. */
		if (++n >= batch) {
			fp_ring_release(&r);
			n = 0;
			h = splitmix(h);
			batch = 1 + h % 64;
		}
	}
	fp_ring_release(&r);
	fp_asm_free(&a);
	return C_OK;
}

/* Is the child gone (or the pass overdue)?  Reaps it if so. */
static int
child_gone(struct pass *ps)
{
	pid_t	pid;

	if (ps->dead)
		return 1;
	pid = waitpid(ps->child, &ps->status, WNOHANG);
	if (pid == ps->child) {
		ps->dead = 1;
		return 1;
	}
	return now() > ps->deadline;
}

/*
 * The ring is full: wait for room for `len' bytes, or spin a little; the
 * caller tries again.  -1 to give up.
 */
static int
wait_room(struct pass *ps, struct fp_ring *w, uint32_t len, int *stalled)
{
	int	rc;

	if (!*stalled) {
		*stalled = 1;
		ps->full++;
	}
	if (!ps->sleep) {
		if (fp_ring_publish(w) == -1)
			return -1;
		cpu_relax();
		if (++ps->spins % 256 == 0) {
			/* Let a reader on the same CPU run. */
			sched_yield();
			if (child_gone(ps))
				return -1;
		}
		return 0;
	}
	/* fp_ring_space_wait publishes for us. */
	for (;;) {
		rc = fp_ring_space_wait(w, len);
		if (rc == FP_AGAIN)
			return 0;
		if (rc == -1)
			return -1;
		ps->sleeps++;
		rc = fp_notify_wait(ps->wfd, WAIT_MS);
		if (rc == FP_AGAIN)
			ps->timeouts++;
		fp_ring_space_cancel(w);
		if (rc == -1 && errno != EINTR)
			return -1;
		if (rc == FP_AGAIN && child_gone(ps))
			return -1;
	}
}

/* Parent, ping-pong: wait for the reply to `seq' on ring 1. */
static int
await_reply(struct pass *ps, struct fp_ring *rx, uint64_t seq, uint64_t *h)
{
	struct fp_rec	rec;
	uint64_t	v;
	int		rc;

	for (;;) {
		if ((rc = fp_ring_peek(rx, &rec)) == -1)
			return -1;
		if (rc == 0)
			break;
		random_spin(h);
		if ((rc = fp_ring_sleep_prepare(rx)) == -1)
			return -1;
		if (rc == FP_AGAIN)
			continue;
		ps->sleeps++;
		rc = fp_notify_wait(ps->wfd, WAIT_MS);
		fp_ring_sleep_cancel(rx);
		if (rc == -1 && errno != EINTR)
			return -1;
		if (rc == FP_AGAIN) {
			ps->timeouts++;
			if (child_gone(ps))
				return -1;
		}
	}
	if (rec.len != 8)
		return -1;
	memcpy(&v, rec.data, 8);
	if (rec.id != seq || v != seq)
		return -1;
	fp_ring_consume(rx);
	return fp_ring_release(rx);
}

static int
writer(struct pass *ps)
{
	struct fp_ring	 w, rx;
	struct msg	 m;
	uint8_t		*buf, *p;
	uint64_t	 seq, h = 99;
	unsigned	 batch = 1, n = 0;
	size_t		 done, hlen;
	int		 stalled;

	if (fp_ring_attach(&w, fp_seg_ring(&ps->seg, 0), ps->seg.ringsize, 1,
	    ps->rfd) == -1 ||
	    fp_ring_attach(&rx, fp_seg_ring(&ps->seg, 1), ps->seg.ringsize, 0,
	    ps->rfd) == -1)
		return -1;
	if ((buf = malloc(4 * RINGSIZE)) == NULL)
		return -1;
	for (seq = 0; seq < ps->nrec; seq++) {
		msg_plan(&m, seq, w.maxrec);
		ps->bytes += m.len;
		stalled = 0;
		if (!m.frag) {
			while ((p = fp_ring_alloc(&w, m.type, 0, seq,
			    (uint32_t)m.len)) == NULL)
				if (errno != EAGAIN ||
				    wait_room(ps, &w, (uint32_t)m.len,
				    &stalled) == -1)
					goto fail;
			msg_fill(&m, p);
		} else {
			msg_fill(&m, buf);
			/* Split anywhere between header and body. */
			hlen = (m.h >> 20) % (m.len + 1);
			done = 0;
			for (;;) {
				int rc = fp_msg_write(&w, m.type, seq, buf,
				    hlen, buf + hlen, m.len - hlen, &done);

				if (rc == 0)
					break;
				if (rc == -1 || wait_room(ps, &w,
				    w.maxrec, &stalled) == -1)
					goto fail;
			}
		}
		if (ps->pingpong) {
			if (fp_ring_publish(&w) == -1 ||
			    await_reply(ps, &rx, seq, &h) == -1)
				goto fail;
			continue;
		}
		/* Publish in batches of 1 to 32 records. */
		if (++n >= batch) {
			if (fp_ring_publish(&w) == -1)
				goto fail;
			n = 0;
			h = splitmix(h);
			batch = 1 + h % 32;
		}
	}
	if (fp_ring_publish(&w) == -1)
		goto fail;
	free(buf);
	return 0;
 fail:
	free(buf);
	return -1;
}

/*
 * The wake-up race, in lock step.  The parent and the child count their
 * steps in the segment's user area, on cache lines of their own.
 */
struct race {
	_Alignas(64) _Atomic uint64_t	parent;
	_Alignas(64) _Atomic uint64_t	child;
	_Alignas(64) uint64_t		lost;	  /* told to sleep, no signal */
	uint64_t			handoff;  /* told to sleep, signalled */
	uint64_t			early;	  /* saw the peer's index */
};

#define RACE_LEN	(128 - FP_REC_HDRLEN)	/* 128-byte records */

/* Wait until the peer reaches `step' too.  -1 if the pass is overdue. */
static int
race_step(_Atomic uint64_t *mine, _Atomic uint64_t *theirs, uint64_t step,
    double deadline)
{
	uint64_t	spins = 0;

	atomic_store(mine, step);
	while (atomic_load(theirs) < step) {
		cpu_relax();
		if (++spins % 256 == 0) {
			/* One CPU for both of us: let the other run. */
			sched_yield();
			if (spins % 65536 == 0 && now() > deadline)
				return -1;
		}
	}
	return 0;
}

static void
race_count(struct race *rc, int prep, int signalled)
{
	if (prep == FP_AGAIN)
		rc->early++;
	else if (signalled)
		rc->handoff++;
	else
		rc->lost++;
}

/* Child: the reader of ring 0 (need-wakeup) and of ring 1 (need-space). */
static int
race_child(struct pass *ps)
{
	struct race	*rc = fp_seg_user(&ps->seg);
	struct fp_ring	 r0, r1;
	struct fp_rec	 rec;
	uint64_t	 i, step = 0;
	int		 prep, sig;

	if (fp_ring_attach(&r0, fp_seg_ring(&ps->seg, 0), RINGSIZE, 0,
	    ps->wfd) == -1 ||
	    fp_ring_attach(&r1, fp_seg_ring(&ps->seg, 1), RINGSIZE, 0,
	    ps->wfd) == -1)
		return C_SETUP;
	for (i = 0; i < ps->nrec; i++) {
		/* Parent: alloc.  Then publish || sleep_prepare. */
		if (race_step(&rc->child, &rc->parent, ++step,
		    ps->deadline) == -1)
			return C_TIMEOUT;
		prep = fp_ring_sleep_prepare(&r0);
		if (prep == -1)
			return C_EPROTO;
		if (race_step(&rc->child, &rc->parent, ++step,
		    ps->deadline) == -1)
			return C_TIMEOUT;
		/* fp_ring_publish has returned: any signal is in. */
		if ((sig = fp_notify_drain(ps->rfd)) == -1)
			return C_WAIT;
		race_count(rc, prep, sig == 0);
		fp_ring_sleep_cancel(&r0);
		if (fp_ring_peek(&r0, &rec) != 0 || rec.id != i)
			return C_ID;
		fp_ring_consume(&r0);
		fp_ring_release(&r0);
	}
	/* Parent: fills ring 1. */
	if (race_step(&rc->child, &rc->parent, ++step, ps->deadline) == -1)
		return C_TIMEOUT;
	for (i = 0; i < ps->nrec; i++) {
		/* Parent: the ring is full.  Take one, then release || wait. */
		if (fp_ring_peek(&r1, &rec) != 0 || rec.len != RACE_LEN)
			return C_ID;
		fp_ring_consume(&r1);
		if (race_step(&rc->child, &rc->parent, ++step,
		    ps->deadline) == -1)
			return C_TIMEOUT;
		if (fp_ring_release(&r1) == -1)
			return C_WAIT;
		if (race_step(&rc->child, &rc->parent, ++step,
		    ps->deadline) == -1)
			return C_TIMEOUT;
		/* Wait until the parent has refilled the ring. */
		if (race_step(&rc->child, &rc->parent, ++step,
		    ps->deadline) == -1)
			return C_TIMEOUT;
	}
	return C_OK;
}

static void
run_race(struct pass *ps)
{
	struct race	*rc;
	struct race	 half;
	struct fp_ring	 w0, w1;
	char		 what[160];
	uint64_t	 i, step = 0;
	double		 t0;
	uint8_t		*p;
	int		 prep, sig, ok = 1, st;

	ps->rfd = fp_notify_open();
	ps->wfd = fp_notify_open();
	if (ps->rfd == -1 || ps->wfd == -1 || fp_seg_create(&ps->seg,
	    "fp-race", sizeof(struct race), RINGSIZE, 0) == -1) {
		check(0, "race: setup");
		return;
	}
	rc = fp_seg_user(&ps->seg);
	if (fp_ring_attach(&w0, fp_seg_ring(&ps->seg, 0), RINGSIZE, 1,
	    ps->rfd) == -1 ||
	    fp_ring_attach(&w1, fp_seg_ring(&ps->seg, 1), RINGSIZE, 1,
	    ps->rfd) == -1) {
		check(0, "race: attach");
		return;
	}
	t0 = now();
	ps->deadline = t0 + PASS_TIMEOUT;
	fflush(stdout);
	if ((ps->child = fork()) == -1) {
		check(0, "fork");
		return;
	}
	if (ps->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(PASS_TIMEOUT + 10);
		_exit(race_child(ps));
	}

	for (i = 0; ok && i < ps->nrec; i++) {
		if ((p = fp_ring_alloc(&w0, FP_REC_TASK, 0, i, 8)) == NULL) {
			ok = 0;
			break;
		}
		memcpy(p, &i, 8);
		if (race_step(&rc->parent, &rc->child, ++step,
		    ps->deadline) == -1 ||
		    fp_ring_publish(&w0) == -1 ||
		    race_step(&rc->parent, &rc->child, ++step,
		    ps->deadline) == -1)
			ok = 0;
	}
	/* The child counted the first half. */
	half = *rc;

	/* Fill ring 1 exactly: 128-byte records never pad. */
	while (ok && (p = fp_ring_alloc(&w1, FP_REC_TASK, 0, 0, RACE_LEN)) !=
	    NULL)
		memset(p, 0, RACE_LEN);
	fp_ring_publish(&w1);
	if (ok && race_step(&rc->parent, &rc->child, ++step,
	    ps->deadline) == -1)
		ok = 0;
	for (i = 0; ok && i < ps->nrec; i++) {
		if (race_step(&rc->parent, &rc->child, ++step,
		    ps->deadline) == -1) {
			ok = 0;
			break;
		}
		prep = fp_ring_space_wait(&w1, RACE_LEN);
		if (prep == -1 || race_step(&rc->parent, &rc->child, ++step,
		    ps->deadline) == -1) {
			ok = 0;
			break;
		}
		/* fp_ring_release has returned: any signal is in. */
		if ((sig = fp_notify_drain(ps->wfd)) == -1) {
			ok = 0;
			break;
		}
		race_count(rc, prep, sig == 0);
		fp_ring_space_cancel(&w1);
		if ((p = fp_ring_alloc(&w1, FP_REC_TASK, 0, 0, RACE_LEN)) ==
		    NULL) {
			ok = 0;
			break;
		}
		memset(p, 0, RACE_LEN);
		fp_ring_publish(&w1);
		if (race_step(&rc->parent, &rc->child, ++step,
		    ps->deadline) == -1)
			ok = 0;
	}

	while (!child_gone(ps))
		usleep(1000);
	if (!ps->dead) {
		kill(ps->child, SIGKILL);
		waitpid(ps->child, &ps->status, 0);
		ps->dead = 1;
	}
	st = ps->status;
	check(ok, "race: parent failed");
	snprintf(what, sizeof(what), "race: child exit status %#x", st);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, what);
	snprintf(what, sizeof(what), "race: lost wake-ups %" PRIu64
	    " (publish vs sleep_prepare)", half.lost);
	check(half.lost == 0, what);
	snprintf(what, sizeof(what), "race: lost wake-ups %" PRIu64
	    " (release vs space_wait)", rc->lost - half.lost);
	check(rc->lost - half.lost == 0, what);
	printf("# race: %" PRIu64 " rounds each way in %.2f s; publish vs "
	    "sleep: %" PRIu64 " woken, %" PRIu64 " saw data; release vs "
	    "wait: %" PRIu64 " woken, %" PRIu64 " saw room\n", ps->nrec,
	    now() - t0, half.handoff, half.early, rc->handoff - half.handoff,
	    rc->early - half.early);
	fp_seg_destroy(&ps->seg);
	close(ps->rfd);
	close(ps->wfd);
}

static void
run_pass(struct pass *ps)
{
	char		 what[160];
	struct rstats	*rs;
	double		 t0, t;
	int		 wrc, st;

	ps->rfd = fp_notify_open();
	ps->wfd = fp_notify_open();
	check(ps->rfd != -1 && ps->wfd != -1, "eventfd");
	if (fp_seg_create(&ps->seg, "fp-stress",
	    sizeof(struct rstats), RINGSIZE, 0) == -1) {
		check(0, "fp_seg_create");
		return;
	}
	t0 = now();
	ps->deadline = t0 + PASS_TIMEOUT;
	fflush(stdout);
	if ((ps->child = fork()) == -1) {
		check(0, "fork");
		return;
	}
	if (ps->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(PASS_TIMEOUT + 10);
		_exit(reader(ps));
	}
	wrc = writer(ps);

	/* Bounded wait for the child. */
	while (!child_gone(ps))
		usleep(1000);
	if (!ps->dead) {
		kill(ps->child, SIGKILL);
		waitpid(ps->child, &ps->status, 0);
		ps->dead = 1;
		snprintf(what, sizeof(what), "%s: timed out after %d s",
		    ps->name, PASS_TIMEOUT);
		check(0, what);
	}
	t = now() - t0;
	st = ps->status;
	snprintf(what, sizeof(what), "%s: writer failed", ps->name);
	check(wrc == 0, what);
	if (WIFEXITED(st) && (size_t)WEXITSTATUS(st) < sizeof(cstatus) /
	    sizeof(cstatus[0]))
		snprintf(what, sizeof(what), "%s: reader: %s", ps->name,
		    cstatus[WEXITSTATUS(st)]);
	else if (WIFEXITED(st))
		snprintf(what, sizeof(what), "%s: reader exit %d", ps->name,
		    WEXITSTATUS(st));
	else
		snprintf(what, sizeof(what), "%s: reader killed by signal %d",
		    ps->name, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, what);
	rs = fp_seg_user(&ps->seg);
	snprintf(what, sizeof(what), "%s: lost wake-ups: writer %" PRIu64
	    ", reader %" PRIu64, ps->name, ps->timeouts, rs->timeouts);
	check(ps->timeouts == 0 && rs->timeouts == 0, what);
	printf("# %s: %" PRIu64 " messages, %.0f MB in %.2f s "
	    "(%.2f M msg/s); ring full %" PRIu64 " times, writer slept %"
	    PRIu64 "; ring empty %" PRIu64 " times, reader slept %" PRIu64
	    "\n", ps->name, ps->nrec, ps->bytes / 1e6, t, ps->nrec / t / 1e6,
	    ps->full, ps->sleeps, rs->empty, rs->sleeps);
	fp_seg_destroy(&ps->seg);
	close(ps->rfd);
	close(ps->wfd);
}

int
main(void)
{
	struct pass	 passes[3], race;
	const char	*e;
	uint64_t	 nrec = DEFAULT_RECORDS;
	char		*end;
	int		 i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((e = getenv("FP_STRESS_RECORDS")) != NULL && *e != '\0') {
		errno = 0;
		nrec = strtoull(e, &end, 10);
		if (errno != 0 || *end != '\0') {
			fprintf(stderr, "test_ring_stress: bad "
			    "FP_STRESS_RECORDS: %s\n", e);
			return 2;
		}
	}
	memset(passes, 0, sizeof(passes));
	passes[0].name = "spinning";
	passes[0].sleep = 0;
	passes[1].name = "sleeping";
	passes[1].sleep = 1;
	passes[0].nrec = passes[1].nrec = nrec;
	passes[2].name = "ping-pong";
	passes[2].sleep = 1;
	passes[2].pingpong = 1;
	passes[2].nrec = nrec / 20 > 0 ? nrec / 20 : 1;
	for (i = 0; i < 3; i++)
		run_pass(&passes[i]);
	memset(&race, 0, sizeof(race));
	race.nrec = nrec / 10 > 0 ? nrec / 10 : 1;
	run_race(&race);
	printf("test_ring_stress: %lu passed, %lu failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
