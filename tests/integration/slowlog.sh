#!/bin/sh
# slowlog.sh -- the slow-task log (forkpool.slowlog, forkpool.slowlog_reset,
# slowlog-threshold 50ms, slowlog-max-len 4): tasks of 60 and 80 ms are
# logged newest first with their params and corr, 10 ms ones are not; a
# task of 1.5 s is logged once while it runs (running true), then again
# when it is done; the count argument; a non-integer count is
# invalid_params; nobody may read it but gets permission_denied for the
# reset, which root may do (it returns how many it removed); 7 slow tasks
# leave 4 entries.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_nobody_reach "its clients run as nobody"
cat >"$FP_CONF" <<'CONF'
workers 2
socket-mode 0666
slowlog-threshold 50ms
slowlog-max-len 4
CONF
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "the slow-task log (see above)"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
c = fc.Conn(sock)

def slow(*p):
	err, res = c.call("forkpool.slowlog", list(p))
	if err is not None:
		fc.fail("forkpool.slowlog %r: %r" % (p, err))
	return res

for ms in (10, 10, 60, 10):
	err, res = c.call("sleep", [ms])
	if err is not None:
		fc.fail("sleep %d: %r" % (ms, err))
err, res = c.call("forkpool.call", ["sleep", [80], {"id": "job 7"}])
if err is not None:
	fc.fail("sleep 80 with an id: %r" % (err,))
# A slow task may also be caught running on a 100 ms tick (an entry with
# running true): the finished ones are those with running false.
s = slow()
done = [e for e in s if not e["running"]]
if len(done) != 2 or len(s) > 4:
	fc.fail("two slow tasks, newest first: %r" % (s,))
keys = {"id", "ts", "handler", "corr", "wait_us", "run_us", "worker",
    "pid", "running", "params"}
for e in s:
	if set(e) != keys or e["handler"] != "sleep" or \
	    e["run_us"] < 50000 or not abs(e["ts"] - time.time()) < 60:
		fc.fail("entry %r" % (e,))
if done[0]["params"] != [80] or done[1]["params"] != [60]:
	fc.fail("params: %r" % (s,))
if done[0]["corr"] != '"job 7"' or done[1]["corr"] is not None:
	fc.fail("corr (quoted as logged): %r" % (s,))
if done[0]["run_us"] < 80000 or done[1]["run_us"] < 60000:
	fc.fail("run_us: %r" % (s,))
if [e["id"] for e in s] != sorted((e["id"] for e in s), reverse=True):
	fc.fail("newest first: %r" % (s,))
if any(e["params"] == [10] for e in s):
	fc.fail("a fast task was logged: %r" % (s,))

# A long task: logged while it runs, then when done.
long = fc.Conn(sock)
mid = long.queue_request("sleep", [1500])
long.flush()
e = fc.until(lambda: (lambda s: s[0] if s and s[0]["running"] else None)(
    slow()), "the long task logged while it runs", 5, pid=dpid)
if e["params"] != [1500] or not 50000 <= e["run_us"] < 1500000:
	fc.fail("entry while running: %r" % (e,))
(m, _), = long.pump(1, 10)
if m[2] is not None:
	fc.fail("sleep 1500: %r" % (m,))
s = slow(100)
if not s[0]["running"] is False or s[0]["params"] != [1500] or \
    s[0]["run_us"] < 1500000 or not s[1]["running"] or \
    len([x for x in s if x["params"] == [1500]]) != 2:
	fc.fail("the long task twice, running then done: %r" % (s,))
if len(slow(1)) != 1 or len(slow(0)) != 0 or len(slow(100)) != 4:
	fc.fail("count: %r %r %r" % (slow(1), slow(0), slow(100)))
for bad in (["x"], [-1], [1.5], [1, 2]):
	err, res = c.call("forkpool.slowlog", bad)
	fc.expect_err(err, "invalid_params", "forkpool.slowlog %r" % (bad,))
# slowlog-max-len bounds it: 7 more slow tasks, 4 entries.
for i in range(7):
	c.queue_request("sleep", [51 + i])
got = c.pump(7, 20)
s = slow(100)
if len(s) != 4 or any(not 51 <= e["params"][0] <= 57 for e in s) or \
    [e["id"] for e in s] != sorted((e["id"] for e in s), reverse=True):
	fc.fail("4 newest kept: %r" % (s,))
print("slowlog: ok")
PY
# shellcheck disable=SC2086 # FP_NOBODY_PY is a command and its arguments
fp_nobody $FP_NOBODY_PY - <<'PY' || fp_fail "nobody and the slow log (see above)"
import os
import fpclient as fc
c = fc.Conn(os.environ["FP_SOCK"])
err, res = c.call("forkpool.slowlog", [])
if err is not None or len(res) != 4:
	fc.fail("nobody reads the slow log: %r %r" % (err, res))
err, res = c.call("forkpool.slowlog_reset", [])
fc.expect_err(err, "permission_denied", "forkpool.slowlog_reset as nobody")
err, res = c.call("forkpool.slowlog", [])
if len(res) != 4:
	fc.fail("a denied reset removed entries: %r" % (res,))
PY
assert_grep 'event=permission_denied .*uid=65534 .*method=forkpool.slowlog_reset' \
    "$FP_LOG" "the denied reset is logged"
fp_py <<'PY' || fp_fail "root resets the slow log (see above)"
import os
import fpclient as fc
c = fc.Conn(os.environ["FP_SOCK"])
err, res = c.call("forkpool.slowlog_reset", [])
if err is not None or res != 4:
	fc.fail("forkpool.slowlog_reset as root: %r %r" % (err, res))
err, res = c.call("forkpool.slowlog", [])
if err is not None or res != []:
	fc.fail("after the reset: %r %r" % (err, res))
err, res = c.call("forkpool.slowlog_reset", [])
if err is not None or res != 0:
	fc.fail("a second reset: %r %r" % (err, res))
PY
fp_stop_clean
