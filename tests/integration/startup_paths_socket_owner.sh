#!/bin/sh
# startup_paths_socket_owner.sh -- at exit the daemon removes its socket
# only if the path is still its own: a daemon whose socket path another
# daemon took over leaves that daemon's socket in place.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"

fp_start -w 1
pid_a=$FP_PID
rm "$FP_SOCK"
FP_PIDFILE=$T/b.pid
fp_start -w 1
pid_b=$FP_PID
FP_STATUS=0
fp_stop "$pid_a" || true
assert_eq 0 "$FP_STATUS" "exit status of the daemon whose socket was removed"
if [ ! -S "$FP_SOCK" ]; then
	fp_fail "stopping a daemon removed another daemon's socket"
fi
fp_run "$FORKPOOL" -s "$FP_SOCK" ping
assert_out pong "ping the second daemon after the first stopped"
fp_stop_clean "$pid_b"
