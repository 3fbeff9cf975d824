#!/bin/sh
# recycle_max_rss.sh -- worker recycling by memory: with max-worker-rss
# 64M the worker that ran `leak 100' is recycled after the call, which
# itself succeeded; the other worker is not.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
max-worker-rss 64M
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "max-worker-rss (see above)"
import os, sys, time
from recycling import *

w0 = fc.wait_children(dpid, 2)
c = fc.Conn(sock)
err, res = c.call("leak", [100], 30)
if err is not None or res != 100:
	fc.fail("leak 100: %r %r" % (err, res))
deadline = time.monotonic() + 10
while not recycled("max-worker-rss"):
	if time.monotonic() > deadline:
		fc.fail("no worker recycled for max-worker-rss 10 s after leak 100")
	time.sleep(0.02)
gone = recycled()
if len(gone) != 1 or gone[0] not in w0:
	fc.fail("expected one of %r recycled, worker_recycle names %r" %
	    (w0, gone))
st, kids = wait_whole(2, gone)
(other,) = [p for p in w0 if p != gone[0]]
if other not in kids:
	fc.fail("the worker that did not leak (%d) was replaced too: %r" %
	    (other, kids))
if st.get("workers_recycled") != 1 or st.get("tasks_failed") != 0:
	fc.fail("stats after one RSS recycle: %r" % (st,))
err, res = c.call("echo", ["after"])
if err is not None or res != "after":
	fc.fail("echo after the recycle: %r %r" % (err, res))
PY
assert_grep 'event=worker_recycle .*reason=max-worker-rss' "$FP_LOG" \
    "worker_recycle for RSS logged"
fp_stop_clean
