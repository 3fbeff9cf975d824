#!/bin/sh
# paths.sh -- the daemon's pidfile cannot be hijacked: a symbolic link (or
# a second hard link) at the pidfile path is refused and what it points to
# is left untouched.  (Also paths_socket_dir.sh, paths_user_dir.sh,
# paths_default_pidfile.sh, paths_socket_too_long.sh.)
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
