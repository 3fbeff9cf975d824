#!/bin/sh
# startup_paths_umask.sh -- under umask 077 the socket directory the daemon
# makes still gets mode 0750 and the socket-group (a member of which
# reaches the socket), its pidfile directory 0755 and the pidfile 0644.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"
fp_need_root "socket-group, a client in it"
chmod 711 "$T"
ngid=$(getent group nogroup | cut -d: -f3)

printf 'socket-group nogroup\n' >"$FP_CONF"
FP_SOCK=$T/run/s.sock
FP_PIDFILE=$T/piddir/s.pid
(umask 077 && fp_start_daemon -w 1 && echo "$FP_PID" >"$T/umask.pid")
FP_PID=$(cat "$T/umask.pid")
FP_DAEMONS="$FP_DAEMONS $FP_PID"
FP_ALLD="$FP_ALLD $FP_PID"
assert_eq "750 $ngid" "$(stat -c '%a %g' "$T/run")" \
    "socket directory made under umask 077 (mode, group)"
assert_eq "755" "$(stat -c '%a' "$T/piddir")" \
    "pidfile directory made under umask 077"
assert_eq "644" "$(stat -c '%a' "$FP_PIDFILE")" "pidfile made under umask 077"
# A member of the socket-group reaches the socket.
fp_run setpriv --reuid=12345 --regid=12345 --groups="$ngid" \
    "$FORKPOOL" -s "$FP_SOCK" ping
assert_status 0 "ping by a member of the socket-group"
assert_out pong "ping by a member of the socket-group"
fp_stop_daemon TERM "$FP_PID"
