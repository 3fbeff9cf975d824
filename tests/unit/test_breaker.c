/*
 * test_breaker.c -- unit tests of the per-handler circuit breaker
 * (src/breaker.c): the disabled breaker, the sliding window, opening at
 * exactly the threshold, rejection while open, the single half-open probe,
 * probe success and failure, abandoned probes, late results while open,
 * successes in closed state, reconfiguration, large thresholds (grouped
 * window, checked against a brute-force count) and clock oddities.
 *
 * Time is simulated: every call gets an explicit now in ns.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"
#include "check.h"

#define MS	1000000ULL
#define SEC	1000000000ULL
#define T0	(1000 * SEC)	/* an arbitrary, non-zero start */

/* fail: one crash or timeout at now, returns the transition. */
static int
fail(struct breaker *b, uint64_t now)
{
	return breaker_result(b, 1, 0, now);
}

static int
succeed(struct breaker *b, uint64_t now)
{
	return breaker_result(b, 0, 0, now);
}

/* open_at: a fresh breaker (3 in 10 s, cool-down 5 s) opened at `t'. */
static void
open_at(struct breaker *b, uint64_t t)
{
	CHECK(breaker_init(b, 3, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(b, t - 2 * MS) == BR_T_NONE);
	CHECK(fail(b, t - 1 * MS) == BR_T_NONE);
	CHECK(fail(b, t) == BR_T_OPENED);
	CHECK(b->state == BR_OPEN);
}

static void
test_disabled(void)
{
	struct breaker	 b;
	int		 i, bad;

	CHECK(breaker_init(&b, 0, 0, 0) == 0);	/* window 0 fine when off */
	bad = 0;
	for (i = 0; i < 10000; i++) {
		if (fail(&b, T0 + (uint64_t)i) != BR_T_NONE ||
		    breaker_admit(&b, T0 + (uint64_t)i) != BR_ADMIT)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(breaker_result(&b, 1, 1, T0) == BR_T_NONE);
	CHECK(breaker_failures(&b, T0) == 0);
	CHECK(breaker_state(&b, T0) == BR_CLOSED);
	CHECK(breaker_open_ns(&b, T0) == 0);
	CHECK(b.slots == NULL);
	breaker_probe_abandon(&b);
	CHECK(breaker_admit(&b, T0) == BR_ADMIT);
	breaker_free(&b);
	breaker_free(&b);			/* twice is fine */

	/* A zero-filled breaker is a disabled one. */
	memset(&b, 0, sizeof(b));
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(breaker_admit(&b, T0) == BR_ADMIT);
	CHECK(breaker_failures(&b, T0) == 0);
	breaker_free(&b);
}

static void
test_init_errors(void)
{
	struct breaker	 b;

	errno = 0;
	CHECK(breaker_init(&b, 3, 0, SEC) == -1);
	CHECK(errno == EINVAL);
	CHECK(b.threshold == 0 && b.slots == NULL);	/* disabled */
	CHECK(breaker_admit(&b, T0) == BR_ADMIT);
	breaker_free(&b);

	CHECK(breaker_init(&b, 1, 1, 0) == 0);		/* minimal values */
	CHECK(fail(&b, T0) == BR_T_OPENED);
	breaker_free(&b);
}

static void
test_threshold(void)
{
	struct breaker	 b;

	CHECK(breaker_init(&b, 3, 10 * SEC, 5 * SEC) == 0);
	CHECK(b.state == BR_CLOSED);
	CHECK(breaker_admit(&b, T0) == BR_ADMIT);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0 + SEC) == BR_T_NONE);
	CHECK(breaker_failures(&b, T0 + SEC) == 2);
	CHECK(breaker_admit(&b, T0 + SEC) == BR_ADMIT);
	CHECK(breaker_state(&b, T0 + SEC) == BR_CLOSED);
	CHECK(fail(&b, T0 + 2 * SEC) == BR_T_OPENED);	/* exactly 3 */
	CHECK(breaker_state(&b, T0 + 2 * SEC) == BR_OPEN);
	CHECK(breaker_failures(&b, T0 + 2 * SEC) == 3);
	CHECK(breaker_open_ns(&b, T0 + 2 * SEC) == 0);
	CHECK(breaker_open_ns(&b, T0 + 3 * SEC) == SEC);
	breaker_free(&b);

	/* Threshold 1: the first failure opens it. */
	CHECK(breaker_init(&b, 1, 10 * SEC, 5 * SEC) == 0);
	CHECK(succeed(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0) == BR_T_OPENED);
	breaker_free(&b);

	/* Failures at the same instant count one by one. */
	CHECK(breaker_init(&b, 4, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0) == BR_T_OPENED);
	breaker_free(&b);
}

