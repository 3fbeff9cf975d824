#!/bin/sh
# worker_log_threads.sh -- a plug-in may log from threads of its own: the
# worker's log ring has one writer at a time (attack finding F4: two
# threads writing it at once garbled records, and the supervisor killed
# the worker for a corrupt ring).  testplug's tp.threadlog [N] logs N
# lines tp_main seq=I from the handler while a thread of its own logs N
# lines tp_thread seq=I, each pausing 2 ms every 100 lines so that the
# supervisor's reads (every 100 ms) make room in the ring over and over;
# called three times on one worker.  Every call
# answers true, no worker_protocol line, the worker is never replaced,
# every line that reaches the log is whole (event, worker=, pid=,
# plugin=, seq=, nothing else, in order per thread), and the lines logged
# plus those dropped (the ring full: log_dropped) or left out (the
# per-worker limit of 1000 lines a second: worker_log_suppressed what=log)
# are all 6N.  The lines written stay within that limit.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_testplug_conf 1
fp_start
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "log lines from a plug-in's threads (see above)"
import os, re, time
from datetime import datetime
import fpclient as fc
sock = os.environ["FP_SOCK"]
N, CALLS, PAUSE = 30000, 3, 2000
c = fc.Conn(sock)

t0 = time.monotonic()
for i in range(CALLS):
	err, res = c.call("forkpool.call", ["tp.threadlog", [N, PAUSE], {}], 60)
	if err is not None or res is not True:
		fc.fail("tp.threadlog %d (call %d): %r %r" % (N, i, err, res))
print("%d calls of tp.threadlog %d in %.2f s" %
    (CALLS, N, time.monotonic() - t0))

ANY = r"event=(tp_main|tp_thread|worker_log)\b"
WHOLE = (r"^ts=(\S+) level=info event=(tp_main|tp_thread) worker=0 "
    r"pid=(\d+) plugin=testplug seq=(\d+)$")
SUP = r"level=warning event=worker_log_suppressed worker=0 pid=\d+ " \
    r"what=log suppressed=(\d+)$"
def suppressed():
	return sum(int(re.search(SUP, l).group(1)) for l in fc.log_lines(SUP))
def settled():
	# log_dropped counts the lines left out by the limit too.
	n, d, s = fc.nlog(ANY), fc.stats(sock)["log_dropped"], suppressed()
	return n + d == 2 * N * CALLS and d >= s
fc.until(settled, "lines logged + log_dropped == %d" % (2 * N * CALLS), 20)
lines = fc.log_lines(ANY)
bad = [l for l in lines if not re.search(WHOLE, l)]
if bad:
	fc.fail("%d lines not whole, e.g. %r" % (len(bad), bad[:3]))
if fc.nlog(r"event=worker_protocol"):
	fc.fail("worker_protocol: %r" % fc.log_lines(r"event=worker_protocol"))
if fc.nlog(r"event=worker_exit") or fc.nlog(r"event=worker_start") != 1:
	fc.fail("the worker was replaced: %r" %
	    fc.log_lines(r"event=worker_(start|exit)"))
pids = set()
for ev in ("tp_main", "tp_thread"):
	ms = [re.search(WHOLE, l) for l in lines if "event=%s " % ev in l]
	pids |= set(m.group(3) for m in ms)
	seqs = [int(m.group(4)) for m in ms]
	# Three calls: seq counts up within each, never repeats in one.
	runs, prev = 1, -1
	for s in seqs:
		if s <= prev:
			runs += 1
		prev = s
	if not ms or runs > CALLS:
		fc.fail("%s: %d lines in %d runs" % (ev, len(ms), runs))
if len(pids) != 1:
	fc.fail("lines from pids %r" % (pids,))
ts = [datetime.strptime(re.search(WHOLE, l).group(1),
    "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() for l in lines]
span = max(ts) - min(ts)
if len(lines) > 1000 * (span + 2):
	fc.fail("%d lines in %.2f s: past 1000 a second" % (len(lines), span))
print("%d whole lines in %.2f s, %d dropped, %d suppressed" %
    (len(lines), span, fc.stats(sock)["log_dropped"], suppressed()))
PY
fp_stop_clean
