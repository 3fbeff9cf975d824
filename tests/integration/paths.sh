#!/bin/sh
# paths.sh -- the daemon's paths cannot be hijacked.  A symbolic link (or
# a second hard link) at the pidfile path is refused and what it points to
# is left untouched.  The socket's directory is refused, by the daemon and
# by forkpoold -n, when another user owns it or when group or others may
# write to it without the sticky bit; one the daemon makes is mode 0700.
# (The default per-user directory: paths_user_dir.sh.)  A
# FORKPOOL_SOCKET that is too long is an error, not another path.  Two
# daemons on two sockets of one directory each get their own default
# pidfile (the socket path with .pid for .sock).
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"


# ---- the pidfile ----------------------------------------------------------

echo precious >"$T/victim"
ln -s "$T/victim" "$FP_PIDFILE"
fp_refused_start "a symbolic link at the pidfile path" \
    "$FP_PIDFILE: a symbolic link: refusing" -s "$FP_SOCK" -p "$FP_PIDFILE"
assert_eq precious "$(cat "$T/victim")" "the symbolic link's target"
fp_run "$FORKPOOLD" -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE"
assert_status 1 "a symbolic link at the pidfile path (daemon mode)"
assert_grep "^forkpoold: $FP_PIDFILE: a symbolic link" "$T/err" \
    "a symbolic link at the pidfile path (daemon mode): message"
assert_eq precious "$(cat "$T/victim")" "the symbolic link's target"
if [ -e "$FP_SOCK" ]; then
	fp_fail "a start refused for its pidfile left its socket"
fi
rm "$FP_PIDFILE"
ln "$T/victim" "$FP_PIDFILE"
fp_refused_start "a hard link at the pidfile path" \
    "$FP_PIDFILE: has other hard links" -s "$FP_SOCK" -p "$FP_PIDFILE"
assert_eq precious "$(cat "$T/victim")" "the hard link's other name"
rm "$FP_PIDFILE"

# ---- the socket's directory -------------------------------------------------

# dir_refused WHAT DIR PATTERN: the daemon and forkpoold -n refuse a socket
# in DIR with `forkpoold: DIR: PATTERN'.
dir_refused() {
	fp_refused_start "$1" "$2: $3" -s "$2/s.sock" -p none
	if [ -e "$2/s.sock" ]; then
		fp_fail "$1: a socket was made"
	fi
	fp_run "$FORKPOOLD" -n -f "$FP_CONF" -s "$2/s.sock" -p none
	assert_status 1 "$1 (-n)"
	assert_grep "^forkpoold: $2: $3" "$T/err" "$1 (-n): message"
	assert_no_grep "configuration OK" "$T/out" "$1 (-n)"
}
mkdir "$T/nobody" "$T/open" "$T/group" "$T/sticky"
chown nobody "$T/nobody"
chmod 0777 "$T/open"
chmod 0770 "$T/group"
chmod 1777 "$T/sticky"
dir_refused "a socket directory owned by another user" "$T/nobody" \
    "owned by uid $(id -u nobody), not by uid 0 or root"
dir_refused "a socket directory writable by others" "$T/open" \
    "writable by others \\(mode 0777\\) without the sticky bit"
dir_refused "a socket directory writable by its group" "$T/group" \
    "writable by its group \\(mode 0770\\) without the sticky bit"
: >"$T/file"
fp_refused_start "a socket directory that is a file" "$T/file: not a directory" \
    -s "$T/file/s.sock" -p none
fp_run "$FORKPOOLD" -n -f "$FP_CONF" -s "$T/file/s.sock" -p none
assert_status 1 "forkpoold -n: a socket directory that is a file"
assert_grep "^forkpoold: $T/file: not a directory" "$T/err" \
    "forkpoold -n: a socket directory that is a file: message"
fp_refused_start "a file in the socket's place" "$T/file: exists and is not a socket" \
    -s "$T/file" -p none
assert_eq 0 "$(stat -c %s "$T/file")" "the file in the socket's place"
fp_run "$FORKPOOLD" -n -f "$FP_CONF" -s "$T/nodir/sub/s.sock"
assert_status 1 "forkpoold -n: a socket directory that cannot be made"
assert_grep "^forkpoold: $T/nodir/sub: missing, and it cannot be created" \
    "$T/err" "forkpoold -n: a socket directory that cannot be made: message"

# Accepted: a sticky directory (like /tmp), and a missing one, made 0700.
FP_SOCK=$T/sticky/s.sock
FORKPOOL_SOCKET=$FP_SOCK
fp_start -w 1
fp_cli ping
assert_out pong "ping, socket in a sticky directory"
fp_stop_clean
FP_SOCK=$T/new/s.sock
FORKPOOL_SOCKET=$FP_SOCK
fp_start -w 1
assert_eq 700 "$(stat -c %a "$T/new")" "mode of the socket directory made"
fp_cli ping
assert_out pong "ping, socket in a directory the daemon made"
fp_stop_clean

# ---- default pidfiles follow the socket -----------------------------------

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

# ---- FORKPOOL_SOCKET too long ---------------------------------------------

long=$T/$(printf '%0150d' 0)/s.sock
fp_run env FORKPOOL_SOCKET="$long" "$FORKPOOL" ping
assert_status 3 "forkpool ping, FORKPOOL_SOCKET too long"
assert_grep "too long" "$T/err" "forkpool ping, FORKPOOL_SOCKET too long"
for opt in -n -d; do
	fp_run env FORKPOOL_SOCKET="$long" "$FORKPOOLD" "$opt" -f "$FP_CONF" \
	    -p none
	assert_status 1 "forkpoold $opt, FORKPOOL_SOCKET too long"
	assert_grep "^forkpoold: $long: socket path too long" "$T/err" \
	    "forkpoold $opt, FORKPOOL_SOCKET too long: message"
	assert_no_grep "configuration OK" "$T/out" \
	    "forkpoold $opt, FORKPOOL_SOCKET too long"
done
# Not an error when -s names the socket.
fp_run env FORKPOOL_SOCKET="$long" "$FORKPOOLD" -n -f "$FP_CONF" \
    -s "$T/s.sock"
assert_status 0 "forkpoold -n -s, FORKPOOL_SOCKET too long"
