#!/bin/sh
# daemon_mode_sigquit.sh -- SIGQUIT stops a daemon started without -d at
# once: a running task is answered shutting_down, not waited for, and the
# daemon leaves no socket, pidfile or process.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
fp_testplug_conf 1

fp_start_daemon
fp_wait_nworkers 1
fp_cli ping
assert_out pong "ping before SIGQUIT"
fp_sleep_running 30000
fp_stop_daemon QUIT
# At once: the 30 s sleep is answered shutting_down, not waited for.
fp_wait_bg "$JOB" 10
assert_eq 1 "$FP_RC" "the call running at SIGQUIT: answered with an error"
assert_grep "shutting_down" "$T/job.out" "the call running at SIGQUIT"
