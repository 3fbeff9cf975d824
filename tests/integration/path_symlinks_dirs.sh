#!/bin/sh
# path_symlinks_dirs.sh -- a directory on the way to the socket that another
# user owns, or that its group or others may write to without the sticky
# bit, is refused (he may rename what is in it and put his own in its
# place); a sticky directory (like /tmp) on the way is fine.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"
fp_other_user "to own files as other users"

# Another user's directory, with a directory of root's in it: he may rename
# that one and put his own in its place.
mkdir -m 755 "$T/att" "$T/att/in"
chown "$ATT" "$T/att"
fp_refused "a directory on the way owned by another user" \
    "$T/att: owned by uid $ATT, not by uid 0 or root" \
    -s "$T/att/in/s.sock" -p none
mkdir -m 775 "$T/gw"
mkdir -m 755 "$T/gw/in"
fp_refused "a directory on the way writable by its group" \
    "$T/gw: writable by its group \\(mode 0775\\) without the sticky bit" \
    -s "$T/gw/in/s.sock" -p none
# Sticky (like /tmp) is fine on the way.
mkdir -m 755 "$T/tmp/in"
FP_SOCK=$T/tmp/in/s.sock
fp_start -w 1
fp_run "$FORKPOOL" -s "$FP_SOCK" ping
assert_out pong "ping, socket under a sticky directory"
fp_stop_clean
FP_SOCK=$T/s.sock
