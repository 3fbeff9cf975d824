#!/bin/sh
# disconnect.sh -- a client that disconnects cancels its queued tasks.
#
# One worker, prefetch 1, a blocking `sleep 1500' from client B.  Client A
# queues 50 `sleep 200' behind it and closes its socket: its 50 tasks are
# removed at once (queued 0, tasks_cancelled +50) and never run (tasks_ok
# grows only by B's tasks, and B's next task runs right after its sleep,
# not 10 s later); B is unaffected.  A client that disconnects while its
# task runs: the result is dropped, the worker is kept, B carries on.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\nprefetch 1\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "queued tasks of a disconnected client (see above)"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

(w,) = fc.wait_children(dpid, 1)
b = fc.Conn(sock)
blk = b.queue_request("sleep", [1500])
b.flush()
fc.wait_stats(sock, lambda s: s["running"] == 1, "B's sleep to run")
st0 = fc.stats(sock)
a = fc.Conn(sock)
ids = [a.queue_request("sleep", [200]) for _ in range(50)]
a.flush()
fc.wait_stats(sock, lambda s: s["queued"] == 50, "A's 50 tasks queued")
t0 = time.monotonic()
a.close()
st1 = fc.wait_stats(sock, lambda s: s["queued"] == 0 and
    s["tasks_cancelled"] >= st0["tasks_cancelled"] + 50,
    "A's 50 queued tasks to be cancelled", 5)
t1 = time.monotonic()
if st1["tasks_cancelled"] != st0["tasks_cancelled"] + 50:
	fc.fail("tasks_cancelled %r -> %r: expected +50" %
	    (st0["tasks_cancelled"], st1["tasks_cancelled"]))
if st1["running"] != 1:
	fc.fail("after A left: expected only B's sleep running, stats %r" %
	    (st1,))
# B is unaffected: its sleep completes, and its next task runs right after
# it (had A's tasks run first, 50 x 200 ms).
e = b.queue_request("echo", ["B"])
got = fc.collect(b, [blk, e], 15, "client B")
if got[blk][0][2] is not None or got[blk][0][3] != 1500:
	fc.fail("B's sleep: %r" % (got[blk][0],))
if got[e][0][2] is not None or got[e][0][3] != "B":
	fc.fail("B's echo: %r" % (got[e][0],))
if got[e][1] - t0 > 3.0:
	fc.fail("B's echo behind its 1.5 s sleep took %.3f s after A left: A's "
	    "tasks ran" % (got[e][1] - t0))
st2 = fc.wait_stats(sock, lambda s: s["running"] == 0 and s["queued"] == 0,
    "an idle pool")
if st2["tasks_ok"] != st0["tasks_ok"] + 2:
	fc.fail("tasks_ok %r -> %r: expected +2 (B's sleep and echo); A's "
	    "queued tasks ran" % (st0["tasks_ok"], st2["tasks_ok"]))
if st2["connections"] != 2:
	fc.fail("connections: expected 2 (B and the stats call) after A left, "
	    "stats %r" % (st2,))
print("A's 50 queued tasks cancelled %.3f s after it left; B's echo %.3f s "
    "after; tasks_ok +2" % (t1 - t0, got[e][1] - t0))

# A client that leaves while its task runs: the result is dropped, the
# worker stays, B carries on.
a = fc.Conn(sock)
r = a.queue_request("sleep", [300])
a.flush()
fc.wait_stats(sock, lambda s: s["running"] == 1, "A's sleep to run")
a.close()
fc.wait_stats(sock, lambda s: s["running"] == 0 and s["connections"] == 2,
    "A's running sleep to end", 5)
for i in range(20):
	err, res = b.call("echo", [i])
	if err is not None or res != i:
		fc.fail("B after A left with a running task: %r %r" % (err, res))
if fc.children(dpid) != [w]:
	fc.fail("the worker was replaced: %r -> %r" % ([w], fc.children(dpid)))
print("A left while its sleep ran: worker %d kept, B served" % w)
PY
fp_stop_clean
