#!/bin/sh
# deadline_queued.sh -- a task deadline that expires before the task
# starts: behind a blocking sleep on one worker, an echo and a crash with
# timeout_ms 200 are answered timeout, "never ran", before the sleep ends,
# and never run: tasks_ok grows by the sleep alone and the worker that a
# crash would have killed is still there.  Once with prefetch 1 (queued in
# the supervisor) and once with the default prefetch (handed to the
# worker, not started).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$T/queued.py" <<'PY'
import os, sys, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
where = sys.argv[1]

(w,) = fc.wait_children(dpid, 1)
c = fc.Conn(sock)
blk = c.queue_request("sleep", [1500])
c.flush()
fc.wait_stats(sock, lambda s: s["running"] == 1 and s["queued"] == 0,
    "the blocking sleep to be dispatched")
st0 = fc.stats(sock)
t0 = time.monotonic()
e = c.queue_request("forkpool.call", ["echo", ["late"], {"timeout_ms": 200}])
k = c.queue_request("forkpool.call", ["crash", [], {"timeout_ms": 200}])
c.flush()
if where == "queue":
	fc.wait_stats(sock, lambda s: s["queued"] == 2 and s["running"] == 1,
	    "prefetch 1: the 2 tasks queued in the supervisor", 2)
else:
	fc.wait_stats(sock, lambda s: s["queued"] == 0 and s["running"] == 3,
	    "default prefetch: the 2 tasks handed to the worker", 2)
got = fc.collect(c, [e, k], 5, "tasks with timeout_ms 200 behind sleep 1500")
for mid, what in ((e, "echo"), (k, "crash")):
	m, t = got[mid]
	fc.expect_err(m[2], "timeout", "%s with timeout_ms 200 (%s)" %
	    (what, where))
	if "never ran" not in m[2]["message"]:
		fc.fail("%s expired while %s: the message should say it never "
		    "ran: %r" % (what, where, m[2]))
	if not 0.15 <= t - t0 <= 1.2:
		fc.fail("%s with timeout_ms 200 answered after %.3f s: expected "
		    "0.2 s plus a tick, long before the sleep ends" %
		    (what, t - t0))
st1 = fc.stats(sock)
if st1["tasks_timeout"] != st0["tasks_timeout"] + 2:
	fc.fail("tasks_timeout %r -> %r: expected +2" %
	    (st0["tasks_timeout"], st1["tasks_timeout"]))
m, _ = fc.collect(c, [blk], 5, "the blocking sleep")[blk]
if m[2] is not None or m[3] != 1500:
	fc.fail("the blocking sleep: %r" % (m,))
# Once the worker is idle: neither expired task ran.  The crash would have
# killed the worker; the echo would count in tasks_ok.
st2 = fc.wait_stats(sock, lambda s: s["running"] == 0 and s["queued"] == 0,
    "an idle pool")
fin = c.queue_request("echo", ["final"])
m, _ = fc.collect(c, [fin], 5, "an echo after the expired tasks")[fin]
if m[2] is not None or m[3] != "final":
	fc.fail("echo after the expired tasks: %r" % (m,))
if fc.children(dpid) != [w]:
	fc.fail("expired %s: the crash task ran (worker %d replaced by %r)" %
	    (where, w, fc.children(dpid)))
if st2["worker_crashes"] != st0["worker_crashes"]:
	fc.fail("expired %s: worker_crashes %r -> %r: the crash task ran" %
	    (where, st0["worker_crashes"], st2["worker_crashes"]))
if st2["tasks_ok"] != st0["tasks_ok"] + 1:
	fc.fail("expired %s: tasks_ok %r -> %r: expected +1 (the blocking "
	    "sleep only; the echo never ran)" % (where, st0["tasks_ok"],
	    st2["tasks_ok"]))
print("(b) %s: echo and crash with timeout_ms 200 answered timeout "
    "(never ran) after %.3f s; worker %d untouched" % (where,
    max(t for _, t in got.values()) - t0, w))
PY

printf 'workers 1\nprefetch 1\n' >"$FP_CONF"
fp_start -T
fp_wait_nworkers 1
"$FP_PY" "$T/queued.py" queue ||
    fp_fail "(b) expired while queued in the supervisor (see above)"
fp_stop_clean

printf 'workers 1\n' >"$FP_CONF"
fp_start -T
fp_wait_nworkers 1
"$FP_PY" "$T/queued.py" ring ||
    fp_fail "(b) expired in the worker's ring before it started (see above)"
fp_stop_clean
