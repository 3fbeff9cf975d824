#!/bin/sh
# cancel.sh -- forkpool.cancel [msgid].
#
# - A queued task (one worker, prefetch 1, a blocking sleep first) is
#   answered cancelled, cancel returns true, and the task never runs: a
#   cancelled `crash' leaves the worker alone and tasks_ok grows only by
#   the tasks that were not cancelled.
# - Cancel of an unknown msgid, of one already answered, or of another
#   connection's request returns false; bad params are invalid_params.
# - cancel-running drop (the default): a running sleep is answered
#   cancelled at once, its worker is not killed, and nothing more is
#   answered for that msgid when the sleep ends.
# (cancel-running kill: cancel_kill.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\nprefetch 1\n' >"$FP_CONF"
fp_start -T
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "cancel of queued and running tasks (see above)"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

def is_cancelled(m, what):
	fc.expect_err(m[2], "cancelled", what)
	if "attempts" in m[2] and m[2]["attempts"] > 1:
		fc.fail("%s: %r" % (what, m))

(w,) = fc.wait_children(dpid, 1)
c = fc.Conn(sock)
c2 = fc.Conn(sock)

# ---- queued ----
blk = c.queue_request("sleep", [2000])
c.flush()
fc.wait_stats(sock, lambda s: s["running"] == 1, "the blocking sleep to run")
st0 = fc.stats(sock)
q1 = c.queue_request("sleep", [300])
q2 = c.queue_request("crash", [])
q3 = c.queue_request("sleep", [10])
c.flush()
fc.wait_stats(sock, lambda s: s["queued"] == 3, "3 queued tasks")
t0 = time.monotonic()
k1 = c.queue_request("forkpool.cancel", [q1])
k2 = c.queue_request("forkpool.cancel", [q2])
k9 = c.queue_request("forkpool.cancel", [987654])
kb1 = c.queue_request("forkpool.cancel", [])
kb2 = c.queue_request("forkpool.cancel", ["x"])
c.flush()
# Another connection cannot cancel this one's request.
err, res = c2.call("forkpool.cancel", [q3])
if err is not None or res is not False:
	fc.fail("forkpool.cancel of another connection's msgid: expected "
	    "false, got %r %r" % (err, res))
got = fc.collect(c, [q1, q2, k1, k2, k9, kb1, kb2], 5, "cancel of queued")
for k in (k1, k2):
	if got[k][0][2] is not None or got[k][0][3] is not True:
		fc.fail("forkpool.cancel of a queued task: expected true, got %r"
		    % (got[k][0],))
if got[k9][0][2] is not None or got[k9][0][3] is not False:
	fc.fail("forkpool.cancel of an unknown msgid: expected false, got %r" %
	    (got[k9][0],))
for k in (kb1, kb2):
	fc.expect_err(got[k][0][2], "invalid_params", "forkpool.cancel with "
	    "bad params")
for q, what in ((q1, "sleep 300"), (q2, "crash")):
	m, t = got[q]
	is_cancelled(m, "queued %s cancelled" % what)
	if t - t0 > 0.5:
		fc.fail("queued %s cancelled: answered %.3f s after the cancel"
		    % (what, t - t0))
t_cancel = max(got[q][1] for q in (q1, q2)) - t0
# Already answered: false.
err, res = c.call("forkpool.cancel", [q1])
if err is not None or res is not False:
	fc.fail("second forkpool.cancel of msgid %d: expected false, got %r %r"
	    % (q1, err, res))
got = fc.collect(c, [blk, q3], 10, "the tasks not cancelled")
for q, want in ((blk, 2000), (q3, 10)):
	if got[q][0][2] is not None or got[q][0][3] != want:
		fc.fail("a task not cancelled: %r" % (got[q][0],))
st1 = fc.wait_stats(sock, lambda s: s["running"] == 0 and s["queued"] == 0,
    "an idle pool")
fin = c.queue_request("echo", ["final"])
fc.collect(c, [fin], 5, "echo after the cancelled tasks")
if fc.children(dpid) != [w] or st1["worker_crashes"] != st0["worker_crashes"]:
	fc.fail("the cancelled crash ran: workers %r -> %r, worker_crashes %r "
	    "-> %r" % ([w], fc.children(dpid), st0["worker_crashes"],
	    st1["worker_crashes"]))
if st1["tasks_ok"] != st0["tasks_ok"] + 2:
	fc.fail("tasks_ok %r -> %r: expected +2 (the blocking sleep and sleep "
	    "10); the cancelled sleep 300 must not run" % (st0["tasks_ok"],
	    st1["tasks_ok"]))
if st1["tasks_cancelled"] != st0["tasks_cancelled"] + 2:
	fc.fail("tasks_cancelled %r -> %r: expected +2" %
	    (st0["tasks_cancelled"], st1["tasks_cancelled"]))
print("queued: 2 cancelled in %.3f s, never ran; unknown/answered/other "
    "connection: false" % t_cancel)

# ---- running, cancel-running drop (the default) ----
st0 = fc.stats(sock)
r = c.queue_request("sleep", [800])
c.flush()
fc.wait_stats(sock, lambda s: s["running"] == 1, "sleep 800 to run")
t0 = time.monotonic()
k = c.queue_request("forkpool.cancel", [r])
got = fc.collect(c, [r, k], 5, "cancel of a running sleep")
if got[k][0][2] is not None or got[k][0][3] is not True:
	fc.fail("forkpool.cancel of a running task: %r" % (got[k][0],))
is_cancelled(got[r][0], "running sleep 800 cancelled (drop)")
if got[r][1] - t0 > 0.4:
	fc.fail("cancel-running drop: the running sleep was answered %.3f s "
	    "after the cancel, not at once" % (got[r][1] - t0))
# The sleep goes on and its result is dropped.
fc.wait_stats(sock, lambda s: s["running"] == 0, "the dropped sleep to end")
fin = c.queue_request("echo", ["after the dropped result"])
m, _ = fc.collect(c, [fin], 5, "echo after the dropped result")[fin]
if m[2] is not None or m[3] != "after the dropped result":
	fc.fail("echo after the dropped result: %r" % (m,))
if fc.children(dpid) != [w]:
	fc.fail("cancel-running drop killed the worker: %r -> %r" %
	    ([w], fc.children(dpid)))
st1 = fc.stats(sock)
if st1["tasks_cancelled"] != st0["tasks_cancelled"] + 1:
	fc.fail("tasks_cancelled %r -> %r: expected +1" %
	    (st0["tasks_cancelled"], st1["tasks_cancelled"]))
print("running (drop): answered cancelled after %.3f s, worker %d kept, "
    "one answer" % (got[r][1] - t0, w))
PY
fp_stop_clean
