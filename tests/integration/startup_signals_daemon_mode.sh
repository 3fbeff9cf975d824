#!/bin/sh
# startup_signals_daemon_mode.sh -- SIGTERM during start-up in daemon mode,
# sent to the daemon while a plug-in is being tried by its probe child
# (startup_signals.sh): the starting process exits 0, and the daemon starts,
# drains and exits 0 (both seen through a subreaper), leaving no process,
# socket or pidfile.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_gate_conf

# Under tests/integration/subreaper.py, which records how the starting
# process and the detached daemon exit ("PID STATUS" lines in $T/reaped).
fp_gate_reset
rm -f "$T/reaped"
# shellcheck disable=SC2086
fp_bg $FP_SIGDFL "$FP_PY" "$FP_INTEG/subreaper.py" "$T/reaped" \
    "$FORKPOOLD" -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE" 2>"$T/start.err"
reaper=$FP_BGPID
fp_wait_probe "daemon mode SIGTERM"
starter=$(fp_ppid "$LOADER")
assert_eq "$reaper" "$(fp_ppid "$starter")" \
    "daemon mode: the loading daemon is a child of the starting process"
FP_ALLD="$FP_ALLD $LOADER"
kill -TERM "$LOADER"
fp_gate_open "daemon mode SIGTERM"
fp_wait_bg "$reaper" 15
assert_eq 0 "$FP_RC" "daemon mode SIGTERM: the subreaper"
assert_empty "$T/start.err" "daemon mode SIGTERM: stderr of the start"
sed -n 1p "$T/reaped" | grep -qx "[0-9]* 0" || {
	cat "$T/reaped" >&2
	fp_fail "daemon mode SIGTERM: the starting process did not exit 0"
}
assert_eq "$LOADER 0" "$(sed -n 2p "$T/reaped")" \
    "daemon mode SIGTERM: pid and exit status of the daemon"
fp_gate_after "daemon mode SIGTERM"
