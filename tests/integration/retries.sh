#!/bin/sh
# retries.sh -- retries of crashed tasks (forkpool.call's `retries',
# forkpool.conf(5) `retries' and `handler NAME retries').
#
# - forkpool.call crash with retries 2: worker_crashed with attempts 3
#   after an exponential back-off (100 + 200 ms), two task_retry log lines,
#   tasks_retried +2.
# - The default is 0: crash gives attempts 1, with or without
#   forkpool.call; `handler crash retries 1' gives attempts 2, and
#   retries 0 in the call overrides it.
# - Handler errors (invalid_params) are not retried: no attempts field,
#   tasks_retried unchanged.  Bad retries options are invalid_params.
# - A task that crashes only on its first attempt: a spin with retries 1
#   whose worker the test kills with SIGKILL is re-run and succeeds.
# - A task requeued because the worker that had prefetched it died (it
#   never started there) has not made an attempt: a crash with retries 1
#   prefetched behind a killed task ends with attempts 2, not 3.
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

# `handler crash retries 1', and handler errors.
cat >"$FP_CONF" <<'CONF'
workers 2
breaker-threshold 0
handler crash retries 1
handler sleep retries 3
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "handler retries, handler errors (see above)"
import os
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

fc.wait_children(dpid, 2)
c = fc.Conn(sock)
st0 = fc.stats(sock)
err, _ = c.call("crash", [], 20)
fc.expect_err(err, "worker_crashed", "crash under handler crash retries 1")
if err.get("attempts") != 2:
	fc.fail("crash under handler crash retries 1: attempts %r" % (err,))
err, _ = c.call("forkpool.call", ["crash", [], {"retries": 0}], 20)
fc.expect_err(err, "worker_crashed", "crash with retries 0 in the call")
if err.get("attempts") != 1:
	fc.fail("retries 0 in the call overrides handler crash retries 1: "
	    "%r" % (err,))
st1 = fc.stats(sock)
if st1["tasks_retried"] != st0["tasks_retried"] + 1:
	fc.fail("tasks_retried %r -> %r: expected +1" % (st0["tasks_retried"],
	    st1["tasks_retried"]))
fc.wait_children(dpid, 2)

# Handler errors are answers, not crashes: never retried.
for method, params, opts in (("sleep", ["x"], None),
    ("crash", ["x"], {"retries": 3}), ("crash", [0], {"retries": 3}),
    ("spin", [-1], {"retries": 2}), ("echo", [1, 2], {"retries": 2})):
	if opts is None:
		err, _ = c.call(method, params, 20)
	else:
		err, _ = c.call("forkpool.call", [method, params, opts], 20)
	fc.expect_err(err, "invalid_params", "%s %r %r" % (method, params, opts))
	if "attempts" in err:
		fc.fail("a handler error carries attempts: %s %r: %r" %
		    (method, params, err))
st2 = fc.stats(sock)
if st2["tasks_retried"] != st1["tasks_retried"]:
	fc.fail("handler errors were retried: tasks_retried %r -> %r" %
	    (st1["tasks_retried"], st2["tasks_retried"]))
if st2["worker_crashes"] != st1["worker_crashes"]:
	fc.fail("worker_crashes %r -> %r after handler errors" %
	    (st1["worker_crashes"], st2["worker_crashes"]))
print("handler crash retries 1: attempts 2; handler errors not retried")
PY
fp_stop_clean

# A task that crashes only once, and attempts of requeued tasks.
printf 'workers 1\nprefetch 4\nbreaker-threshold 0\n' >"$FP_CONF"
fp_start -T
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "a retried task that succeeds, requeued tasks (see above)"
import os, signal, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

# The worker running the spin is killed once; the retry succeeds.
(w,) = fc.wait_children(dpid, 1)
base = {w: fc.cputicks(w)}
c = fc.Conn(sock)
st0 = fc.stats(sock)
sp = c.queue_request("forkpool.call", ["spin", [1500000], {"retries": 1}])
c.flush()
fc.wait_cpu([w], 0.1, base, 10)
os.kill(w, signal.SIGKILL)
m, _ = fc.collect(c, [sp], 30, "spin with retries 1, killed once")[sp]
if m[2] is not None or m[3] != 1500000:
	fc.fail("spin with retries 1 whose first worker was killed: expected "
	    "the result 1500000 from the retry, got %r" % (m,))
retry = fc.log_lines(r"event=task_retry .*msgid=%d\b" % sp)
if len(retry) != 1:
	fc.fail("expected one task_retry line for msgid %d, got %r" %
	    (sp, retry))
st1 = fc.stats(sock)
if st1["tasks_retried"] != st0["tasks_retried"] + 1:
	fc.fail("tasks_retried %r -> %r: expected +1" % (st0["tasks_retried"],
	    st1["tasks_retried"]))
print("spin with retries 1: first worker killed, retry ok")

# A crash with retries 1 waits in the ring of a worker that the test
# kills while it runs a spin: requeued without having started, it then
# crashes twice: attempts 2.
(w,) = fc.wait_children(dpid, 1, avoid=[w])
base = {w: fc.cputicks(w)}
sp = c.queue_request("spin", [20000000])
cr = c.queue_request("forkpool.call", ["crash", [], {"retries": 1}])
c.flush()
fc.wait_cpu([w], 0.1, base, 10)
os.kill(w, signal.SIGKILL)
got = fc.collect(c, [sp, cr], 30, "spin killed, crash prefetched behind it")
e = got[sp][0][2]
fc.expect_err(e, "worker_crashed", "spin whose worker was killed")
if e.get("signal") != 9 or e.get("attempts") != 1:
	fc.fail("spin whose worker was killed: expected signal 9, attempts 1, "
	    "got %r" % (e,))
e = got[cr][0][2]
fc.expect_err(e, "worker_crashed", "crash with retries 1")
if e.get("signal") != 11 or e.get("attempts") != 2:
	fc.fail("crash with retries 1 that was first prefetched by a worker "
	    "killed before it started the crash: expected signal 11 and "
	    "attempts 2 (it ran twice), got %r" % (e,))
print("crash with retries 1 requeued from a killed worker: %r" % (e,))
PY
fp_stop_clean
