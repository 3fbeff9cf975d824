#!/bin/sh
# retries.sh -- retries of crashed tasks (forkpool.call's `retries'):
# forkpool.call crash with retries 2 is worker_crashed with attempts 3
# after an exponential back-off (100 + 200 ms), two task_retry log lines,
# tasks_retried +2.  The default is 0: crash gives attempts 1, with or
# without forkpool.call, and with retries 0.  Bad retries options are
# invalid_params.  (Also retries_handler.sh, retries_requeued.sh.)
# The breakers are off (breaker-threshold 0): this test crashes `crash'
# more often than the default threshold allows; breaker.sh tests them.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\nbreaker-threshold 0\n' >"$FP_CONF"
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "retries of crashed tasks (see above)"
import os, re, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

def crashed(err, attempts, what):
	fc.expect_err(err, "worker_crashed", what)
	if err.get("attempts") != attempts or err.get("signal") != 11:
		fc.fail("%s: expected signal 11 and attempts %d, got %r" %
		    (what, attempts, err))

fc.wait_children(dpid, 2)
c = fc.Conn(sock)
st0 = fc.stats(sock)
t0 = time.monotonic()
mid = c.queue_request("forkpool.call", ["crash", [], {"retries": 2,
    "id": "retry-test-1"}])
m, t = fc.collect(c, [mid], 20, "crash with retries 2")[mid]
crashed(m[2], 3, "forkpool.call crash with retries 2")
if t - t0 < 0.3:
	fc.fail("crash with retries 2 answered after %.3f s: the retries "
	    "should wait 100 ms and 200 ms" % (t - t0))
retry = fc.log_lines(r"event=task_retry .*msgid=%d\b" % mid)
if len(retry) != 2:
	fc.fail("expected 2 task_retry log lines for msgid %d, got %r" %
	    (mid, retry))
for l in retry:
	if "corr=retry-test-1" not in l:
		fc.fail("task_retry without the correlation id: %r" % (l,))
st1 = fc.stats(sock)
if st1["tasks_retried"] != st0["tasks_retried"] + 2:
	fc.fail("tasks_retried %r -> %r: expected +2" % (st0["tasks_retried"],
	    st1["tasks_retried"]))
if st1["worker_crashes"] != st0["worker_crashes"] + 3:
	fc.fail("worker_crashes %r -> %r: expected +3" %
	    (st0["worker_crashes"], st1["worker_crashes"]))
print("crash with retries 2: %r after %.3f s" % (m[2], t - t0))
fc.wait_children(dpid, 2)

# Default: not retried.
err, _ = c.call("crash", [], 20)
crashed(err, 1, "crash (default retries 0)")
err, _ = c.call("forkpool.call", ["crash", []], 20)
crashed(err, 1, "forkpool.call crash without options")
err, _ = c.call("forkpool.call", ["crash", [], {"retries": 0}], 20)
crashed(err, 1, "forkpool.call crash with retries 0")
st2 = fc.stats(sock)
if st2["tasks_retried"] != st1["tasks_retried"]:
	fc.fail("tasks_retried grew without retries: %r -> %r" %
	    (st1["tasks_retried"], st2["tasks_retried"]))

# Bad options.
for opts in ({"retries": 101}, {"retries": -1}, {"retries": "2"},
    {"retry": 1}):
	err, _ = c.call("forkpool.call", ["echo", [1], opts])
	fc.expect_err(err, "invalid_params", "forkpool.call options %r" %
	    (opts,))
PY
fp_stop_clean
