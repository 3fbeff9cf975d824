#!/bin/sh
# stats_handlers.sh -- per-handler figures of forkpool.stats: 200 `sleep 5'
# calls, one at a time, land with run p50 in [5000, 5500] us, and p50, p90
# and p99 exactly the upper value of the bucket of the exact percentile of
# the run times that task-log all wrote (on a loaded machine a few sleeps
# overshoot: p99 is then checked against them, and must be >= 5000); a
# small wait, a total above the run; calls, ok, failed right, and an
# invalid_params answer counted under errors (its run too).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\ntask-log all\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "handler percentiles (see above)"
import math, os, re
import fpclient as fc
sock = os.environ["FP_SOCK"]

def index(us):
	"""lib/hist.h's fp_hist_index."""
	if us < 32:
		return us
	if us >= 1 << 32:
		return 895
	e = us.bit_length() - 1
	return (e - 4) * 32 + ((us >> (e - 5)) & 31)

def upper(i):
	"""The last value of bucket i."""
	if i < 32:
		return i
	e = i // 32 + 4
	return ((32 + i % 32 + 1) << (e - 5)) - 1
c = fc.Conn(sock)
for i in range(200):
	err, res = c.call("sleep", [5])
	if err is not None or res != 5:
		fc.fail("sleep 5: %r %r" % (err, res))
err, res = c.call("sleep", [-1])
fc.expect_err(err, "invalid_params", "sleep [-1]")

def sl():
	err, res = c.call("forkpool.stats", [])
	if err is not None:
		fc.fail("forkpool.stats: %r" % (err,))
	return res["handlers"]["sleep"]

h = fc.until(lambda: (lambda s: s if s["run"]["count"] == 201 else None)(sl()),
    "201 sleep runs folded", 10, detail=lambda: repr(sl()))
print("sleep: %r" % (h,))
if h["calls"] != 201 or h["ok"] != 200 or h["failed"] != 1 or \
    h["errors"] != {"invalid_params": 1}:
	fc.fail("counts: %r" % (h,))
r, w, t = h["run"], h["wait"], h["total"]
# The invalid_params run takes microseconds: p50 and p99 are sleeps.
if not 5000 <= r["p50"] <= 5500 or r["p99"] < 5000:
	fc.fail("run p50 %d not in [5000, 5500] or p99 below 5000: %r" %
	    (r["p50"], r))
runs = sorted(int(m.group(1)) for m in (re.search(r" run_us=(\d+) ", l)
    for l in fc.log_lines(r"event=task_(done|failed) .*handler=sleep ")))
if len(runs) != 201:
	fc.fail("task-log all: %d sleep lines, expected 201" % len(runs))
for k, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
	exact = runs[math.ceil(q * len(runs)) - 1]
	if r[k] != upper(index(exact)):
		fc.fail("run %s %d, the logged runs' exact %d: bucket up to %d" %
		    (k, r[k], exact, upper(index(exact))))
print("exact p50 %d p99 %d; max %d" % (runs[100], runs[198], runs[-1]))
if not r["p50"] <= r["p90"] <= r["p99"] <= r["p999"] <= r["max"]:
	fc.fail("run percentiles out of order: %r" % (r,))
if w["count"] != 201 or t["count"] != 201:
	fc.fail("wait and total count each answered run: %r %r" % (w, t))
if w["p50"] > 2000:
	fc.fail("one call at a time on 2 idle workers waited %d us (p50)" %
	    w["p50"])
if t["p50"] < r["p50"] - r["p50"] // 32 or t["p50"] > 20000:
	fc.fail("total p50 %d against run p50 %d" % (t["p50"], r["p50"]))
e = fc.stats(sock)["handlers"]["echo"]
if e["calls"] != 0 or e["run"]["count"] != 0 or e["run"]["p50"] != 0:
	fc.fail("echo was never called: %r" % (e,))
PY
fp_stop_clean
