#!/bin/sh
# recycle_drain.sh -- a recycled worker finishes every task it started
# before it stops, and the new worker serves meanwhile: one worker with
# max-tasks-per-worker 3 (no jitter below 10) is handed 10 sleeps at once;
# it is replaced after 3 of them, and its replacement, idle, takes back
# the sleeps it had not started (tasks_revoked, issue 11): every task is
# answered once, and the old worker ran at least its 3 and at most 10.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# One worker with a limit of 3 tasks (no jitter below 10) is handed 10
# sleeps at once: it is replaced after 3 of them and finishes the one it
# runs before it stops; the sleeps it has not started go to its
# replacement, and so does new work.
cat >"$FP_CONF" <<'CONF'
workers 1
max-tasks-per-worker 3
CONF
fp_start
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "a recycled worker finishes what it holds (see above)"
import os, sys, time
from recycling import *

(w,) = fc.wait_children(dpid, 1)
c = fc.Conn(sock)
sleeps = [c.queue_request("sleep", [60]) for _ in range(10)]
c.flush()
deadline = time.monotonic() + 10
while w not in recycled():
	if time.monotonic() > deadline:
		fc.fail("worker %d not recycled after 3 tasks" % w)
	time.sleep(0.01)
# New work is served while it finishes its sleep.
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
if sorted(order) != sorted(sleeps + [echo]):
	fc.fail("answers %r, expected one for each of %r" % (order,
	    sleeps + [echo]))
# Its replacements, handed its sleeps, reach the limit too.
fc.until(lambda: set(recycled()) <= set(retired()) and
    fc.stats(sock)["workers_retiring"] == 0, "every recycled worker retired")
st, kids = wait_whole(1, recycled())
with open(LOG, errors="replace") as f:
	ex = [l for l in f if "event=worker_exit " in l and
	    " pid=%d " % w in l]
ran = [int(f[6:]) for f in ex[0].split() if f.startswith("tasks=")] \
    if len(ex) == 1 else []
if ran == [] or not 3 <= ran[0] <= 10:
	fc.fail("the retired worker should have run 3 to 10 tasks: %r" % (ex,))
# What it did not run was taken back from it, and run elsewhere.
if ran[0] < 10 and fc.stats(sock)["tasks_revoked"] < 10 - ran[0]:
	fc.fail("the retired worker ran %d of its 10 sleeps, but tasks_revoked "
	    "is %r" % (ran[0], fc.stats(sock)["tasks_revoked"]))
print("the retired worker ran %d of the 10 sleeps" % ran[0])
PY
fp_stop_clean
