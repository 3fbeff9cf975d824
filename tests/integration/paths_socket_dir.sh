#!/bin/sh
# paths_socket_dir.sh -- the socket's directory is refused, by the daemon
# and by forkpoold -n, when another user owns it or when group or others
# may write to it without the sticky bit; a sticky one is accepted; one
# the daemon makes is mode 0700.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"

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
