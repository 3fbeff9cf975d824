#!/bin/sh
# cli_no_daemon.sh -- forkpool(1) with no daemon on its socket (given by
# -s or by FORKPOOL_SOCKET) exits 3 with a message on stderr.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_run env -u FORKPOOL_SOCKET "$FORKPOOL" -s "$T/nothing.sock" ping
assert_status 3 "ping with no daemon"
assert_grep . "$T/err" "ping with no daemon: message on stderr"
assert_empty "$T/out" "ping with no daemon: stdout"
fp_run env FORKPOOL_SOCKET="$T/nothing.sock" "$FORKPOOL" call echo 1
assert_status 3 "call with no daemon (FORKPOOL_SOCKET)"
assert_grep . "$T/err" "call with no daemon: message on stderr"
