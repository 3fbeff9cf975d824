#!/bin/sh
# socket_dir_unwritable.sh -- a daemon run as nobody whose socket directory
# it may not write to refuses to start with `forkpoold: DIR: Permission
# denied' and exit status 1, in daemon mode as with -d.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	fp_skip "needs root and setpriv (the daemon runs as nobody)"
fi
FP_CMD_TIMEOUT=15
mkdir "$T/ro"
chmod 755 "$T" "$T/ro"
fp_run setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$FORKPOOLD" -f /dev/null -s "$T/ro/s.sock" -p none
assert_status 1 "socket directory not writable (daemon mode)"
assert_grep "^forkpoold: $T/ro: Permission denied" "$T/err" \
    "socket directory not writable (daemon mode): message"
fp_run setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$FORKPOOLD" -d -f /dev/null -s "$T/ro/s.sock" -p none
assert_status 1 "socket directory not writable (-d)"
assert_grep "^forkpoold: $T/ro: Permission denied" "$T/err" \
    "socket directory not writable (-d): message"
if [ -e "$T/ro/s.sock" ]; then
	fp_fail "a socket was left in the unwritable directory"
fi
chmod 700 "$T"
