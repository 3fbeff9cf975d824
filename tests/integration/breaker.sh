#!/bin/sh
# breaker.sh -- the circuit breaker of a handler (breaker-threshold,
# breaker-window, breaker-cooldown; forkpool.breakers; log lines
# breaker_open, breaker_probe, breaker_closed).
#
# - Three crashes of `crash' within the window open its breaker: the 4th
#   call is answered circuit_open at once, without reaching a worker;
#   forkpool.breakers shows crash open; echo is unaffected.
# - After the cool-down exactly one probe goes through (a second call made
#   meanwhile is answered circuit_open); the probe crashes: open again.
# - Timeouts count as failures: three `sleep 500' under `handler sleep
#   timeout 100ms' open the breaker of sleep; after the cool-down a probe
#   `sleep 10' succeeds and closes it (state closed, log breaker_closed).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
breaker-threshold 3
breaker-window 10s
breaker-cooldown 500ms
handler sleep timeout 100ms
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "circuit breaker (see above)"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

def state(h):
	return fc.breakers(sock)[h]

def wait_cooled(h, cooldown=0.5):
	"""Bounded wait until h's breaker has been open for the cool-down."""
	deadline = time.monotonic() + 5
	while True:
		b = state(h)
		if b["state"] != "open":
			return b
		if isinstance(b["opened_s_ago"], (int, float)) and \
		    b["opened_s_ago"] >= cooldown + 0.05:
			return b
		if time.monotonic() > deadline:
			fc.fail("breaker of %s still open 5 s later: %r" % (h, b))
		time.sleep(0.02)

def circuit_open(method, params, what):
	st0 = fc.stats(sock)
	t0 = time.monotonic()
	err, res = c.call(method, params, 10)
	dt = time.monotonic() - t0
	fc.expect_err(err, "circuit_open", what)
	st1 = fc.stats(sock)
	if dt > 0.2 or st1["worker_crashes"] != st0["worker_crashes"]:
		fc.fail("%s: circuit_open should be answered at once without "
		    "running the task: %.3f s, worker_crashes %r -> %r" % (what,
		    dt, st0["worker_crashes"], st1["worker_crashes"]))

fc.wait_children(dpid, 2)
c = fc.Conn(sock)
br = fc.breakers(sock)
for h in ("echo", "sleep", "spin", "crash", "hang"):
	if h not in br or br[h]["state"] != "closed" or br[h]["failures"] != 0 \
	    or br[h]["opened_s_ago"] is not None:
		fc.fail("forkpool.breakers at start: expected %s closed with 0 "
		    "failures, got %r" % (h, br))

# ---- crash: open, probe, reopen ----
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

# ---- sleep: timeouts open it, a good probe closes it ----
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
