#!/bin/sh
# workers_running.sh -- forkpool.workers (forkpool-rpc(7)): with a `sleep
# 300000' task running, one worker of two shows busy with handler sleep
# and a running_us that grows between two calls; the other is idle with
# handler nil; every map has its fields, pids are the daemon's children,
# rss_bytes near their VmRSS.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\nshutdown-timeout 1s\nkill-grace 0\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "forkpool.workers (see above)"
import os
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
kids = set(fc.wait_children(dpid, 2))
c = fc.Conn(sock)
err, res = c.call("echo", ["warm"])
# The long one on a connection of its own, left unanswered.
long = fc.Conn(sock)
long.queue_request("sleep", [300000])
long.flush()

def workers():
	err, res = c.call("forkpool.workers", [])
	if err is not None:
		fc.fail("forkpool.workers: %r" % (err,))
	return res

def busy():
	b = [w for w in workers() if w["state"] == "busy"]
	return b[0] if b and b[0]["running_us"] > 0 else None

b1 = fc.until(busy, "a busy worker", 10, pid=dpid, detail=lambda: repr(workers()))
ws = workers()
keys = {"slot", "pid", "generation", "state", "handler", "running_us",
    "tasks", "failures", "rss_bytes", "age_s"}
if len(ws) != 2:
	fc.fail("2 workers, forkpool.workers says %r" % (ws,))
for w in ws:
	if set(w) != keys:
		fc.fail("fields of a worker: %r" % (w,))
	if w["pid"] not in kids or w["generation"] != 0 or w["age_s"] <= 0:
		fc.fail("worker %r (children %r)" % (w, kids))
	rss = fc.vmrss_kib(w["pid"]) * 1024
	if not rss // 2 <= w["rss_bytes"] <= rss * 2:
		fc.fail("rss_bytes %d, VmRSS %d bytes" % (w["rss_bytes"], rss))
if sorted(w["slot"] for w in ws) != [0, 1]:
	fc.fail("slots: %r" % (ws,))
idle = [w for w in ws if w["pid"] != b1["pid"]][0]
if idle["state"] != "idle" or idle["handler"] is not None or \
    idle["running_us"] != 0:
	fc.fail("the other worker: %r" % (idle,))
if b1["handler"] != "sleep":
	fc.fail("the busy worker runs %r" % (b1,))
b2 = fc.until(lambda: (lambda b: b if b and b["pid"] == b1["pid"] and
    b["running_us"] >= b1["running_us"] + 200000 else None)(busy()),
    "running_us to grow by 0.2 s", 10)
if b2["handler"] != "sleep" or b2["slot"] != b1["slot"]:
	fc.fail("the same task: %r then %r" % (b1, b2))
st = fc.stats(sock)
if st["oldest_running_us"] < b2["running_us"]:
	fc.fail("oldest_running_us %d below the busy worker's %d" %
	    (st["oldest_running_us"], b2["running_us"]))
print("busy %r -> %r" % (b1, b2))
PY
fp_stop_clean
