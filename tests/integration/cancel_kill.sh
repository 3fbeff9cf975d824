#!/bin/sh
# cancel_kill.sh -- forkpool.cancel of a running task under cancel-running
# kill: the worker running the task is killed and replaced, the task
# answered cancelled once, and the tasks that worker had prefetched are
# requeued and succeed.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\nprefetch 4\ncancel-running kill\n' >"$FP_CONF"
fp_start -T
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "cancel-running kill (see above)"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

(w,) = fc.wait_children(dpid, 1)
base = {w: fc.cputicks(w)}
c = fc.Conn(sock)
r = c.queue_request("spin", [10000000])
held = {c.queue_request("echo", [["held", i]]): ["held", i] for i in range(3)}
c.flush()
fc.wait_cpu([w], 0.05, base, 10)
fc.wait_stats(sock, lambda s: s["queued"] == 0 and s["running"] == 4,
    "prefetch 4: the spin and the 3 echoes held by the worker", 2)
t0 = time.monotonic()
k = c.queue_request("forkpool.cancel", [r])
got = fc.collect(c, [r, k] + list(held), 10, "cancel-running kill")
if got[k][0][2] is not None or got[k][0][3] is not True:
	fc.fail("forkpool.cancel of a running spin: %r" % (got[k][0],))
fc.expect_err(got[r][0][2], "cancelled", "running spin cancelled (kill)")
if got[r][1] - t0 > 1.0:
	fc.fail("cancel-running kill: answered %.3f s after the cancel" %
	    (got[r][1] - t0))
for mid, want in held.items():
	if got[mid][0][2] is not None or got[mid][0][3] != want:
		fc.fail("an echo prefetched by the killed worker: %r" %
		    (got[mid][0],))
w1 = fc.wait_children(dpid, 1, avoid=[w])
if fc.pid_alive(w):
	fc.fail("cancel-running kill: worker %d still alive" % w)
fin = c.queue_request("echo", ["final"])
m, _ = fc.collect(c, [fin], 5, "echo after the kill")[fin]
if m[2] is not None or m[3] != "final":
	fc.fail("echo after the kill: %r" % (m,))
print("running (kill): cancelled after %.3f s, worker %d replaced by %r, "
    "3 prefetched echoes ok" % (got[r][1] - t0, w, w1))
PY
fp_stop_clean
