#!/bin/sh
# worker_stats_lie.sh -- a worker that clears `running' in its stats block
# and dies (test handler violate lie; the daemon of fp_start_violation in
# tests/lib.sh) with retries 2: the task runs exactly 3 times and is
# answered worker_crashed with attempts 3; it is never requeued for free,
# and the pool still serves.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start_violation
fp_py <<'PY' || fp_fail "a worker that lies in its stats block (see above)"
import os
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
c = fc.Conn(sock)

fc.wait_stats(sock, lambda s: s["workers_ready"] == 2, "2 workers ready",
    15)
runs = fc.nlog(r"event=test_violate ")
err, res = c.call("forkpool.call", ["violate", ["lie"], {"retries": 2}], 30)
fc.expect_err(err, "worker_crashed", "violate lie, retries 2")
n = fc.nlog(r"event=test_violate ") - runs
if n != 3:
	fc.fail("violate lie with retries 2 ran %d times, expected 3" % n)
if err.get("attempts") != 3:
	fc.fail("attempts in the error: %r" % (err,))
print("lie: ran 3 times, %r" % (err,))
err, res = c.call("echo", ["still serving"], 20)
if err is not None or res != "still serving":
	fc.fail("echo at the end: %r %r" % (err, res))
PY
fp_stop_clean
