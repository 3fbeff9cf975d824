#!/bin/sh
# startup_paths.sh -- what the daemon makes at start and removes at exit.
# Under umask 077 the socket directory still gets mode 0750 and the
# socket-group, and the pidfile 0644.  A failed start removes the
# directories it made.  forkpoold -n refuses what a start refuses: a file
# at the socket path that is not a socket, a pidfile path that is a
# symbolic link or not a regular file, a socket-group a non-root daemon is
# not in.  At exit the daemon removes its socket only if the path is still
# its own, not another daemon's.  -s "" is an empty socket path.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	fp_skip "needs root and setpriv (socket-group, a non-root daemon)"
fi
chmod 711 "$T"
ngid=$(getent group nogroup | cut -d: -f3)

# ---- umask 077 --------------------------------------------------------------

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
: >"$FP_CONF"
FP_SOCK=$T/s.sock
FP_PIDFILE=$T/fp.pid

# ---- a failed start leaves no directory behind -----------------------------

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

# ---- the socket is removed at exit only if it is still ours ---------------

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
FP_PIDFILE=$T/fp.pid

# ---- -n refuses what a start refuses --------------------------------------

: >"$T/file"
fp_refused "a file in the socket's place" "$T/file: exists and is not a socket" \
    -s "$T/file" -p none
assert_eq 0 "$(stat -c %s "$T/file")" "the file in the socket's place"
echo precious >"$T/victim"
ln -s "$T/victim" "$T/link.pid"
fp_refused "a symbolic link at the pidfile path" \
    "$T/link.pid: a symbolic link: refusing" -s "$FP_SOCK" -p "$T/link.pid"
assert_eq precious "$(cat "$T/victim")" "the symbolic link's target"
mkfifo "$T/fifo.pid"
fp_refused "a fifo at the pidfile path" "$T/fifo.pid: not a regular file" \
    -s "$FP_SOCK" -p "$T/fifo.pid"
if [ -e "$FP_SOCK" ]; then
	fp_fail "a start refused for its pidfile left its socket"
fi
# A non-root daemon cannot give its socket to a group it is not in.
printf 'socket-group root\n' >"$T/sgroot.conf"
mkdir -m 1777 "$T/tmp"
for opt in -n -d; do
	fp_run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$FORKPOOLD" "$opt" -f "$T/sgroot.conf" -s "$T/tmp/nb/s.sock" \
	    -p none
	assert_status 1 "forkpoold $opt as nobody, socket-group root"
	assert_grep "^forkpoold: socket-group root: not a group of uid" \
	    "$T/err" "forkpoold $opt as nobody, socket-group root: message"
	if [ -e "$T/tmp/nb" ]; then
		fp_fail "forkpoold $opt as nobody, socket-group root: left" \
		    "$T/tmp/nb"
	fi
done

# ---- -s "" ------------------------------------------------------------------

for opt in -n -d; do
	fp_run "$FORKPOOLD" "$opt" -f "$FP_CONF" -s "" -p none
	assert_status 2 "forkpoold $opt -s \"\""
	assert_grep "^forkpoold: -s: empty socket path\$" "$T/err" \
	    "forkpoold $opt -s \"\": message"
done
chmod 700 "$T"
