#!/bin/sh
# path_symlinks_user_dir.sh -- the per-user default directory
# $TMPDIR/forkpool-UID, planted by another user as a symbolic link to the
# victim's own directory (to re-point it later), is refused by forkpoold
# (-n, -d, daemon mode: nothing made through it) and by the client, which
# follows the link once it is the user's own or root's.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"
fp_other_user "to own files as other users"
uid=$(id -u nobody)

# The victim (nobody) runs a daemon in a directory of its own; the other
# user plants $TMPDIR/forkpool-UID as a link to it, to re-point it later.
mkdir -m 700 "$T/victimhome"
chown nobody "$T/victimhome"
udir=$T/tmp/forkpool-$uid
ln -s "$T/victimhome" "$udir"
chown -h "$ATT:$ATT" "$udir"
umsg="$udir: a symbolic link owned by uid $ATT, not by uid $uid or root"
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
