#!/bin/sh
# stats_window.sh -- forkpool.stats [window] (forkpool-rpc(7)): "all" (the
# default), "1m" and "5m" are accepted and named in `window'; "2m", a
# number or two parameters are invalid_params.  A fresh daemon has closed
# no 10 s interval, so its 1m and 5m handler figures equal "all".
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "forkpool.stats windows (see above)"
import os
import fpclient as fc
sock = os.environ["FP_SOCK"]
c = fc.Conn(sock)
for i in range(20):
	err, res = c.call("echo", [i])
	if err is not None:
		fc.fail("echo: %r" % (err,))
err, res = c.call("sleep", ["x"])
fc.expect_err(err, "invalid_params", "sleep [\"x\"]")

def get(*p):
	err, res = c.call("forkpool.stats", list(p))
	if err is not None:
		fc.fail("forkpool.stats %r: %r" % (p, err))
	return res

# The runs are folded on the 100 ms tick: wait until they are all in.
fc.until(lambda: get()["handlers"]["echo"]["run"]["count"] == 20,
    "20 echo runs folded", 10)
fc.until(lambda: get()["handlers"]["sleep"]["run"]["count"] == 1,
    "the sleep run folded", 10)
a, d = get("all"), get()
m1, m5 = get("1m"), get("5m")
if a["window"] != "all" or d["window"] != "all" or m1["window"] != "1m" \
    or m5["window"] != "5m":
	fc.fail("window names: %r %r %r %r" % (a["window"], d["window"],
	    m1["window"], m5["window"]))
if a["handlers"] != d["handlers"] or a["handlers"] != m1["handlers"] or \
    a["handlers"] != m5["handlers"]:
	fc.fail("a fresh daemon's windows differ:\nall %r\n1m %r\n5m %r" %
	    (a["handlers"], m1["handlers"], m5["handlers"]))
e = a["handlers"]["echo"]
if e["calls"] != 20 or e["ok"] != 20 or e["failed"] != 0 or e["errors"]:
	fc.fail("echo figures: %r" % (e,))
s = a["handlers"]["sleep"]
if s["calls"] != 1 or s["errors"] != {"invalid_params": 1}:
	fc.fail("sleep figures: %r" % (s,))
for bad in (["2m"], [5], ["all", "1m"], [None], ["ALL"]):
	err, res = c.call("forkpool.stats", bad)
	fc.expect_err(err, "invalid_params", "forkpool.stats %r" % (bad,))
print("windows all/1m/5m equal on a fresh daemon; bad windows refused")
PY
fp_stop_clean
