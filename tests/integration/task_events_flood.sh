#!/bin/sh
# task_events_flood.sh -- task_timeout lines are rate-limited like the
# other lines a client can cause (attack finding F9: 26112 task_timeout
# lines in 5 s).  Both workers busy with a sleep, one client keeps 512
# forkpool.call echo with timeout_ms 1 in flight for 2 s: every call is
# answered timeout, at most 100 task_timeout lines a second reach the log
# (over the span of those written), and the lines written plus the
# suppressed= counts they carry are exactly the calls answered timeout
# (a few more single calls after the flood carry the last count).
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
fp_py <<'PY' || fp_fail "task_timeout flood (see above)"
import os, re, time
from datetime import datetime
import fpclient as fc
sock = os.environ["FP_SOCK"]
blk, c = fc.Conn(sock), fc.Conn(sock)
for i in range(2):
	blk.queue_request("sleep", [6000])
blk.flush()
fc.wait_stats(sock, lambda s: s["running"] == 2, "both sleeps running")

answered = 0
def take(got):
	global answered
	for m, _ in got:
		fc.check_response(m)
		if m[2] is None or m[2].get("code") != "timeout":
			fc.fail("not a timeout: %r" % (m,))
		answered += 1
out, t_end = 0, time.monotonic() + 2
while time.monotonic() < t_end:
	while out < 512:
		c.queue_request("forkpool.call", ["echo", [1], {"timeout_ms": 1}])
		out += 1
	got = c.pump(1, 10)
	out -= len(got)
	take(got)
take(c.pump(out, 10))
print("%d calls answered timeout" % answered)

W = r"^ts=(\S+) level=info event=task_timeout msgid=\d+ waited_ms=\d+"
def counted():
	lines = fc.log_lines(W)
	sup = sum(int(m.group(1)) for m in (re.search(r" suppressed=(\d+)",
	    l) for l in lines) if m)
	return len(lines), sup
# A line after the flood says how many were held back last.
def settled():
	global answered
	n, s = counted()
	if n + s == answered:
		return True
	err, res = c.call("forkpool.call", ["echo", [1], {"timeout_ms": 1}], 10)
	if err is None or err.get("code") != "timeout":
		fc.fail("not a timeout: %r %r" % (err, res))
	answered += 1
	return False
fc.until(settled, "task_timeout lines + suppressed == calls answered", 10)
lines = fc.log_lines(W)
ts = [datetime.strptime(re.search(W, l).group(1),
    "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() for l in lines]
span = max(ts) - min(ts)
if len(lines) > 100 * (span + 2):
	fc.fail("%d task_timeout lines in %.2f s: past 100 a second" %
	    (len(lines), span))
print("%d task_timeout lines in %.2f s for %d timeouts" %
    (len(lines), span, answered))
PY
fp_stop_clean
