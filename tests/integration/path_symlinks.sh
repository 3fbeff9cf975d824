#!/bin/sh
# path_symlinks.sh -- the daemon's directories (socket, pidfile) and the
# client's default socket directory are reached from / through directories
# and symbolic links that only root or the user may change.  A symbolic
# link another user owns is refused, never followed: he could point it
# elsewhere later and receive the calls (as a link planted in a sticky
# /tmp, or in place of the per-user $TMPDIR/forkpool-UID).  So is a
# directory on the way that another user owns or that group or others may
# write to without the sticky bit.  A link of root's or the user's own is
# followed.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	fp_skip "needs root and setpriv (to own files as other users)"
fi
att=12345		# the other user: no entry in passwd needed
uid=$(id -u nobody)
chmod 711 "$T"
mkdir -m 1777 "$T/tmp"		# stands for /tmp
mkdir -m 755 "$T/rootdir"	# root's, e.g. /run/something


# ---- another user's symbolic link to root's directory ---------------------

ln -s "$T/rootdir" "$T/tmp/fpdemo"
chown -h "$att:$att" "$T/tmp/fpdemo"
linkmsg="$T/tmp/fpdemo: a symbolic link owned by uid $att, not by uid 0 or root"
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

# ---- directories on the way ------------------------------------------------

# Another user's directory, with a directory of root's in it: he may rename
# that one and put his own in its place.
mkdir -m 755 "$T/att" "$T/att/in"
chown "$att" "$T/att"
fp_refused "a directory on the way owned by another user" \
    "$T/att: owned by uid $att, not by uid 0 or root" \
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

# ---- the default per-user directory, a link another user planted ----------

# The victim (nobody) runs a daemon in a directory of its own; the other
# user plants $TMPDIR/forkpool-UID as a link to it, to re-point it later.
mkdir -m 700 "$T/victimhome"
chown nobody "$T/victimhome"
udir=$T/tmp/forkpool-$uid
ln -s "$T/victimhome" "$udir"
chown -h "$att:$att" "$udir"
umsg="$udir: a symbolic link owned by uid $att, not by uid $uid or root"
for opt in -n -d ''; do
	# shellcheck disable=SC2086
	fp_run_nobody "$FORKPOOLD" $opt -f /dev/null -w 1
	assert_status 1 "forkpoold ${opt:-(daemon mode)}, $udir another's link"
	assert_grep "^forkpoold: $umsg" "$T/err" \
	    "forkpoold ${opt:-(daemon mode)}, $udir another's link: message"
done
if [ -n "$(ls -A "$T/victimhome")" ]; then
	fp_fail "the daemon made files through another user's link"
fi
# The victim's daemon on its own directory, named: reachable by name.
fp_run_nobody "$FORKPOOLD" -f /dev/null -w 1 -s "$T/victimhome/forkpool.sock" \
    -p "$T/victimhome/forkpool.pid"
assert_status 0 "forkpoold as nobody in its own directory"
FP_SOCK=$T/victimhome/forkpool.sock
FP_PIDFILE=$T/victimhome/forkpool.pid
FP_PID=$(tr -d ' \n' <"$FP_PIDFILE")
FP_DAEMONS="$FP_DAEMONS $FP_PID"
FP_ALLD="$FP_ALLD $FP_PID"
# The client refuses the default path through the planted link ...
fp_run_nobody "$FORKPOOL" ping
assert_status 3 "forkpool ping, $udir another's link"
assert_grep "^forkpool: $umsg" "$T/err" \
    "forkpool ping, $udir another's link: message"
# ... and follows one of the user's own, or root's.
chown -h nobody:nogroup "$udir"
fp_run_nobody "$FORKPOOL" ping
assert_status 0 "forkpool ping, $udir the user's own link"
assert_out pong "forkpool ping, $udir the user's own link"
chown -h 0:0 "$udir"
fp_run_nobody "$FORKPOOL" ping
assert_out pong "forkpool ping, $udir root's link"
fp_stop_daemon TERM "$FP_PID"
chmod 700 "$T"
