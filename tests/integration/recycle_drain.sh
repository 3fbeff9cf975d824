#!/bin/sh
# recycle_drain.sh -- a recycled worker finishes every task it holds
# before it stops, and the new worker serves meanwhile: one worker with
# max-tasks-per-worker 3 (no jitter below 10) is handed 10 sleeps at once;
# it is replaced after 3 of them but finishes all 10, and new tasks go to
# its replacement.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

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
