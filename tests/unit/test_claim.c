/*
 * test_claim.c -- the claim protocol of wire.h (wire_claim, wire_revoke):
 * the cases one at a time (a fresh block, a revoke and the tasks skipped
 * after it, seqs that wrap past 2^32, claims the worker could not have
 * made, a dry count), then two threads: a worker that claims every task
 * in order and a supervisor that sends tasks at most 32 ahead and revokes
 * at random points.  Every seq ends up claimed by the worker or revoked
 * by the supervisor, never both, never neither.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wire.h"

#define NTASKS	300000
#define WINDOW	32		/* prefetch: sent at most this far ahead */
#define BASE	0xfff00000u	/* the last seq before the first: wraps */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	return check_xorshift(&rng);
}

static _Alignas(64) uint8_t block[sizeof(struct wstats)];
static struct wstats *ws = (struct wstats *)block;
static _Atomic uint32_t sent;	/* last seq the supervisor published */
static _Atomic uint32_t done;	/* last seq the worker took off its ring */
static uint8_t	 ran[NTASKS], revoked[NTASKS];

static uint32_t
claimv(void)
{
	return WCLAIM_CLAIMED(atomic_load(&ws->claim));
}

static uint32_t
markv(void)
{
	return WCLAIM_REVOKED(atomic_load(&ws->claim));
}

static void
test_cases(void)
{
	uint32_t	 pos, s;

	memset(block, 0, sizeof(block));
	/* A fresh block: task 1 is the worker's. */
	CHECK(wire_claim(ws, 1) == 1);
	CHECK(claimv() == 1 && markv() == 0);
	/* 2..5 sent, all of them written in full: 4 revoked. */
	CHECK(wire_revoke(ws, 1, 5, 5, 1, &pos) == 4 && pos == 1);
	CHECK(claimv() == 1 && markv() == 0);		/* dry: unchanged */
	CHECK(wire_revoke(ws, 1, 5, 5, 0, &pos) == 4 && pos == 1);
	CHECK(claimv() == 1 && markv() == 5);
	for (s = 2; s <= 5; s++)
		CHECK(wire_claim(ws, s) == 0);
	/* Nothing more to revoke until more is sent. */
	CHECK(wire_revoke(ws, 6, 5, 5, 0, &pos) == 0 && pos == 5);
	CHECK(wire_claim(ws, 6) == 1);
	CHECK(claimv() == 6 && markv() == 5);
	/* 7 written, 8 being written: only 7 revoked. */
	CHECK(wire_revoke(ws, 6, 8, 7, 0, &pos) == 1 && pos == 6);
	CHECK(wire_claim(ws, 7) == 0);
	CHECK(wire_claim(ws, 8) == 1);

	/* Claims the worker could not have made: nothing revoked. */
	atomic_store(&ws->claim, WCLAIM(0, 100));
	CHECK(wire_revoke(ws, 9, 12, 12, 0, &pos) == 0);
	CHECK(atomic_load(&ws->claim) == WCLAIM(0, 100));
	atomic_store(&ws->claim, WCLAIM(0, 2));
	CHECK(wire_revoke(ws, 9, 12, 12, 0, &pos) == 0);
	CHECK(atomic_load(&ws->claim) == WCLAIM(0, 2));
	/* A mark past what was sent is the worker's lie too. */
	atomic_store(&ws->claim, WCLAIM(50, 8));
	CHECK(wire_revoke(ws, 9, 12, 12, 0, &pos) == 0);

	/* Across 2^32: 0xffffffff claimed, 0..3 revoked, 4 claimed. */
	atomic_store(&ws->claim, WCLAIM(0xfffffffdu, 0xfffffffeu));
	CHECK(wire_claim(ws, 0xffffffffu) == 1);
	CHECK(wire_revoke(ws, 0xffffffffu, 4, 3, 0, &pos) == 4 &&
	    pos == 0xffffffffu);
	for (s = 0; s <= 3; s++)
		CHECK(wire_claim(ws, s) == 0);
	CHECK(wire_claim(ws, 4) == 1);

	/*
	 * A mark never moved by the supervisor must not fall 2^31 behind
	 * the seqs (it would then look ahead of them): claims bring it up.
	 */
	atomic_store(&ws->claim, WCLAIM(0, 0x7ffffff0u));
	for (s = 0x7ffffff1u; s != 0x80000020u; s++)
		CHECK(wire_claim(ws, s) == 1);
	CHECK(claimv() == 0x8000001fu && markv() == 0x8000001eu);
}

