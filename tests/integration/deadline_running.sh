#!/bin/sh
# deadline_running.sh -- a task deadline (forkpool.conf(5) `handler NAME
# timeout', forkpool.call's timeout_ms) that expires while the task runs:
# `sleep 2000' under `handler sleep timeout 300ms' is answered timeout
# (attempts 1) within about a second, its worker is killed and replaced,
# and the task prefetched behind it on the same worker is requeued and
# succeeds; the same for a CPU-bound `spin' with a per-call deadline;
# timeout_ms 0 or a longer timeout_ms cannot lift the configured deadline,
# which is a ceiling; a timeout_ms that is not a count of milliseconds is
# invalid_params.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 1
prefetch 4
handler sleep timeout 300ms
CONF
fp_start -T
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "(a) a deadline passed while the task ran (see above)"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

(w,) = fc.wait_children(dpid, 1)
st0 = fc.stats(sock)
c = fc.Conn(sock)
t0 = time.monotonic()
s = c.queue_request("sleep", [2000])
e = c.queue_request("echo", ["prefetched behind the sleep"])
c.flush()
# workers 1, prefetch 4: both go to the worker's ring, the echo behind the
# sleep.  (Stats answered in the same loop turn as the requests were read
# may still show them queued: poll.)
fc.wait_stats(sock, lambda s: s["queued"] == 0 and s["running"] == 2,
    "the sleep and the echo in the worker's ring", 2)
got = fc.collect(c, [s, e], 10, "sleep 2000 + echo")
(ms, ts), (me, te) = got[s], got[e]
fc.expect_err(ms[2], "timeout", "sleep 2000 under handler sleep timeout 300ms")
if ms[2].get("attempts") != 1:
	fc.fail("timeout of a running task: expected attempts 1, got %r" %
	    (ms[2],))
if not 0.25 <= ts - t0 <= 1.5:
	fc.fail("sleep 2000 with a 300 ms deadline answered after %.3f s "
	    "(expected 0.3 s plus a tick or two)" % (ts - t0))
if me[2] is not None or me[3] != "prefetched behind the sleep":
	fc.fail("the echo prefetched behind the timed-out sleep: %r" % (me,))
if te - t0 < 0.25:
	fc.fail("the echo behind the sleep was answered after %.3f s: it "
	    "cannot have run on that worker before the sleep was killed" %
	    (te - t0))
w1 = fc.wait_children(dpid, 1, avoid=[w])
if fc.pid_alive(w):
	fc.fail("the timed-out worker %d is still alive" % w)
st1 = fc.stats(sock)
if st1["tasks_timeout"] != st0["tasks_timeout"] + 1:
	fc.fail("tasks_timeout %r -> %r, expected +1" % (st0["tasks_timeout"],
	    st1["tasks_timeout"]))
print("(a) sleep 2000: timeout after %.3f s, worker %d replaced by %r, "
    "echo behind it ok after %.3f s" % (ts - t0, w, w1, te - t0))

# A per-call deadline stops CPU-bound code too.
(w,) = w1
t0 = time.monotonic()
err, res = c.call("forkpool.call", ["spin", [5000000], {"timeout_ms": 300}],
    10)
dt = time.monotonic() - t0
fc.expect_err(err, "timeout", "forkpool.call spin 5 s with timeout_ms 300")
if err.get("attempts") != 1 or dt > 1.5:
	fc.fail("spin 5 s, timeout_ms 300: %r after %.3f s" % (err, dt))
fc.wait_children(dpid, 1, avoid=[w])
print("(a) spin 5 s with timeout_ms 300: timeout after %.3f s" % dt)

# The configured deadline is a ceiling: timeout_ms 0 (none) and a longer
# timeout_ms cannot lift the handler's 300 ms, or a client could hold a
# worker for as long as it liked.
for opt in (0, 5000):
	(w,) = fc.children(dpid)
	t0 = time.monotonic()
	err, res = c.call("forkpool.call", ["sleep", [2000],
	    {"timeout_ms": opt}], 10)
	dt = time.monotonic() - t0
	fc.expect_err(err, "timeout", "sleep 2000 with timeout_ms %d under "
	    "handler sleep timeout 300ms" % opt)
	if dt > 1.5:
		fc.fail("sleep 2000 with timeout_ms %d: timeout after %.3f s, "
		    "expected the handler's 300 ms" % (opt, dt))
	fc.wait_children(dpid, 1, avoid=[w])
	print("(a) sleep 2000 with timeout_ms %d: the handler's deadline, "
	    "timeout after %.3f s" % (opt, dt))
(w,) = fc.children(dpid)
err, res = c.call("forkpool.call", ["sleep", [100], {"timeout_ms": 250}], 10)
if err is not None or res != 100:
	fc.fail("forkpool.call sleep 100 with timeout_ms 250: %r %r" %
	    (err, res))
err, res = c.call("sleep", [50], 10)
if err is not None or res != 50:
	fc.fail("sleep 50 under a 300 ms deadline: %r %r" % (err, res))
if fc.children(dpid) != [w]:
	fc.fail("a worker was replaced although no deadline passed: %r -> %r"
	    % ([w], fc.children(dpid)))
# Bad deadlines are the caller's error.
for bad in (-1, "1s", 1.5):
	err, res = c.call("forkpool.call", ["echo", [1], {"timeout_ms": bad}])
	fc.expect_err(err, "invalid_params", "timeout_ms %r" % (bad,))
PY
fp_stop_clean
