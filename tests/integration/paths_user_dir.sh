#!/bin/sh
# paths_user_dir.sh -- the default per-user directory ($TMPDIR/forkpool-UID)
# cannot be hijacked: made first by another user, the daemon (daemon mode
# and -d) and forkpool(1) refuse it; the user's own but writable by others,
# forkpool(1) and forkpoold -n refuse it; made by the daemon it is mode
# 0700 and the user's, and daemon and client agree on the socket in it.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	fp_skip "needs root and setpriv (the user is nobody)"
fi
FP_CMD_TIMEOUT=15
uid=$(id -u nobody)
chmod 711 "$T"
mkdir -m 1777 "$T/tmp"
udir=$T/tmp/forkpool-$uid

# Made first by another user (uid 1): the victim's daemon and client
# refuse it.
mkdir -m 755 "$udir"
chown 1 "$udir"
for opt in -d ''; do
	# shellcheck disable=SC2086
	fp_run_nobody "$FORKPOOLD" $opt -f /dev/null
	assert_status 1 "forkpoold ${opt:-(daemon mode)}, $udir owned by uid 1"
	assert_grep "^forkpoold: $udir: owned by uid 1," "$T/err" \
	    "forkpoold ${opt:-(daemon mode)}, $udir owned by uid 1: message"
done
fp_run_nobody "$FORKPOOL" ping
assert_status 3 "forkpool ping, $udir owned by uid 1"
assert_grep "^forkpool: $udir: owned by uid 1, not by you" "$T/err" \
    "forkpool ping, $udir owned by uid 1: message"
# The user's own but open to others.
chown nobody "$udir"
chmod 777 "$udir"
fp_run_nobody "$FORKPOOL" ping
assert_status 3 "forkpool ping, $udir mode 0777"
assert_grep "^forkpool: $udir: writable by others" "$T/err" \
    "forkpool ping, $udir mode 0777: message"
fp_run_nobody "$FORKPOOLD" -n -f /dev/null
assert_status 1 "forkpoold -n, $udir mode 0777"

# Made by the daemon: 0700, the user's; both ends agree on the path.
rmdir "$udir"
fp_run_nobody "$FORKPOOLD" -f /dev/null -w 1
assert_status 0 "forkpoold as nobody, default socket"
pid=$(tr -d ' \n' <"$udir/forkpool.pid")
FP_DAEMONS="$FP_DAEMONS $pid"
FP_ALLD="$FP_ALLD $pid"
assert_eq "700 $uid" "$(stat -c '%a %u' "$udir")" "the per-user directory"
fp_run_nobody "$FORKPOOL" ping
assert_status 0 "forkpool ping as nobody, default socket"
assert_out pong "forkpool ping as nobody, default socket"
FP_SOCK=$udir/forkpool.sock
FP_PIDFILE=$udir/forkpool.pid
fp_stop_daemon TERM "$pid"
chmod 700 "$T"
