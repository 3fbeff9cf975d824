#!/bin/sh
# paths_default_pidfile.sh -- without -p the pidfile follows the socket
# (the socket path with .pid for .sock): two daemons on two sockets of one
# directory each get their own and stop cleanly.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"

fp_run "$FORKPOOLD" -nv -f "$FP_CONF" -s "$T/two/x.sock"
assert_status 0 "forkpoold -nv -s two/x.sock"
assert_grep "^pidfile \"$T/two/x.pid\"\$" "$T/out" \
    "default pidfile of socket two/x.sock"
fp_run "$FORKPOOLD" -nv -f "$FP_CONF" -s "$T/two/y"
assert_grep "^pidfile \"$T/two/y.pid\"\$" "$T/out" \
    "default pidfile of socket two/y"
FP_NO_P=1
FP_SOCK=$T/two/x.sock
FP_PIDFILE=$T/two/x.pid
fp_start_daemon -w 1
pid_x=$FP_PID
FP_SOCK=$T/two/y.sock
FP_PIDFILE=$T/two/y.pid
fp_start_daemon -w 1
pid_y=$FP_PID
if [ "$pid_x" = "$pid_y" ]; then
	fp_fail "two daemons, one pid"
fi
assert_eq "$pid_x" "$(tr -d ' \n' <"$T/two/x.pid")" "pidfile of socket x"
assert_eq "$pid_y" "$(tr -d ' \n' <"$T/two/y.pid")" "pidfile of socket y"
fp_run "$FORKPOOL" -s "$T/two/x.sock" ping
assert_out pong "ping the daemon on x"
fp_run "$FORKPOOL" -s "$T/two/y.sock" ping
assert_out pong "ping the daemon on y"
fp_stop_daemon TERM "$pid_y"
FP_SOCK=$T/two/x.sock
FP_PIDFILE=$T/two/x.pid
fp_stop_daemon TERM "$pid_x"
unset FP_NO_P
