#!/bin/sh
# worker_log_ring.sh -- a worker's log lines travel through its log ring,
# which never makes it wait (issue 10, item 5).  The test handler logflood
# logs 100000 lines as fast as it can: the call ends within seconds, the
# supervisor answers a ping on another connection meanwhile, the lines
# that reach the daemon log carry worker= and pid= (in order, without
# duplicates), fewer than were sent reach it, and the rest are counted
# exactly: dropped by the worker when its ring was full (forkpool.stats'
# log_dropped) or read and left out by the supervisor past its limit of
# 1000 lines a second per worker (worker_log_suppressed what=log
# suppressed=N lines, which log_dropped counts too: the total of both).  The lines written stay within that limit.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "log flood (see above)"
import os, re, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
N = 100000

flood, other = fc.Conn(sock), fc.Conn(sock)
t0 = time.monotonic()
mid = flood.queue_request("logflood", [N])
flood.flush()
# The supervisor serves others while the worker floods.
err, res = other.call("forkpool.ping", [], 10)
if err is not None:
	fc.fail("ping during the flood: %r" % (err,))
(m, _), = flood.pump(1, 60)
took = time.monotonic() - t0
fc.check_response(m)
if m[1] != mid or m[2] is not None or m[3] != {"written": N}:
	fc.fail("logflood %d: %r" % (N, m))
if took > 20:
	fc.fail("logflood %d took %.1f s: the worker waited for its log" %
	    (N, took))
print("logflood %d answered in %.2f s" % (N, took))

# Every line it logged is either in the log or counted as dropped or
# suppressed, once the supervisor has read the whole ring (on its 100 ms
# tick) and said what it left out (in the second after).
pat = r"level=info event=logflood worker=\d+ pid=\d+ seq=\d+$"
SUP = r"level=warning event=worker_log_suppressed worker=\d+ pid=\d+ " \
    r"what=log suppressed=(\d+)$"
def suppressed():
	return sum(int(re.search(SUP, l).group(1)) for l in fc.log_lines(SUP))
def settled():
	st = fc.stats(sock)
	if "log_dropped" not in st:
		fc.fail("forkpool.stats has no log_dropped: %r" % (st,))
	n, d = fc.nlog(pat), st["log_dropped"]
	# log_dropped counts both kinds; the suppressed= lines tell the
	# second apart, and once settled they are the whole of it.
	return n + d == N and d >= suppressed()
fc.until(settled, "lines logged + log_dropped == %d" % N, 20)
lines = fc.log_lines(pat)
dropped = fc.stats(sock)["log_dropped"]
if not lines or len(lines) >= N or dropped == 0:
	fc.fail("%d lines logged, %d dropped: expected some of each" %
	    (len(lines), dropped))
if len(lines) > 1000:
	fc.fail("%d lines of a flood that lasted %.2f s: past 1000 a second" %
	    (len(lines), took))
seqs = [int(re.search(r"seq=(\d+)$", l).group(1)) for l in lines]
if seqs != sorted(set(seqs)):
	fc.fail("the lines logged are out of order or repeated")
if len(set(re.search(r" pid=(\d+) ", l).group(1) for l in lines)) != 1:
	fc.fail("logflood lines from more than one pid")
print("%d lines logged, %d dropped, %d suppressed" % (len(lines), dropped,
    suppressed()))
PY
fp_stop_clean
