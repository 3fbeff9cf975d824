#!/bin/sh
# deadline_answered.sh -- the configured timeout is a ceiling on a worker's
# time even for a task nobody waits for any more (forkpool.conf(5)
# timeout): under `handler sleep timeout 1s', a `sleep 10000' that its
# client cancels (cancel-running drop: the answer is `cancelled' at once),
# or whose client
# disconnects, still has its worker killed at the deadline; a bystander's
# echo is answered well before the sleep would have ended, and the worker
# is replaced.  Without this, cancelling or hanging up was a way around
# the ceiling that held a worker for as long as the client liked.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\ntimeout 0\nhandler sleep timeout 1s\nprefetch 1\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "a task nobody waits for outlived its deadline"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

for how in ("cancel", "disconnect"):
	(w,) = fc.wait_children(dpid, 1)
	c = fc.Conn(sock)
	t0 = time.monotonic()
	mid = c.queue_request("sleep", [10000])
	c.flush()
	fc.wait_stats(sock, lambda s: s["running"] == 1, "the sleep running", 5)
	if how == "cancel":
		k = c.queue_request("forkpool.cancel", [mid])
		c.flush()
		got = fc.collect(c, [mid, k], 5, "the cancel and the sleep")
		if got[k][0][2] is not None or got[k][0][3] is not True:
			fc.fail("forkpool.cancel of the sleep: %r" % (got[k][0],))
		fc.expect_err(got[mid][0][2], "cancelled", "the cancelled sleep")
	else:
		c.close()
	# The bystander's echo waits for the one worker: it gets it back
	# at the sleep's deadline (1 s), not after 10 s.
	b = fc.Conn(sock)
	err, res = b.call("echo", ["bystander"], 10)
	dt = time.monotonic() - t0
	if err is not None or res != "bystander":
		fc.fail("%s: the bystander's echo: %r %r after %.2f s" %
		    (how, err, res, dt))
	if dt > 4:
		fc.fail("%s: the bystander waited %.2f s: the worker ran the "
		    "sleep past its 1 s deadline" % (how, dt))
	fc.wait_children(dpid, 1, avoid=[w])
	b.close()
	print("%s: the worker was killed at the deadline; the bystander "
	    "answered after %.2f s" % (how, dt))
PY
assert_grep 'event=worker_kill .*reason=deadline' "$FP_LOG" \
    "the worker kill is logged"
fp_stop_clean
