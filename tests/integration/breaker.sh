#!/bin/sh
# breaker.sh -- the circuit breaker of a handler (breaker-threshold,
# breaker-window, breaker-cooldown; forkpool.breakers; log lines
# breaker_open, breaker_probe) opened by crashes.  Every breaker is closed
# at start.  Three crashes of `crash' within the window open its breaker:
# the 4th call is answered circuit_open at once, without reaching a
# worker; forkpool.breakers shows crash open; echo is unaffected.  After
# the cool-down exactly one probe goes through (a second call made
# meanwhile is answered circuit_open); the probe crashes: open again.
# (Timeouts, and a good probe: breaker_timeouts.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start_breakers
fp_py <<'PY' || fp_fail "circuit breaker opened by crashes (see above)"
import fpclient as fc
from breaking import *

for i in range(3):
	err, _ = c.call("crash", [], 10)
	fc.expect_err(err, "worker_crashed", "crash #%d" % (i + 1))
	if i == 1:
		b = state("crash")
		if b["state"] != "closed" or b["failures"] != 2:
			fc.fail("after 2 crashes (threshold 3): %r" % (b,))
fc.wait_children(dpid, 2)
circuit_open("crash", [], "the 4th crash call")
b = state("crash")
if b["state"] != "open" or b["failures"] < 3 or \
    not isinstance(b["opened_s_ago"], (int, float)):
	fc.fail("forkpool.breakers after 3 crashes: %r" % (b,))
err, res = c.call("echo", ["unaffected"])
if err is not None or res != "unaffected":
	fc.fail("echo while crash's breaker is open: %r %r" % (err, res))
if state("echo")["state"] != "closed":
	fc.fail("echo's breaker: %r" % (state("echo"),))
opened = fc.log_lines(r"event=breaker_open .*handler=crash\b")
if len(opened) != 1:
	fc.fail("expected one breaker_open line for crash, got %r" % (opened,))
print("crash: open after 3 crashes: %r" % (b,))

wait_cooled("crash")
p1 = c.queue_request("crash", [])
p2 = c.queue_request("crash", [])
got = fc.collect(c, [p1, p2], 10, "two calls after the cool-down")
codes = sorted(fc.code(got[p][0][2]) for p in (p1, p2))
if codes != ["circuit_open", "worker_crashed"]:
	fc.fail("after the cool-down one probe goes through and the other call "
	    "is refused: got %r" % ([got[p1][0], got[p2][0]],))
fc.wait_children(dpid, 2)
circuit_open("crash", [], "crash after the probe failed")
if state("crash")["state"] != "open":
	fc.fail("after a failed probe: %r" % (state("crash"),))
if not fc.log_lines(r"event=breaker_probe .*handler=crash\b"):
	fc.fail("no breaker_probe log line for crash")
opened = fc.log_lines(r"event=breaker_open .*handler=crash\b")
if len(opened) != 2:
	fc.fail("expected 2 breaker_open lines for crash (open, reopen), got "
	    "%r" % (opened,))
print("crash: one probe after the cool-down, failed, open again")
PY
fp_stop_clean