static void
test_sliding(void)
{
	struct breaker	 b;

	/* All three within 10 s: opens. */
	CHECK(breaker_init(&b, 3, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0 + 4 * SEC) == BR_T_NONE);
	CHECK(fail(&b, T0 + 10 * SEC - 1) == BR_T_OPENED);
	breaker_free(&b);

	/* A failure leaves the window exactly window_ns after it. */
	CHECK(breaker_init(&b, 3, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0 + 6 * SEC) == BR_T_NONE);
	CHECK(breaker_failures(&b, T0 + 10 * SEC - 1) == 2);
	CHECK(breaker_failures(&b, T0 + 10 * SEC) == 1);
	CHECK(fail(&b, T0 + 10 * SEC) == BR_T_NONE);	/* T0 is out */
	CHECK(breaker_failures(&b, T0 + 10 * SEC) == 2);
	CHECK(fail(&b, T0 + 11 * SEC) == BR_T_OPENED);	/* 6, 10, 11 */
	breaker_free(&b);

	/* A steady trickle below the rate never opens. */
	CHECK(breaker_init(&b, 3, 10 * SEC, 5 * SEC) == 0);
	{
		int	i, opened = 0;

		for (i = 0; i < 1000; i++)
			if (fail(&b, T0 + (uint64_t)i * 5 * SEC) != BR_T_NONE)
				opened++;
		CHECK(opened == 0);
		CHECK(breaker_failures(&b, T0 + 999 * 5 * SEC) == 2);
		CHECK(breaker_failures(&b, T0 + 999 * 5 * SEC + 5 * SEC) == 1);
		CHECK(breaker_failures(&b, T0 + 999 * 5 * SEC + 10 * SEC) == 0);
		CHECK(b.state == BR_CLOSED);
	}
	breaker_free(&b);
}

