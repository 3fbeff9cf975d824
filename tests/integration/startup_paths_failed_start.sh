#!/bin/sh
# startup_paths_failed_start.sh -- a start that fails (pidfile locked,
# socket in use) removes the socket and pidfile directories it made, also
# when the pidfile is in the socket's directory.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"

fp_start -w 1
fp_run "$FORKPOOLD" -d -f "$FP_CONF" -s "$T/newdir/s.sock" -p "$FP_PIDFILE"
assert_status 1 "new socket directory, pidfile locked"
assert_grep "^forkpoold: $FP_PIDFILE: locked by pid $FP_PID" "$T/err" \
    "new socket directory, pidfile locked: message"
if [ -e "$T/newdir" ]; then
	fp_fail "a failed start left the socket directory it made"
fi
fp_run "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" -p "$T/newpid/x.pid"
assert_status 1 "new pidfile directory, socket in use"
assert_grep "^forkpoold: $FP_SOCK: another forkpoold is listening" "$T/err" \
    "new pidfile directory, socket in use: message"
if [ -e "$T/newpid" ]; then
	fp_fail "a failed start left the pidfile directory it made"
fi
# Both made, the pidfile in the socket's directory.
fp_run "$FORKPOOLD" -d -f "$FP_CONF" -s "$T/both/s.sock" -p "$FP_PIDFILE"
assert_status 1 "new socket and pidfile directory, pidfile locked"
if [ -e "$T/both" ]; then
	fp_fail "a failed start left the directory it made"
fi
