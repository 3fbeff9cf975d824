#!/bin/sh
# recycle.sh -- worker recycling.  max-tasks-per-worker 20 (jitter: 18 to
# 22) with 2 workers: 200 pipelined echo calls and 60 more one at a time
# all succeed, the workers are replaced (the replacement starts before the
# old worker retires: 2 ready workers whenever we look), the count is back
# to 2 and no retired worker is left, alive or zombie.  max-worker-rss 64M:
# the worker that ran `leak 100' is recycled after the call, which itself
# succeeded; the other worker is not.  A recycled worker finishes every
# task it holds before it stops, and the new worker serves meanwhile.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# Shared by both scenarios: the PIDs named by worker_recycle lines, and a
# bounded wait until the pool is whole again without any of them.
cat >"$T/rc.py" <<'PY'
import os, re, time
import fpclient as fc

sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
LOG = os.path.join(os.environ["T"], "daemon.log")

def recycled(reason=None):
	"""The PIDs of the worker_recycle lines of the running daemon (the
	log of each start begins with a `===' line)."""
	out = []
	with open(LOG, errors="replace") as f:
		for line in f:
			if line.startswith("=== "):
				out = []
			if "event=worker_recycle " not in line:
				continue
			p = int(re.search(r" pid=(\d+)", line).group(1))
			r = re.search(r" reason=(\S+)", line).group(1)
			if reason is None or r == reason:
				out.append(p)
	return out

def retired():
	"""The PIDs of the worker_retired lines of the running daemon: workers
	stopped after they had finished every task they held."""
	out = []
	with open(LOG, errors="replace") as f:
		for line in f:
			if line.startswith("=== "):
				out = []
			if "event=worker_retired " in line:
				out.append(int(re.search(r" pid=(\d+)", line).group(1)))
	return out

def is_child(pid):
	"""pid is a child of the daemon, alive or zombie."""
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read()
	except OSError:
		return False
	return int(st[st.rindex(")") + 2:].split()[1]) == dpid

def wait_whole(n, gone, timeout=15.0):
	"""Bounded wait: n workers, none retiring, none of `gone' a child."""
	deadline = time.monotonic() + timeout
	while True:
		st = fc.stats(sock)
		kids = fc.children(dpid)
		left = [p for p in gone if is_child(p)]
		if len(kids) == n and not left and \
		    st.get("workers_retiring") == 0:
			if sorted(retired()) != sorted(gone):
				fc.fail("recycled workers %r, but only %r retired "
				    "holding no task" % (sorted(gone),
				    sorted(retired())))
			return st, kids
		if time.monotonic() > deadline:
			fc.fail("pool not whole after %g s: workers %r, retired "
			    "ones still children %r, stats %r" % (timeout, kids,
			    left, st))
		time.sleep(0.02)
PY

cat >"$FP_CONF" <<'CONF'
workers 2
max-tasks-per-worker 20
CONF
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "max-tasks-per-worker (see above)"
import os, sys
sys.path.insert(0, os.environ["T"])
from rc import *

w0 = fc.wait_children(dpid, 2)
c = fc.Conn(sock)
want = {}
for i in range(200):
	want[c.queue_request("echo", [i])] = i
got = c.pump(200, 60)
seen = set()
for m, _ in got:
	fc.check_response(m)
	if m[1] in seen:
		fc.fail("a second answer for msgid %d: %r" % (m[1], m))
	seen.add(m[1])
	if m[2] is not None or m[3] != want.get(m[1]):
		fc.fail("echo %r while workers were recycled: %r" %
		    (want.get(m[1]), m))
# One at a time: each goes to an idle worker, which reaches its limit.
for i in range(60):
	err, res = c.call("echo", ["seq %d" % i])
	if err is not None or res != "seq %d" % i:
		fc.fail("sequential echo %d: %r %r" % (i, err, res))
	if i % 10 == 0:
		st = fc.stats(sock)
		if st.get("workers_ready") != 2:
			fc.fail("capacity dipped: %r" % (st,))
gone = recycled()
st, kids = wait_whole(2, gone)
if set(kids) & set(w0):
	fc.fail("first workers %r not replaced: workers now %r" % (w0, kids))
