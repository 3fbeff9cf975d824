#!/bin/sh
# deadline_answered.sh -- the configured timeout is a ceiling on a worker's
# time even for a task nobody waits for any more (forkpool.conf(5)
# timeout): under `handler sleep timeout 1s', a `sleep 10000' that its
# client cancels (cancel-running drop: the answer is `cancelled' at once),
# or whose client
# disconnects, still has its worker killed at the deadline; a bystander's
# echo is answered well before the sleep would have ended, and the worker
# is replaced.  Without this, cancelling or hanging up was a way around
# the ceiling that held a worker for as long as the client liked.  A
# worker that writes in its stats block that it runs nothing and then
# hangs (test handler violate lie-hang, under `handler violate timeout
# 500ms') is killed all the same, one second past the deadline, and its
# task answered timeout: what a worker writes there is only a claim.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\ntimeout 0\nhandler sleep timeout 1s\nprefetch 1\nhandler violate timeout 500ms\n' \
    >"$FP_CONF"
fp_start -T
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

# A worker that claims to run nothing and hangs.
(w,) = fc.wait_children(dpid, 1)
c = fc.Conn(sock)
t0 = time.monotonic()
err, res = c.call("violate", ["lie-hang"], 10)
dt = time.monotonic() - t0
fc.expect_err(err, "timeout", "violate lie-hang under a 500 ms deadline")
if dt > 3:
	fc.fail("violate lie-hang answered after %.2f s: expected the 500 ms "
	    "deadline plus the 1 s grace" % dt)
fc.wait_children(dpid, 1, avoid=[w])
print("lie-hang: the worker was killed, timeout after %.2f s" % dt)
PY
assert_grep 'event=worker_kill .*reason=deadline' "$FP_LOG" \
    "the worker kill is logged"
fp_stop_clean
