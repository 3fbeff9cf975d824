#!/bin/sh
# breaker_timeouts.sh -- timeouts count as failures for the circuit
# breaker: three `sleep 500' under `handler sleep timeout 100ms' open the
# breaker of sleep (calls answered circuit_open at once, log breaker_open);
# after the cool-down a probe `sleep 10' succeeds and closes it (state
# closed, log breaker_closed), and calls go through again.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start_breakers
fp_py <<'PY' || fp_fail "circuit breaker opened by timeouts (see above)"
import fpclient as fc
from breaking import *

for i in range(3):
	err, _ = c.call("sleep", [500], 10)
	fc.expect_err(err, "timeout", "sleep 500 under a 100 ms deadline #%d" %
	    (i + 1))
fc.wait_children(dpid, 2)
circuit_open("sleep", [500], "sleep 500 after 3 timeouts")
circuit_open("sleep", [10], "sleep 10 after 3 timeouts")
b = state("sleep")
if b["state"] != "open":
	fc.fail("sleep after 3 timeouts: %r" % (b,))
if not fc.log_lines(r"event=breaker_open .*handler=sleep\b"):
	fc.fail("no breaker_open log line for sleep")
wait_cooled("sleep")
err, res = c.call("sleep", [10], 10)
if err is not None or res != 10:
	fc.fail("the probe sleep 10 after the cool-down: %r %r" % (err, res))
b = state("sleep")
if b["state"] != "closed" or b["opened_s_ago"] is not None:
	fc.fail("after a successful probe the breaker closes: %r" % (b,))
if not fc.log_lines(r"event=breaker_closed .*handler=sleep\b"):
	fc.fail("no breaker_closed log line for sleep")
for i in range(5):
	err, res = c.call("sleep", [10], 10)
	if err is not None or res != 10:
		fc.fail("sleep 10 after the breaker closed: %r %r" % (err, res))
print("sleep: open after 3 timeouts, closed by a good probe: %r" % (b,))
PY
fp_stop_clean
