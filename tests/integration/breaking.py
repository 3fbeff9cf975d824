"""breaking.py -- for the breaker_*.sh scenarios of fp_start_breakers (a
breaker-cooldown of 500 ms): the state of a handler's breaker, a bounded
wait for its cool-down, a call that must be refused circuit_open at once,
and the breakers all closed at start (FP_SOCK and FP_PID from
tests/lib.sh).  Importing it waits for the two workers and checks that
every breaker is closed; c is a connection to the daemon."""

import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

def state(h):
	"""The entry of handler h in forkpool.breakers."""
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
	"""method(params) on c is answered circuit_open at once, without
	reaching a worker."""
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
