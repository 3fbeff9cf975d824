#!/bin/sh
# retries_requeued.sh -- a task that crashes only on its first attempt: a
# spin with retries 1 whose worker the test kills with SIGKILL is re-run
# and succeeds.  A task requeued because the worker that had prefetched it
# died (it never started there) has not made an attempt: a crash with
# retries 1 prefetched behind a killed task ends with attempts 2, not 3.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

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
