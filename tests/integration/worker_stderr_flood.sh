#!/bin/sh
# worker_stderr_flood.sh -- a worker's standard error is logged at most
# 200 lines a second per worker (attack finding F7: a plug-in printing a
# line per bad input let a client fill the disk).  The test handler
# stderr writes 30000 short lines, three calls of 10000, while another
# connection pings the supervisor: every call and ping is answered, at
# most 200 worker_stderr lines a second reach the log (counted over the
# span of the lines written), and the lines written plus those the
# supervisor read and left out (worker_log_suppressed what=stderr
# suppressed=N, said once the second is over) are exactly 30000.  After
# the flood a line still gets through, on its own.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 1
CONF
fp_start -T
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "stderr flood (see above)"
import os, re, time
from datetime import datetime
import fpclient as fc
sock = os.environ["FP_SOCK"]
LINES, CALLS = 10000, 3
flood, other = fc.Conn(sock), fc.Conn(sock)

for k in range(CALLS):
	text = "".join("flood %d %d\n" % (k, i) for i in range(LINES))
	mid = flood.queue_request("stderr", [text])
	flood.flush()
	err, res = other.call("forkpool.ping", [], 10)
	if err is not None:
		fc.fail("ping during the flood: %r" % (err,))
	(m, _), = flood.pump(1, 30)
	fc.check_response(m)
	if m[1] != mid or m[2] is not None or m[3] is not True:
		fc.fail("stderr call %d: %r" % (k, m))

W = r"^ts=(\S+) level=warning event=worker_stderr worker=0 pid=\d+ "
PAT = W + r'line="flood \d \d+"$'
SUP = r"level=warning event=worker_log_suppressed worker=0 pid=\d+ " \
    r"what=stderr suppressed=(\d+)$"
def suppressed():
	return sum(int(re.search(SUP, l).group(1)) for l in fc.log_lines(SUP))
fc.until(lambda: fc.nlog(PAT) + suppressed() == LINES * CALLS,
    "lines written + suppressed == %d" % (LINES * CALLS), 15)
lines = fc.log_lines(PAT)
ts = [datetime.strptime(re.search(W, l).group(1),
    "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() for l in lines]
span = max(ts) - min(ts)
if len(lines) > 200 * (span + 2):
	fc.fail("%d stderr lines in %.2f s: past 200 a second" %
	    (len(lines), span))
if fc.nlog(r"event=worker_stderr ") != len(lines):
	fc.fail("stderr lines not whole: %r" %
	    [l for l in fc.log_lines(r"event=worker_stderr ") if l not in lines])
print("%d stderr lines written in %.2f s, %d suppressed" %
    (len(lines), span, suppressed()))

# Past the flood, its lines are written again.
err, res = other.call("stderr", ["after the flood\n"], 10)
if err is not None or res is not True:
	fc.fail("stderr after the flood: %r %r" % (err, res))
fc.until(lambda: fc.nlog(W + r'line="after the flood"$') == 1,
    "the line after the flood", 10)
PY
fp_stop_clean
