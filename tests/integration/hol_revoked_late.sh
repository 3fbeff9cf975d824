#!/bin/sh
# hol_revoked_late.sh -- a worker that runs a task taken back from it is
# caught (issue 11, item 1).  2 workers, the default prefetch: one
# connection pipelines sleep [300], violate ["run-revoked", 5000], then
# 20 echoes.  Both workers are busy when the echoes come, so some are
# prefetched behind violate (with the other worker idle, it could take
# them all itself, and nothing would be taken back: that raced, and failed
# now and then on a loaded machine).  The echoes prefetched to the worker
# that sleeps in violate are taken back (tasks_revoked) once the other is
# done with its sleep, and answered by it, each exactly once; once
# they are (5 s at most) the hostile worker runs the echoes it no longer
# holds, before it answers violate: their results are a protocol violation
# (worker_protocol "result for a task it does not hold",
# worker_protocol_errors 1) charged to violate, the task it holds
# (answered internal, never an echo: it gets no other task while it holds
# one it was robbed for), it is killed and replaced, and no client sees a
# second answer.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start -T
fp_py <<'PY' || fp_fail "a revoked task's late result (see above)"
import fpclient as fc
import hol

c = fc.Conn(hol.sock)
sid = c.queue_request("sleep", [300])
vid = c.queue_request("violate", ["run-revoked", 5000])
ids = [c.queue_request("echo", [k]) for k in range(20)]
c.flush()
got = fc.collect(c, ids + [vid, sid], 15, "sleep, violate and echoes")
if got[sid][0][2] is not None or got[sid][0][3] != 300:
	fc.fail("sleep answered %r" % (got[sid][0],))
for msgid in ids:
	m = got[msgid][0]
	if m[2] is not None or m[3] != msgid - ids[0]:
		fc.fail("echo %d answered %r" % (msgid, m))
fc.expect_err(got[vid][0][2], "internal", "violate run-revoked")
if "result for a task it does not hold" not in got[vid][0][2]["message"]:
	fc.fail("violate run-revoked answered %r" % (got[vid][0],))
st = fc.wait_stats(hol.sock, lambda s: s["worker_protocol_errors"] == 1,
    "the late results caught as a protocol violation")
if st["tasks_revoked"] < 1:
	fc.fail("no task was taken back: %r" % (st,))
if not fc.log_lines(r"event=worker_protocol .*msg=\"result for a task it "
    r"does not hold\""):
	fc.fail("no worker_protocol line for the late result")
fc.wait_stats(hol.sock, lambda s: s["workers_ready"] == 2,
    "the killed worker replaced")
# Nothing more for this connection: every task was answered once.
try:
	extra = c.pump(1, 0.2)
	fc.fail("an answer after all were answered: %r" % (extra,))
except fc.Timeout:
	pass
st = fc.stats(hol.sock)
if st["tasks_ok"] != 21 or st["tasks_failed"] != 1:
	fc.fail("stats: %r" % (st,))
print("the sleep and 20 echoes answered once; tasks_revoked %d; the late results: "
    "worker_protocol_errors %d" % (st["tasks_revoked"],
    st["worker_protocol_errors"]))
PY
fp_stop_clean