if st.get("workers_recycled", 0) < 4 or st["workers_recycled"] != len(gone):
	fc.fail("260 tasks, limit 18..22, 2 workers: expected at least 4 "
	    "recycled workers (as many as worker_recycle lines, %d), stats %r" %
	    (len(gone), st))
if st.get("tasks_failed") != 0 or st.get("worker_crashes") != 0:
	fc.fail("recycling failed tasks or counted crashes: %r" % (st,))
print("recycled %d workers; workers now %r" % (len(gone), kids))
PY
assert_grep 'event=worker_recycle .*reason=max-tasks-per-worker' "$FP_LOG" \
    "worker_recycle logged"
assert_grep 'event=worker_retired ' "$FP_LOG" "worker_retired logged"
fp_stop_clean

# One worker with a limit of 3 tasks (no jitter below 10) is handed 10
# sleeps at once: it is replaced after 3 of them but finishes all 10 it
# holds before it stops; new tasks go to its replacement meanwhile.
cat >"$FP_CONF" <<'CONF'
workers 1
max-tasks-per-worker 3
CONF
fp_start
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "a recycled worker finishes what it holds (see above)"
import os, sys, time
sys.path.insert(0, os.environ["T"])
from rc import *

(w,) = fc.wait_children(dpid, 1)
c = fc.Conn(sock)
sleeps = [c.queue_request("sleep", [60]) for _ in range(10)]
c.flush()
deadline = time.monotonic() + 10
while w not in recycled():
	if time.monotonic() > deadline:
		fc.fail("worker %d not recycled after 3 tasks" % w)
	time.sleep(0.01)
# Its replacement takes new work while it finishes its sleeps.
echo = c.queue_request("echo", ["new"])
got = c.pump(11, 30)
order = [m[1] for m, _ in got]
for m, _ in got:
	fc.check_response(m)
	if m[1] == echo:
		if m[2] is not None or m[3] != "new":
			fc.fail("echo during the retirement: %r" % (m,))
	elif m[2] is not None or m[3] != 60:
		fc.fail("a sleep held by the retiring worker: %r" % (m,))
if order.index(echo) == 10:
	fc.fail("the echo waited for the retiring worker: answers in order %r"
	    % (order,))
st, kids = wait_whole(1, [w])
with open(LOG, errors="replace") as f:
	ex = [l for l in f if "event=worker_exit " in l and
	    " pid=%d " % w in l]
if len(ex) != 1 or " tasks=10" not in ex[0]:
	fc.fail("the retired worker should have finished its 10 tasks: %r" %
	    (ex,))
PY
fp_stop_clean

cat >"$FP_CONF" <<'CONF'
workers 2
max-worker-rss 64M
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "max-worker-rss (see above)"
import os, sys, time
sys.path.insert(0, os.environ["T"])
from rc import *

w0 = fc.wait_children(dpid, 2)
c = fc.Conn(sock)
err, res = c.call("leak", [100], 30)
if err is not None or res != 100:
	fc.fail("leak 100: %r %r" % (err, res))
deadline = time.monotonic() + 10
while not recycled("max-worker-rss"):
	if time.monotonic() > deadline:
		fc.fail("no worker recycled for max-worker-rss 10 s after leak 100")
	time.sleep(0.02)
gone = recycled()
if len(gone) != 1 or gone[0] not in w0:
	fc.fail("expected one of %r recycled, worker_recycle names %r" %
	    (w0, gone))
st, kids = wait_whole(2, gone)
(other,) = [p for p in w0 if p != gone[0]]
if other not in kids:
	fc.fail("the worker that did not leak (%d) was replaced too: %r" %
	    (other, kids))
if st.get("workers_recycled") != 1 or st.get("tasks_failed") != 0:
	fc.fail("stats after one RSS recycle: %r" % (st,))
err, res = c.call("echo", ["after"])
if err is not None or res != "after":
	fc.fail("echo after the recycle: %r %r" % (err, res))
PY
assert_grep 'event=worker_recycle .*reason=max-worker-rss' "$FP_LOG" \
    "worker_recycle for RSS logged"
fp_stop_clean
