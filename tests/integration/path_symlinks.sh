#!/bin/sh
# path_symlinks.sh -- the daemon's directories (socket, pidfile) are
# reached from / through directories and symbolic links that only root or
# the user may change.  A symbolic link another user owns is refused,
# never followed: he could point it elsewhere later and receive the calls
# (as a link planted in a sticky /tmp); nothing is made through it.  The
# same link of root's is followed.  (Directories on the way:
# path_symlinks_dirs.sh; the client's default socket directory:
# path_symlinks_user_dir.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"
fp_other_user "to own files as other users"
mkdir -m 755 "$T/rootdir"	# root's, e.g. /run/something

ln -s "$T/rootdir" "$T/tmp/fpdemo"
chown -h "$ATT:$ATT" "$T/tmp/fpdemo"
linkmsg="$T/tmp/fpdemo: a symbolic link owned by uid $ATT, not by uid 0 or root"
fp_refused "socket directory: another user's link" "$linkmsg" \
    -s "$T/tmp/fpdemo/s.sock" -p none
fp_refused "socket directory under another user's link" "$linkmsg" \
    -s "$T/tmp/fpdemo/sub/s.sock" -p none
fp_refused "pidfile directory: another user's link" "$linkmsg" \
    -s "$FP_SOCK" -p "$T/tmp/fpdemo/fp.pid"
if [ -n "$(ls -A "$T/rootdir")" ]; then
	fp_fail "something was made through another user's link:" \
	    "$(ls -A "$T/rootdir")"
fi
if [ -e "$FP_SOCK" ]; then
	fp_fail "a start refused for its pidfile left its socket"
fi

# The same link, root's: followed.
chown -h 0:0 "$T/tmp/fpdemo"
FP_SOCK=$T/tmp/fpdemo/s.sock
FP_PIDFILE=$T/tmp/fpdemo/fp.pid
fp_start -w 1
assert_eq "$FP_PID" "$(tr -d ' \n' <"$T/rootdir/fp.pid")" \
    "pidfile made through root's link"
fp_run "$FORKPOOL" -s "$FP_SOCK" ping
assert_out pong "ping through root's link"
fp_stop_clean
FP_SOCK=$T/s.sock
FP_PIDFILE=$T/fp.pid
