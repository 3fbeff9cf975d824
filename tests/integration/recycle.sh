#!/bin/sh
# recycle.sh -- worker recycling by task count: max-tasks-per-worker 20
# (jitter: 18 to 22) with 2 workers: 200 pipelined echo calls and 60 more
# one at a time all succeed, the workers are replaced (the replacement
# starts before the old worker retires: 2 ready workers whenever we look),
# the count is back to 2 and no retired worker is left, alive or zombie.
# (Also recycle_drain.sh, recycle_max_rss.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
max-tasks-per-worker 20
CONF
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "max-tasks-per-worker (see above)"
import os, sys
from recycling import *

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
