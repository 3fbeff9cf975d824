#!/bin/sh
# worker_violation.sh -- a worker that breaks the protocol cannot freeze
# the pool (issue 8, item 2; the daemon of fp_start_violation in
# tests/lib.sh, whose 16 MB blob rings let an oversized result (results
# past 16K go there) come both as one record and in fragments).  The test
# handler violate makes the worker break the protocol: an oversized result
# (one record, by 1, 24 and 1000 bytes: 24 is the header a small-ring
# record has and a blob has not; then in fragments) is answered
# too_large, a spoofed result id, a result whose blob is another
# task's, a malformed result, a bad error
# record and a corrupt ring index are answered internal naming the
# violation; each ran once although retries 5 was asked, each is counted
# in worker_protocol_errors and as a failure in violate's breaker, and the
# killed workers back off like crashed ones (worker_backoff).  A
# notification that does it is dropped with a task_dropped line.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start_violation
fp_py <<'PY' || fp_fail "worker violations (see above)"
import os
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
fc.wait_children(dpid, 2)
c = fc.Conn(sock)

cases = [
	(["oversize", 1], "too_large", "may hold"),
	(["oversize", 24], "too_large", "may hold"),
	(["oversize", 1000], "too_large", "may hold"),
	(["oversize", 3 << 20], "too_large", "may hold"),
	(["spoof"], "internal", "result for a task it does not hold"),
	(["blob-spoof"], "internal", "blob of another result"),
	(["malformed"], "internal", "malformed result"),
	(["bad-error"], "internal", "bad error record"),
	(["corrupt"], "internal", "result ring corrupt"),
]
nviol = 0
for params, want, text in cases:
	runs = fc.nlog(r"event=test_violate ")
	err, res = c.call("forkpool.call", ["violate", params, {"retries": 5}],
	    20)
	fc.expect_err(err, want, "violate %r" % (params,))
	if text not in err["message"]:
		fc.fail("violate %r: message %r should name %r" % (params, err,
		    text))
	nviol += 1
	st = fc.wait_stats(sock, lambda s: s["worker_protocol_errors"] == nviol,
	    "worker_protocol_errors %d" % nviol)
	fc.wait_stats(sock, lambda s: s["workers_ready"] == 2 or
	    s["respawn_backoff_ms"] > 0, "the killed worker replaced")
	n = fc.nlog(r"event=test_violate ") - runs
	if n != 1:
		fc.fail("violate %r ran %d times, expected once" % (params, n))
	print("violate %r: %s %r (ran once)" % (params, err["code"],
	    err["message"]))
b = fc.breakers(sock)["violate"]
if b["failures"] != nviol:
	fc.fail("violate's breaker: expected %d failures, got %r" % (nviol, b))
if not fc.log_lines(r"event=worker_backoff "):
	fc.fail("workers killed for violations did not back off")
if st["worker_crashes"] != 0:
	fc.fail("violations are not counted as crashes: %r" % (st,))
print("breaker failures %d, worker_backoff seen" % b["failures"])

# A notification: dropped, with a log line.
c.queue(fc.pack([2, "violate", ["spoof"]]))
c.flush()
nviol += 1
fc.wait_stats(sock, lambda s: s["worker_protocol_errors"] == nviol,
    "worker_protocol_errors %d" % nviol)
if not fc.log_lines(r"event=task_dropped .*handler=violate .*error=internal"):
	fc.fail("no task_dropped line for the notification")
PY
fp_stop_clean
