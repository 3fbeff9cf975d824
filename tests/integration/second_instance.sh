#!/bin/sh
# second_instance.sh -- a second forkpoold on the same pidfile, or on the
# same socket, exits 1 with a message and does not disturb the first,
# which keeps serving on its socket; a stale socket file and a stale
# pidfile left by a dead daemon are replaced.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
fp_start -w 1
ino=$(stat -c %i "$FP_SOCK")

# Same pidfile, another socket.
fp_run "$FORKPOOLD" -d -w 1 -s "$T/s2.sock" -p "$FP_PIDFILE" -f "$FP_CONF"
assert_status 1 "second forkpoold on the same pidfile"
assert_grep "^forkpoold: $FP_PIDFILE: locked by pid $FP_PID\\b" \
    "$T/err" "second forkpoold on the same pidfile: message"
if [ -e "$T/s2.sock" ]; then
	fp_fail "the refused second forkpoold left its socket $T/s2.sock"
fi

# Same socket, another pidfile.
fp_run "$FORKPOOLD" -d -w 1 -s "$FP_SOCK" -p "$T/fp2.pid" -f "$FP_CONF"
assert_status 1 "second forkpoold on the same socket"
assert_grep "^forkpoold: $FP_SOCK: another forkpoold is listening on it" \
    "$T/err" "second forkpoold on the same socket: message"
if [ -e "$T/fp2.pid" ]; then
	fp_fail "the refused second forkpoold left its pidfile $T/fp2.pid"
fi

# Same socket and pidfile.
fp_run "$FORKPOOLD" -d -w 1 -s "$FP_SOCK" -p "$FP_PIDFILE" -f "$FP_CONF"
assert_status 1 "second forkpoold on the same socket and pidfile"
assert_grep "^forkpoold: [^ ]*: (locked by pid|another forkpoold is listening)" \
    "$T/err" "second forkpoold on the same socket and pidfile: message"

# The first one is untouched.
if ! fp_alive "$FP_PID"; then
	fp_fail "the first daemon died"
fi
assert_eq "$ino" "$(stat -c %i "$FP_SOCK" 2>/dev/null)" \
    "inode of the first daemon's socket"
assert_eq "$FP_PID" "$(tr -d ' \n' <"$FP_PIDFILE")" "pidfile content"
fp_cli ping
assert_status 0 "ping the first daemon"
assert_out pong "ping the first daemon"
fp_stop_clean

# A stale socket (nobody listening) and a stale pidfile (a dead PID, not
# locked) are replaced.
"$FP_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.close()' "$FP_SOCK"
if [ ! -S "$FP_SOCK" ]; then
	fp_fail "test bug: no stale socket"
fi
echo 2147483647 >"$FP_PIDFILE"
fp_start -w 1
assert_eq "$FP_PID" "$(tr -d ' \n' <"$FP_PIDFILE")" \
    "pidfile content after a stale one"
fp_cli ping
assert_out pong "ping after replacing a stale socket"
fp_stop_clean

# A daemon killed with SIGKILL leaves its socket and pidfile: the next one
# starts anyway, and the killed one's workers do not outlive it.
fp_start -w 2
fp_wait_nworkers 2
fp_record_workers
kill -KILL "$FP_PID"
fp_wait_exit || true
assert_eq 137 "$FP_STATUS" "exit status of the SIGKILLed daemon"
# PR_SET_PDEATHSIG: the workers die with it (asynchronously).
fp_check_no_workers 10
fp_start -w 1
fp_cli ping
assert_out pong "ping after a SIGKILLed predecessor"
fp_stop_clean
