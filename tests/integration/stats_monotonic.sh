#!/bin/sh
# stats_monotonic.sh -- the handler totals of forkpool.stats never go down
# across kill -9 of a worker, recycling (max-tasks-per-worker 30) and a
# SIGHUP reload, and no worker's runs are lost: once every process gone
# has been folded, echo's run count equals its answered calls.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\nmax-tasks-per-worker 30\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "monotonic totals (see above)"
import os, signal
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
c = fc.Conn(sock)
last = {}

def figures():
	h = fc.stats(sock)["handlers"]["echo"]
	return {"calls": h["calls"], "ok": h["ok"],
	    "run": h["run"]["count"], "wait": h["wait"]["count"],
	    "total": h["total"]["count"]}

def check(what):
	f = figures()
	for k, v in f.items():
		if v < last.get(k, 0):
			fc.fail("%s: %s went down from %d to %d" %
			    (what, k, last[k], v))
	last.update(f)
	return f

def settle(what, n):
	"""Every run of the n echo calls folded, none counted twice."""
	f = fc.until(lambda: (lambda f: f if f["run"] >= n else None)(
	    check(what)), "%s: %d runs folded" % (what, n), 10,
	    pid=dpid, detail=lambda: repr(figures()))
	if f["calls"] != n or f["ok"] != n or f["run"] != n or \
	    f["wait"] != n or f["total"] != n:
		fc.fail("%s: %d echo calls, figures %r" % (what, n, f))
	print("%s: %r" % (what, f))

n = 0
def echo(k):
	global n
	for i in range(k):
		err, res = c.call("echo", [i])
		if err is not None:
			fc.fail("echo: %r" % (err,))
		n += 1
		if i % 7 == 0:
			check("echo %d" % n)

echo(20)
settle("before", n)
# kill -9 a worker: what its block counted is folded once more when it
# is gone.
w = fc.wait_children(dpid, 2)
os.kill(w[0], signal.SIGKILL)
fc.until(lambda: w[0] not in fc.children(dpid), "the killed worker gone",
    10, pid=dpid)
check("after kill -9")
echo(10)
settle("after kill -9", n)
# Recycling: 30 tasks a worker (with jitter), 150 calls.
echo(150)
settle("after recycling", n)
if fc.stats(sock)["workers_recycled"] < 2:
	fc.fail("no recycling: %r" % (fc.stats(sock),))
# A reload retires both workers.
g = fc.stats(sock)["generation"]
os.kill(dpid, signal.SIGHUP)
fc.wait_stats(sock, lambda s: s["generation"] == g + 1, "the reload", 10)
check("after reload")
echo(10)
fc.wait_stats(sock, lambda s: s["workers_retiring"] == 0,
    "the old workers gone", 10)
settle("after reload", n)
PY
fp_stop_clean