static void
test_successes(void)
{
	struct breaker	 b;

	/*
	 * Chosen rule: "threshold failures within the window", successes in
	 * between do not reset the count (a flapping handler that crashes
	 * every other call still opens it).
	 */
	CHECK(breaker_init(&b, 3, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(succeed(&b, T0 + 1) == BR_T_NONE);
	CHECK(succeed(&b, T0 + 2) == BR_T_NONE);
	CHECK(fail(&b, T0 + 3) == BR_T_NONE);
	CHECK(succeed(&b, T0 + 4) == BR_T_NONE);
	CHECK(breaker_failures(&b, T0 + 4) == 2);
	CHECK(fail(&b, T0 + 5) == BR_T_OPENED);
	breaker_free(&b);
}

static void
test_open_rejects(void)
{
	struct breaker	 b;
	uint64_t	 t;
	int		 bad;

	open_at(&b, T0);
	bad = 0;
	for (t = T0; t < T0 + 5 * SEC; t += 10 * MS)
		if (breaker_admit(&b, t) != BR_REJECT)
			bad++;
	CHECK(bad == 0);
	CHECK(breaker_admit(&b, T0 + 5 * SEC - 1) == BR_REJECT);
	CHECK(b.state == BR_OPEN);
	CHECK(breaker_state(&b, T0 + 5 * SEC - 1) == BR_OPEN);
	CHECK(breaker_open_ns(&b, T0 + 5 * SEC - 1) == 5 * SEC - 1);
	breaker_free(&b);
}

static void
test_half_open(void)
{
	struct breaker	 b;
	int		 i, bad;

	open_at(&b, T0);
	/* Past the cool-down it reads half-open before any call. */
	CHECK(breaker_state(&b, T0 + 5 * SEC) == BR_HALF_OPEN);
	CHECK(b.state == BR_OPEN);
	CHECK(strcmp(breaker_state_name(breaker_state(&b, T0 + 5 * SEC)),
	    "half-open") == 0);

	CHECK(breaker_admit(&b, T0 + 5 * SEC) == BR_PROBE);
	CHECK(b.state == BR_HALF_OPEN && b.probing);
	bad = 0;
	for (i = 1; i <= 100; i++)
		if (breaker_admit(&b, T0 + 5 * SEC + (uint64_t)i * SEC) !=
		    BR_REJECT)
			bad++;
	CHECK(bad == 0);			/* one probe at a time */
	CHECK(breaker_state(&b, T0 + 200 * SEC) == BR_HALF_OPEN);
	CHECK(breaker_open_ns(&b, T0 + 6 * SEC) == 6 * SEC);
	breaker_free(&b);
}

static void
test_probe_success(void)
{
	struct breaker	 b;
	uint64_t	 t;

	open_at(&b, T0);
	t = T0 + 7 * SEC;
	CHECK(breaker_admit(&b, t) == BR_PROBE);
	CHECK(breaker_result(&b, 0, 1, t + SEC) == BR_T_CLOSED);
	CHECK(b.state == BR_CLOSED && !b.probing);
	CHECK(breaker_failures(&b, t + SEC) == 0);	/* window cleared */
	CHECK(breaker_open_ns(&b, t + SEC) == 0);
	CHECK(breaker_admit(&b, t + SEC) == BR_ADMIT);
	CHECK(breaker_admit(&b, t + SEC) == BR_ADMIT);
	/* It takes a full threshold again to reopen. */
	CHECK(fail(&b, t + 2 * SEC) == BR_T_NONE);
	CHECK(fail(&b, t + 2 * SEC) == BR_T_NONE);
	CHECK(fail(&b, t + 2 * SEC) == BR_T_OPENED);
	breaker_free(&b);
}

static void
test_probe_failure(void)
{
	struct breaker	 b;
	uint64_t	 t;

	open_at(&b, T0);
	t = T0 + 5 * SEC;
	CHECK(breaker_admit(&b, t) == BR_PROBE);
	CHECK(breaker_result(&b, 1, 1, t + 2 * SEC) == BR_T_REOPENED);
	CHECK(b.state == BR_OPEN && !b.probing);
	CHECK(breaker_open_ns(&b, t + 2 * SEC) == 0);	/* fresh open time */
	CHECK(breaker_failures(&b, t + 2 * SEC) == 3);	/* saturated */
	/* A fresh cool-down from the probe's failure. */
	CHECK(breaker_admit(&b, t + 2 * SEC) == BR_REJECT);
	CHECK(breaker_admit(&b, t + 7 * SEC - 1) == BR_REJECT);
	CHECK(breaker_state(&b, t + 7 * SEC - 1) == BR_OPEN);
	CHECK(breaker_admit(&b, t + 7 * SEC) == BR_PROBE);
	CHECK(breaker_admit(&b, t + 7 * SEC) == BR_REJECT);
	CHECK(breaker_result(&b, 0, 1, t + 8 * SEC) == BR_T_CLOSED);
	breaker_free(&b);

	/* A probe that times out is a failure like a crash. */
	open_at(&b, T0);
	CHECK(breaker_admit(&b, T0 + 5 * SEC) == BR_PROBE);
	CHECK(breaker_result(&b, 1, 1, T0 + 35 * SEC) == BR_T_REOPENED);
	CHECK(breaker_admit(&b, T0 + 36 * SEC) == BR_REJECT);
	CHECK(breaker_admit(&b, T0 + 40 * SEC) == BR_PROBE);
	breaker_free(&b);
}

static void
test_abandon(void)
{
	struct breaker	 b;

	open_at(&b, T0);
	CHECK(breaker_admit(&b, T0 + 5 * SEC) == BR_PROBE);
	CHECK(breaker_admit(&b, T0 + 5 * SEC) == BR_REJECT);
	breaker_probe_abandon(&b);
	CHECK(b.state == BR_HALF_OPEN && !b.probing);
	/* No new cool-down: the next call is the new probe. */
	CHECK(breaker_admit(&b, T0 + 5 * SEC + 1) == BR_PROBE);
	CHECK(breaker_admit(&b, T0 + 5 * SEC + 2) == BR_REJECT);
	/* The new probe's result decides (an abandoned probe's result must
	 * not be reported: it would be taken for the new one's). */
	CHECK(breaker_result(&b, 0, 1, T0 + 6 * SEC) == BR_T_CLOSED);
	breaker_free(&b);

	/* A result marked probe with no probe in flight changes nothing. */
	open_at(&b, T0);
	CHECK(breaker_admit(&b, T0 + 5 * SEC) == BR_PROBE);
	breaker_probe_abandon(&b);
	CHECK(breaker_result(&b, 0, 1, T0 + 6 * SEC) == BR_T_NONE);
	CHECK(b.state == BR_HALF_OPEN);
	CHECK(breaker_result(&b, 1, 1, T0 + 6 * SEC) == BR_T_NONE);
	CHECK(b.state == BR_HALF_OPEN);
	CHECK(breaker_failures(&b, T0 + 6 * SEC) == 3);	/* saturated */
	CHECK(breaker_admit(&b, T0 + 6 * SEC) == BR_PROBE);
	breaker_free(&b);

	/* Abandon is a no-op unless half-open. */
	CHECK(breaker_init(&b, 3, 10 * SEC, 5 * SEC) == 0);
	breaker_probe_abandon(&b);
	CHECK(b.state == BR_CLOSED && breaker_admit(&b, T0) == BR_ADMIT);
	breaker_free(&b);
	open_at(&b, T0);
	breaker_probe_abandon(&b);
	CHECK(b.state == BR_OPEN);
	CHECK(breaker_admit(&b, T0 + SEC) == BR_REJECT);
	breaker_free(&b);
}

static void
test_late_results(void)
{
	struct breaker	 b;

	/* Tasks admitted before it opened finish while it is open. */
	open_at(&b, T0);
	CHECK(fail(&b, T0 + SEC) == BR_T_NONE);
	CHECK(succeed(&b, T0 + SEC) == BR_T_NONE);
	CHECK(b.state == BR_OPEN);
	CHECK(breaker_failures(&b, T0 + SEC) == 3);	/* saturates at 3 */
	CHECK(breaker_open_ns(&b, T0 + 2 * SEC) == 2 * SEC);	/* not moved */
	CHECK(breaker_admit(&b, T0 + 5 * SEC) == BR_PROBE);

	/* ... and while half-open, with the probe in flight. */
	CHECK(succeed(&b, T0 + 6 * SEC) == BR_T_NONE);
	CHECK(b.state == BR_HALF_OPEN && b.probing);
	CHECK(fail(&b, T0 + 6 * SEC) == BR_T_NONE);
	CHECK(b.state == BR_HALF_OPEN && b.probing);
	CHECK(breaker_admit(&b, T0 + 6 * SEC) == BR_REJECT);
	CHECK(breaker_result(&b, 0, 1, T0 + 7 * SEC) == BR_T_CLOSED);

	/* After closing, late failures count afresh. */
	CHECK(fail(&b, T0 + 8 * SEC) == BR_T_NONE);
	CHECK(breaker_failures(&b, T0 + 8 * SEC) == 1);
	breaker_free(&b);

	/* Below the threshold the count is exact while open. */
	CHECK(breaker_init(&b, 10, 10 * SEC, 5 * SEC) == 0);
	{
		int	i;

		for (i = 0; i < 9; i++)
			CHECK(fail(&b, T0 + (uint64_t)i * MS) == BR_T_NONE);
		CHECK(fail(&b, T0 + 9 * MS) == BR_T_OPENED);
		CHECK(fail(&b, T0 + 5 * SEC) == BR_T_NONE);
		/* at T0 + 10.005 s the first six have left the window */
		CHECK(breaker_failures(&b, T0 + 10 * SEC + 5 * MS) == 5);
		CHECK(breaker_failures(&b, T0 + 15 * SEC) == 0);
	}
	breaker_free(&b);
}

static void
test_reconfigure(void)
{
	struct breaker	 b;
	int		 i;

	/* Raising the threshold keeps the count. */
	CHECK(breaker_init(&b, 3, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0 + SEC) == BR_T_NONE);
	CHECK(breaker_reconfigure(&b, 5, 10 * SEC, 5 * SEC) == 0);
	CHECK(breaker_failures(&b, T0 + SEC) == 2);
	CHECK(fail(&b, T0 + 2 * SEC) == BR_T_NONE);	/* 3 of 5 */
	CHECK(fail(&b, T0 + 2 * SEC) == BR_T_NONE);
	CHECK(fail(&b, T0 + 2 * SEC) == BR_T_OPENED);
	breaker_free(&b);

	/* Lowering it below the count opens on the next failure. */
	CHECK(breaker_init(&b, 5, 10 * SEC, 5 * SEC) == 0);
	for (i = 0; i < 3; i++)
		CHECK(fail(&b, T0 + (uint64_t)i * SEC) == BR_T_NONE);
	CHECK(breaker_reconfigure(&b, 2, 10 * SEC, 5 * SEC) == 0);
	CHECK(b.state == BR_CLOSED);
	CHECK(breaker_failures(&b, T0 + 3 * SEC) == 2);	/* newest two */
	CHECK(breaker_failures(&b, T0 + 11 * SEC) == 1);	/* T0+2 s out */
	CHECK(fail(&b, T0 + 11 * SEC) == BR_T_OPENED);
	breaker_free(&b);

	/* A smaller ring keeps the newest failures. */
	CHECK(breaker_init(&b, 10, 10 * SEC, 5 * SEC) == 0);
	for (i = 0; i < 6; i++)
		CHECK(fail(&b, T0 + (uint64_t)i * SEC) == BR_T_NONE);
	CHECK(breaker_reconfigure(&b, 4, 10 * SEC, 5 * SEC) == 0);
	CHECK(breaker_failures(&b, T0 + 12 * SEC + 500 * MS) == 3);
	breaker_free(&b);

	/* A shorter window applies at once. */
	CHECK(breaker_init(&b, 5, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0 + 5 * SEC) == BR_T_NONE);
	CHECK(breaker_reconfigure(&b, 5, 3 * SEC, 5 * SEC) == 0);
	CHECK(breaker_failures(&b, T0 + 6 * SEC) == 1);
	CHECK(breaker_failures(&b, T0 + 8 * SEC) == 0);
	breaker_free(&b);

	/* Open stays open; the new cool-down applies to it. */
	open_at(&b, T0);
	CHECK(breaker_reconfigure(&b, 3, 10 * SEC, SEC) == 0);
	CHECK(b.state == BR_OPEN);
	CHECK(breaker_open_ns(&b, T0 + SEC) == SEC);
	CHECK(breaker_admit(&b, T0 + SEC - 1) == BR_REJECT);
	CHECK(breaker_admit(&b, T0 + SEC) == BR_PROBE);
	/* A probe in flight survives a reload, even of the threshold. */
	CHECK(breaker_reconfigure(&b, 7, 20 * SEC, 2 * SEC) == 0);
	CHECK(b.state == BR_HALF_OPEN && b.probing);
	CHECK(breaker_admit(&b, T0 + 2 * SEC) == BR_REJECT);
	CHECK(breaker_result(&b, 0, 1, T0 + 2 * SEC) == BR_T_CLOSED);
	breaker_free(&b);

	/* Disabling: everything admitted, state reset; re-enabling: closed
	 * and empty; a probe result from before is not a probe any more. */
	open_at(&b, T0);
	CHECK(breaker_admit(&b, T0 + 5 * SEC) == BR_PROBE);
	CHECK(breaker_reconfigure(&b, 0, 10 * SEC, 5 * SEC) == 0);
	CHECK(b.slots == NULL && b.state == BR_CLOSED);
	CHECK(breaker_admit(&b, T0 + 5 * SEC) == BR_ADMIT);
	CHECK(breaker_failures(&b, T0 + 5 * SEC) == 0);
	CHECK(breaker_state(&b, T0 + 5 * SEC) == BR_CLOSED);
	CHECK(breaker_reconfigure(&b, 2, 10 * SEC, 5 * SEC) == 0);
	CHECK(b.state == BR_CLOSED && !b.probing);
	CHECK(breaker_failures(&b, T0 + 5 * SEC) == 0);
	CHECK(breaker_result(&b, 1, 1, T0 + 6 * SEC) == BR_T_NONE);
	CHECK(b.state == BR_CLOSED);
	CHECK(fail(&b, T0 + 6 * SEC) == BR_T_OPENED);
	breaker_free(&b);

	/* Bad parameters: refused, breaker unchanged. */
	open_at(&b, T0);
	errno = 0;
	CHECK(breaker_reconfigure(&b, 3, 0, SEC) == -1);
	CHECK(errno == EINVAL);
	CHECK(b.state == BR_OPEN && b.threshold == 3 &&
	    b.window_ns == 10 * SEC && b.cooldown_ns == 5 * SEC);
	CHECK(breaker_failures(&b, T0) == 3);
	breaker_free(&b);

	/* Exact -> grouped -> exact keeps the count. */
	CHECK(breaker_init(&b, 5, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(fail(&b, T0 + SEC) == BR_T_NONE);
	CHECK(fail(&b, T0 + 2 * SEC) == BR_T_NONE);
	CHECK(breaker_reconfigure(&b, 5000, 10 * SEC, 5 * SEC) == 0);
	CHECK(b.nslots == BR_MAX_SLOTS && b.group_ns > 0);
	CHECK(breaker_failures(&b, T0 + 2 * SEC) == 3);
	for (i = 0; i < 2000; i++)
		fail(&b, T0 + 3 * SEC);
	CHECK(breaker_failures(&b, T0 + 3 * SEC) == 2003);
	CHECK(breaker_reconfigure(&b, 10, 10 * SEC, 5 * SEC) == 0);
	CHECK(b.nslots == 10 && b.group_ns == 0);
	CHECK(breaker_failures(&b, T0 + 3 * SEC) == 10);	/* saturated */
	CHECK(breaker_failures(&b, T0 + 13 * SEC) == 0);
	CHECK(b.state == BR_CLOSED);
	CHECK(fail(&b, T0 + 13 * SEC) == BR_T_NONE);
	breaker_free(&b);
}

static void
test_large(void)
{
	struct breaker	 b;
	uint64_t	 t;
	uint32_t	 i;
	int		 bad;

	/* 1e6 failures in 5 s against a 10 s window. */
	CHECK(breaker_init(&b, 1000000, 10 * SEC, 5 * SEC) == 0);
	CHECK(b.nslots == BR_MAX_SLOTS);
	bad = 0;
	for (i = 0; i < 999999; i++)
		if (fail(&b, T0 + (uint64_t)i * 5000) != BR_T_NONE)
			bad++;
	CHECK(bad == 0);
	CHECK(b.state == BR_CLOSED);
	CHECK(breaker_failures(&b, T0 + 5 * SEC) == 999999);
	CHECK(fail(&b, T0 + 5 * SEC) == BR_T_OPENED);
	CHECK(breaker_failures(&b, T0 + 5 * SEC) == 1000000);
	CHECK(breaker_failures(&b, T0 + 16 * SEC) == 0);
	breaker_free(&b);

	/* The same number spread over 20 s never reaches it. */
	CHECK(breaker_init(&b, 1000000, 10 * SEC, 5 * SEC) == 0);
	bad = 0;
	for (i = 0; i < 1000000; i++)
		if (fail(&b, T0 + (uint64_t)i * 20000) != BR_T_NONE)
			bad++;
	CHECK(bad == 0);
	t = T0 + 999999ULL * 20000;
	/* ~500000 in the window, give or take one group (~10 ms). */
	CHECK(breaker_failures(&b, t) <= 500000);
	CHECK(breaker_failures(&b, t) >= 500000 - 10 * MS / 20000 - 1);
	breaker_free(&b);

	/* The largest threshold: allocation stays capped. */
	CHECK(breaker_init(&b, UINT32_MAX, 3600 * SEC, SEC) == 0);
	CHECK(b.nslots == BR_MAX_SLOTS);
	CHECK(fail(&b, T0) == BR_T_NONE);
	CHECK(breaker_failures(&b, T0) == 1);
	breaker_free(&b);

	/* A window shorter than BR_MAX_SLOTS ns: groups of 1 ns, still
	 * enough slots to cover it. */
	CHECK(breaker_init(&b, 2000, 1023, SEC) == 0);
	CHECK(b.group_ns == 1);
	bad = 0;
	for (i = 0; i < 1999; i++)
		if (fail(&b, T0) != BR_T_NONE)
			bad++;
	CHECK(bad == 0);
	CHECK(fail(&b, T0) == BR_T_OPENED);
	breaker_free(&b);

	/* Groups of 1 ns hold one instant each: one failure per ns is
	 * counted exactly (1023 in a 1024 ns window, then the next). */
	CHECK(breaker_init(&b, 2000, 1024, SEC) == 0);
	CHECK(b.group_ns == 1);
	bad = 0;
	for (i = 0; i < 3000; i++) {
		fail(&b, T0 + i);
		if (breaker_failures(&b, T0 + i) != (i < 1024 ? i + 1 : 1024))
			bad++;
		if (breaker_failures(&b, T0 + i + 1) != (i < 1023 ? i + 1 :
		    1023))
			bad++;
	}
	CHECK(bad == 0);
	CHECK(b.state == BR_CLOSED);
	breaker_free(&b);

	/* Exact mode at the cap. */
	CHECK(breaker_init(&b, BR_MAX_SLOTS, 10 * SEC, 5 * SEC) == 0);
	CHECK(b.nslots == BR_MAX_SLOTS && b.group_ns == 0);
	bad = 0;
	for (i = 0; i < BR_MAX_SLOTS - 1; i++)
		if (fail(&b, T0 + i) != BR_T_NONE)
			bad++;
	CHECK(bad == 0);
	CHECK(fail(&b, T0 + BR_MAX_SLOTS) == BR_T_OPENED);
	breaker_free(&b);
}

/*
 * check_model: feed pseudo-random failure times to a breaker and compare
 * breaker_failures() with a brute-force count.  Exact mode: the count is
 * min(in window, threshold).  Grouped mode: never more than in the
 * window, never less than in the window shortened by one group.
 */
static int
check_model(uint32_t threshold, uint64_t window, int n, uint32_t seed)
{
	struct breaker	 b;
	uint64_t	*times, t, exact, inner, got;
	int		 i, j, bad;

	if ((times = malloc((size_t)n * sizeof(*times))) == NULL)
		return 1;
	if (breaker_init(&b, threshold, window, SEC) == -1) {
		free(times);
		return 1;
	}
	bad = 0;
	t = T0;
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		/* bursts and gaps: 0 .. ~window/4 apart, often 0 */
		if ((seed >> 16) % 4 != 0)
			t += ((uint64_t)(seed >> 8) % (window / 4 + 1)) /
			    (1 + (seed >> 28));
		times[i] = t;
		fail(&b, t);
		if (i % 7 != 0)
			continue;
		/* query at t, sometimes also a little later: the clock then
		 * moves on (times never go backwards) */
		for (j = 0; j < ((seed >> 12) % 3 == 0 ? 2 : 1); j++) {
			uint64_t	 q = t + (uint64_t)j * window / 3;
			int		 k;

			exact = inner = 0;
			for (k = 0; k <= i; k++) {
				if (q - times[k] < window)
					exact++;
				if (q - times[k] + b.group_ns < window)
					inner++;
			}
			got = breaker_failures(&b, q);
			if (b.group_ns == 0) {
				if (got != (exact < threshold ? exact :
				    threshold))
					bad++;
			} else if (got > exact || got < inner)
				bad++;
			if (j == 1)
				t = q;
		}
	}
	breaker_free(&b);
	free(times);
	return bad;
}

static void
test_model(void)
{
	CHECK(check_model(1, 10 * SEC, 300, 1) == 0);
	CHECK(check_model(5, 10 * SEC, 2000, 2) == 0);
	CHECK(check_model(100, 1 * SEC, 3000, 3) == 0);
	CHECK(check_model(BR_MAX_SLOTS, 10 * SEC, 4000, 4) == 0);
	CHECK(check_model(BR_MAX_SLOTS + 1, 10 * SEC, 4000, 5) == 0);
	CHECK(check_model(50000, 100 * MS, 4000, 6) == 0);
	CHECK(check_model(1000000, 3600 * SEC, 4000, 7) == 0);
	CHECK(check_model(2000, 1023, 3000, 8) == 0);	/* tiny window */
}

static void
test_clock(void)
{
	struct breaker	 b;

	/* Cool-down 0: the next call is the probe. */
	CHECK(breaker_init(&b, 1, 10 * SEC, 0) == 0);
	CHECK(fail(&b, T0) == BR_T_OPENED);
	CHECK(breaker_state(&b, T0) == BR_HALF_OPEN);
	CHECK(breaker_admit(&b, T0) == BR_PROBE);
	CHECK(breaker_admit(&b, T0) == BR_REJECT);
	breaker_free(&b);

	/* A clock that goes backwards: nothing huge, nothing admitted. */
	open_at(&b, T0);
	CHECK(breaker_open_ns(&b, T0 - SEC) == 0);
	CHECK(breaker_admit(&b, T0 - SEC) == BR_REJECT);
	CHECK(breaker_failures(&b, T0 - SEC) == 3);
	CHECK(fail(&b, T0 - 2 * SEC) == BR_T_NONE);
	CHECK(breaker_failures(&b, T0 + 100 * SEC) == 0);
	breaker_free(&b);

	/* Time 0 is an ordinary time. */
	CHECK(breaker_init(&b, 2, 10 * SEC, 5 * SEC) == 0);
	CHECK(fail(&b, 0) == BR_T_NONE);
	CHECK(fail(&b, 0) == BR_T_OPENED);
	CHECK(breaker_open_ns(&b, 0) == 0);
	CHECK(breaker_admit(&b, 5 * SEC - 1) == BR_REJECT);
	CHECK(breaker_admit(&b, 5 * SEC) == BR_PROBE);
	breaker_free(&b);
}

static void
test_names(void)
{
	CHECK(strcmp(breaker_state_name(BR_CLOSED), "closed") == 0);
	CHECK(strcmp(breaker_state_name(BR_OPEN), "open") == 0);
	CHECK(strcmp(breaker_state_name(BR_HALF_OPEN), "half-open") == 0);
	CHECK(strcmp(breaker_state_name(42), "unknown") == 0);
	CHECK(strcmp(breaker_state_name(-1), "unknown") == 0);
}

int
main(void)
{
	test_disabled();
	test_init_errors();
	test_threshold();
	test_sliding();
	test_successes();
	test_open_rejects();
	test_half_open();
	test_probe_success();
	test_probe_failure();
	test_abandon();
	test_late_results();
	test_reconfigure();
	test_large();
	test_model();
	test_clock();
	test_names();
	return check_done("test_breaker");
}
