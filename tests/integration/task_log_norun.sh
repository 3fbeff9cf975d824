#!/bin/sh
# task_log_norun.sh -- task-log errors lines of tasks answered without a
# run: a task that crashed its worker names that worker and its pid (the
# process that crashed, not pid=0); a task that timed out in the queue
# never reached a worker and names none (no worker=-1, no pid=0).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\nprefetch 1\ntest-handlers yes\ntask-log errors\n' \
    >"$FP_CONF"
fp_start
fp_wait_nworkers 1
fp_py <<'PY' >"$T/pid" || fp_fail "calls (see above)"
import os
import fpclient as fc
c = fc.Conn(os.environ["FP_SOCK"])
ws = c.call("forkpool.workers", [])[1]
pid = [w["pid"] for w in ws if w["pid"]][0]
# The worker sleeps; the echo waits in the queue past its deadline.
a = c.queue_request("forkpool.call", ["sleep", [1500], {"id": "q-sleep"}])
b = c.queue_request("forkpool.call", ["echo", [1],
    {"id": "q-echo", "timeout_ms": 200}])
got = fc.collect(c, [a, b], 20, "sleep and queued echo")
fc.expect_err(got[b][0][2], "timeout", "the queued echo")
err, res = c.call("forkpool.call", ["crash", [], {"id": "c-crash"}])
fc.expect_err(err, "worker_crashed", "crash")
print(pid)
PY
pid=$(cat "$T/pid")
assert_grep 'level=info event=task_failed msgid=[0-9]+ handler=echo code=timeout wait_us=[0-9]+ run_us=0 attempts=0 corr=q-echo$' \
    "$FP_LOG" "queue timeout: no worker, no pid"
assert_grep "level=info event=task_failed msgid=[0-9]+ handler=crash code=worker_crashed worker=0 pid=$pid wait_us=[0-9]+ run_us=0 attempts=1 corr=c-crash\$" \
    "$FP_LOG" "crash: the worker and the pid that crashed"
assert_no_grep 'event=task_failed .*(pid=0|worker=-1)' "$FP_LOG" \
    "no pid=0, no worker=-1"
fp_stop_clean