static void *
worker(void *arg)
{
	uint32_t	 s = BASE + 1, i;
	volatile uint32_t x = 0;

	(void)arg;
	for (i = 0; i < NTASKS; ) {
		if (WSEQ_AFTER(s, atomic_load_explicit(&sent,
		    memory_order_acquire))) {
			sched_yield();
			continue;
		}
		if (wire_claim(ws, s)) {
			ran[i]++;
			/* A run of a few hundred cycles now and then. */
			if ((s & 7) == 0)
				for (x = 0; x < (s & 0x1ff); x++)
					;
		}
		atomic_store_explicit(&done, s, memory_order_release);
		s++;
		i++;
	}
	return NULL;
}

static void
test_threads(uint32_t every)
{
	pthread_t	 th;
	uint32_t	 next = BASE, mark, pos, n, d, s;
	uint64_t	 nrev = 0, calls = 0, hits = 0, nran = 0, both = 0,
			 neither = 0, bad = 0, i;

	memset(block, 0, sizeof(block));
	memset(ran, 0, sizeof(ran));
	memset(revoked, 0, sizeof(revoked));
	atomic_store(&ws->claim, WCLAIM(BASE, BASE));
	atomic_store(&sent, BASE);
	atomic_store(&done, BASE);
	CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
	for (;;) {
		d = atomic_load_explicit(&done, memory_order_acquire);
		if (d == BASE + NTASKS)
			break;
		if (next - BASE < NTASKS && next - d < WINDOW) {
			next++;
			atomic_store_explicit(&sent, next,
			    memory_order_release);
		} else if (every > 1 && rnd() % 64 != 0) {
			/* The window is full: let the worker at it. */
			sched_yield();
			continue;
		}
		/* About one revoke every `every' tasks sent. */
		if (rnd() % every != 0)
			continue;
		/* Under valgrind the threads take turns: let the worker run. */
		if ((++calls & 255) == 0)
			sched_yield();
		/* Sometimes the last task is still being written. */
		mark = (rnd() & 1) && next != d ? next - 1 : next;
		n = wire_revoke(ws, d + 1, next, mark, 0, &pos);
		if (n == 0)
			continue;
		hits++;
		if (n != mark - pos)
			bad++;
		for (s = pos + 1; s != mark + 1; s++)
			revoked[s - BASE - 1]++;
		nrev += n;
	}
	pthread_join(th, NULL);
	for (i = 0; i < NTASKS; i++) {
		nran += ran[i];
		both += ran[i] + revoked[i] > 1;
		neither += ran[i] + revoked[i] == 0;
	}
	printf("claim, a revoke every %u: %d tasks, %llu run, %llu revoked in %llu of %llu "
	    "revokes; %llu both, %llu neither\n", every, NTASKS,
	    (unsigned long long)nran, (unsigned long long)nrev,
	    (unsigned long long)hits, (unsigned long long)calls,
	    (unsigned long long)both, (unsigned long long)neither);
	CHECK(bad == 0);
	CHECK(both == 0);
	CHECK(neither == 0);
	CHECK(nran + nrev == NTASKS);
	CHECK(nrev > 0);
	/* As fast as it can, the supervisor may take every task. */
	CHECK(nran > 0 || every == 1);
}

int
main(void)
{
	test_cases();
	/* Revokes now and then, and as fast as the supervisor can. */
	test_threads(24);
	test_threads(1);
	return check_done("test_claim");
}
