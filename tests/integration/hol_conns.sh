#!/bin/sh
# hol_conns.sh -- no task waits behind another while a worker is idle,
# with several connections (issue 11, item 1).  2 workers, the default
# prefetch: one connection sends `sleep' [1000]; while it runs, 4 other
# connections send 3 bursts of 40 echoes in all, 150 ms apart.  Every
# echo is answered within 50 ms of being sent (hol.py): none waits behind
# the sleep, neither at the first burst (echoes prefetched to the
# sleeping worker are taken back) nor later (a worker tasks were taken
# back from gets no more until it is done).  The sleep is answered after
# about 1 s.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start -T
fp_py <<'PY' || fp_fail "echoes of several connections behind a sleep (see above)"
import time
import fpclient as fc
import hol

lc = fc.Conn(hol.sock)
conns = [fc.Conn(hol.sock) for _ in range(4)]
lid = lc.queue_request("sleep", [1000])
t0 = time.monotonic()
lc.flush()
worst = 0.0
for r in range(3):
	sent = hol.burst(conns, 40)
	worst = max(worst, hol.check_burst(conns, sent, "burst %d" % r))
	time.sleep(0.15)	# the pace of the bursts, not a wait for a state
if time.monotonic() - t0 >= 0.9:
	fc.fail("the bursts took %.2f s: the sleep may have ended before "
	    "them" % (time.monotonic() - t0))
print("3 bursts of 40 echoes on 4 connections, all answered within 50 ms")
(m, t), = lc.pump(1, 11)
fc.check_response(m)
if m[1] != lid or m[2] is not None or t - t0 < 0.9:
	fc.fail("sleep: %r after %.3f s" % (m, t - t0))
st = fc.stats(hol.sock)
if st["tasks_ok"] != 121 or st["tasks_failed"] != 0:
	fc.fail("stats: %r" % (st,))
print("worst echo %.1f ms, tasks_revoked %d" % (worst * 1e3,
    st["tasks_revoked"]), flush=True)
PY
fp_stop_clean
