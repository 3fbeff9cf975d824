#!/bin/sh
# deadline_late_result.sh -- a late result never reaches another task: a
# worker stopped with SIGSTOP while it runs a task past its deadline is
# killed; tasks that expired in a worker's ring are answered by the worker
# later, after their answer was sent; hundreds of pipelined echoes whose
# payload is their own msgid each get exactly their own payload back, and
# nothing is answered twice.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

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
