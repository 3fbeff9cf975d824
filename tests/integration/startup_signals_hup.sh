#!/bin/sh
# startup_signals_hup.sh -- SIGHUP during start-up, while a plug-in is being
# tried by its probe child (startup_signals.sh), is held until the daemon
# (-d) is ready: then it reloads, and runs on.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_gate_conf

fp_gated_fg HUP
"$FP_PY" "$FP_INTEG/fpclient.py" wait "$FP_SOCK" "$FP_PID" 10 ||
    fp_fail "-d SIGHUP during start-up: the daemon does not listen"
FP_DAEMONS="$FP_DAEMONS $FP_PID"
wait_for 'grep -q "event=reload" "$FP_LOG"' 10 || {
	cat "$FP_LOG" >&2
	fp_fail "-d SIGHUP during start-up: no reload logged"
}
assert_grep "event=sighup " "$FP_LOG" "-d SIGHUP: the signal was read"
fp_cli ping
assert_out pong "-d SIGHUP: ping after the reload"
fp_forget "$FP_PID"
fp_stop_clean
