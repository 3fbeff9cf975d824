#!/bin/sh
# task_log.sh -- task-log (forkpool.conf(5)): with `none' no task line;
# with `errors' (the default) a task_failed line for a failed call, with
# msgid, handler, code, worker, pid, wait_us, run_us, attempts and corr
# (quoted and escaped), and none for a good one; with `all' a task_done
# line for a good one too.  The modes are switched by SIGHUP reloads.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# calls TAG: an echo and a failing sleep, each with a correlation id.
calls() {
	TAG=$1 fp_py <<'PY' || fp_fail "calls $1 (see above)"
import os
import fpclient as fc
tag = os.environ["TAG"]
c = fc.Conn(os.environ["FP_SOCK"])
err, res = c.call("forkpool.call", ["echo", [1], {"id": tag + " ok"}])
if err is not None:
	fc.fail("echo: %r" % (err,))
err, res = c.call("forkpool.call", ["sleep", ["x"],
    {"id": tag + ' "bad"\n'}])
fc.expect_err(err, "invalid_params", "sleep [\"x\"]")
PY
}

# reload MODE: task-log MODE, applied (the generation went up).
reload() {
	printf 'workers 1\ntask-log %s\n' "$1" >"$FP_CONF"
	_g=$(fp_stat generation)
	kill -HUP "$FP_PID"
	wait_for '[ "$(fp_stat generation)" -gt '"$_g"' ]' 10 ||
	    fp_fail "reload to task-log $1"
}

printf 'workers 1\ntask-log none\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 1
calls n1
assert_no_grep 'event=task_' "$FP_LOG" "task-log none: no task line"

reload errors
calls e1
assert_grep 'level=info event=task_failed msgid=[0-9]+ handler=sleep code=invalid_params worker=[0-9]+ pid=[1-9][0-9]* wait_us=[0-9]+ run_us=[0-9]+ attempts=1 corr="e1 \\"bad\\"\\n"$' \
    "$FP_LOG" "task-log errors: the failed call's line"
assert_no_grep 'event=task_done' "$FP_LOG" "task-log errors: no task_done"

reload all
calls a1
assert_grep 'level=info event=task_done msgid=[0-9]+ handler=echo code=ok worker=[0-9]+ pid=[1-9][0-9]* wait_us=[0-9]+ run_us=[0-9]+ attempts=1 corr="a1 ok"$' \
    "$FP_LOG" "task-log all: the good call's line"
assert_grep 'event=task_failed .*corr="a1 \\"bad\\"\\n"$' "$FP_LOG" \
    "task-log all: the failed call's line"
n=$(grep -c 'event=task_' "$FP_LOG")
assert_eq 3 "$n" "task lines: one with errors, two with all"
fp_stop_clean
