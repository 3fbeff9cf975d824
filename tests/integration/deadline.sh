#!/bin/sh
# deadline.sh -- task deadlines (forkpool.conf(5) `timeout', per handler
# with `handler NAME timeout', per call with forkpool.call's timeout_ms).
#
# (a) Expired while running: `sleep 2000' under `handler sleep timeout
#     300ms' is answered timeout (attempts 1) within about a second, its
#     worker is killed and replaced, and the task prefetched behind it on
#     the same worker is requeued and succeeds; the same for a CPU-bound
#     `spin' with a per-call deadline; timeout_ms 0 or a longer timeout_ms
#     cannot lift the configured deadline, which is a ceiling.
# (b) Expired while queued: behind a blocking sleep on one worker, an echo
#     and a crash with timeout_ms 200 are answered timeout, "never ran",
#     before the sleep ends, and never run: tasks_ok grows by the sleep
#     alone and the worker that a crash would have killed is still there.
#     Once with prefetch 1 (queued in the supervisor) and once with the
#     default prefetch (handed to the worker, not started).
# (c) A late result never reaches another task: a worker stopped with
#     SIGSTOP while it runs a task past its deadline is killed; tasks that
#     expired in a worker's ring are answered by the worker later, after
#     their answer was sent; hundreds of pipelined echoes whose payload is
#     their own msgid each get exactly their own payload back, and nothing
#     is answered twice.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# ---- (a) expired while running --------------------------------------------
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

# ---- (b) expired while queued ----------------------------------------------
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

# ---- (c) late results ------------------------------------------------------
printf 'workers 1\nprefetch 8\n' >"$FP_CONF"
fp_start -T
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "(c) a late result reached another task (see above)"
import os, signal, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

def echoes(c, n, tag):
	"""Queue n echoes whose payload is [tag, their own msgid]."""
	ids = {}
	for _ in range(n):
		mid = c.new_id()
		c.queue_request("echo", [[tag, mid]], msgid=mid)
		ids[mid] = [tag, mid]
	return ids

def check_echoes(got, ids, what):
	for mid, want in ids.items():
		m = got[mid][0]
		if m[2] is not None or m[3] != want:
			fc.fail("%s: msgid %d expected its own payload %r, got %r" %
			    (what, mid, want, m))

# 1. A stopped worker that runs a task past its deadline is killed (SIGKILL
#    works on a stopped process); it never answers anything.
(w,) = fc.wait_children(dpid, 1)
base = {w: fc.cputicks(w)}
c = fc.Conn(sock)
sp = c.queue_request("forkpool.call", ["spin", [3000000], {"timeout_ms": 1000}])
held = echoes(c, 7, "held")
c.flush()
fc.wait_cpu([w], 0.05, base, 5)
os.kill(w, signal.SIGSTOP)
t0 = time.monotonic()
got = fc.collect(c, [sp] + list(held), 10, "stopped worker")
fc.expect_err(got[sp][0][2], "timeout", "spin on a stopped worker")
if got[sp][0][2].get("attempts") != 1:
	fc.fail("spin on a stopped worker: attempts %r" % (got[sp][0][2],))
check_echoes(got, held, "echoes prefetched by the stopped worker")
fc.wait_children(dpid, 1, avoid=[w])
if fc.pid_alive(w):
	fc.fail("the stopped worker %d is still alive" % w)
print("(c) stopped worker %d killed at its task's deadline; the 7 tasks "
    "it held ran elsewhere" % w)

# 2. Tasks that expire in a worker's ring are answered at once; the worker
#    answers them again later (skipped or run), after other tasks have
#    taken their place.  Those late answers must go nowhere.
(w,) = fc.children(dpid)
c2 = fc.Conn(sock)
blk = c.queue_request("sleep", [500])
exp = []
for i in range(6):
	exp.append(c.queue_request("forkpool.call", ["echo", [["expired", i]],
	    {"timeout_ms": 100}]))
c.flush()
got = fc.collect(c, exp, 5, "echoes that expire behind sleep 500")
for mid in exp:
	fc.expect_err(got[mid][0][2], "timeout", "echo with timeout_ms 100 "
	    "behind sleep 500")
# Now, while the worker still holds the expired tasks, pipeline hundreds
# of new tasks on two connections: they reuse whatever the expired ones
# left behind in the supervisor.
ids1 = echoes(c, 300, "c1")
ids2 = echoes(c2, 200, "c2")
c.flush()
c2.flush()
got1 = fc.collect(c, [blk] + list(ids1), 30, "connection 1")
got2 = fc.collect(c2, list(ids2), 30, "connection 2")
if got1[blk][0][2] is not None or got1[blk][0][3] != 500:
	fc.fail("the sleep without a deadline: %r" % (got1[blk][0],))
check_echoes(got1, ids1, "connection 1")
check_echoes(got2, ids2, "connection 2")
# Anything still in flight for an expired msgid would arrive before these.
for conn, n in ((c, 1), (c2, 2)):
	ids = echoes(conn, 20, "final%d" % n)
	conn.flush()
	check_echoes(fc.collect(conn, list(ids), 10, "final echoes"), ids,
	    "final echoes")
if fc.children(dpid) != [w]:
	fc.fail("a worker was killed although no running task passed its "
	    "deadline: %r -> %r" % ([w], fc.children(dpid)))
print("(c) 6 expired in the ring, then %d pipelined echoes on 2 "
    "connections: every answer its own, none twice" % (len(ids1) + len(ids2)))
PY
fp_stop_clean
