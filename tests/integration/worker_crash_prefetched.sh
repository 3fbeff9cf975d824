#!/bin/sh
# worker_crash_prefetched.sh -- one worker with the default prefetch (32)
# is killed (SIGKILL) while it runs a task: the tasks queued behind that
# one in the worker's ring are not failed, they run on its replacement.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# One worker, default prefetch (32): the tasks queued behind the running
# one in that worker's ring are not failed when it is killed: they run on
# its replacement.
: >"$FP_CONF"
fp_start -T -w 1
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "tasks prefetched by a killed worker (see above)"
import os, signal, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
TCK = os.sysconf("SC_CLK_TCK")
(w,) = fc.wait_children(dpid, 1)
base = fc.cputicks(w)
c = fc.Conn(sock)
spin = c.queue_request("spin", [20000000])
others = {c.queue_request("echo", [i]): i for i in range(20)}
c.flush()
deadline = time.monotonic() + 15
while fc.cputicks(w) - base < 0.3 * TCK:
	if time.monotonic() > deadline:
		fc.fail("worker %d did not start the spin" % w)
	time.sleep(0.02)
os.kill(w, signal.SIGKILL)
got = c.pump(21, 30)
for m, _ in got:
	fc.check_response(m)
	if m[1] == spin:
		if fc.code(m[2]) != "worker_crashed" or m[2].get("signal") != 9:
			fc.fail("spin on the killed worker: %r" % (m,))
	elif m[2] is not None or m[3] != others.get(m[1]):
		fc.fail("task queued behind the killed one: %r" % (m,))
fc.wait_children(dpid, 1, avoid=[w])
PY
fp_stop_clean
