#!/bin/sh
# startup_signals_check.sh -- SIGTERM to forkpoold -n while it tries a
# plug-in in its probe child (startup_signals.sh) takes effect once the
# plug-ins are tried: exit by the signal, nothing printed, no process left.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_gate_conf

# ---- -n: the signal takes effect once the plug-ins are tried --------------

fp_gate_reset
# shellcheck disable=SC2086
fp_bg $FP_SIGDFL "$FORKPOOLD" -n -f "$FP_CONF" -s "$FP_SOCK" \
    -p "$FP_PIDFILE" >"$T/out" 2>"$T/err"
check=$FP_BGPID
fp_wait_probe "-n SIGTERM"
assert_eq "$check" "$LOADER" "-n SIGTERM: parent of the probe"
kill -TERM "$check"
fp_gate_open "-n SIGTERM"
fp_wait_bg "$check" 15
assert_eq 143 "$FP_RC" "-n SIGTERM during the check: exit status"
assert_empty "$T/out" "-n SIGTERM during the check: stdout"
fp_check_no_workers 5
fp_info "ok"
