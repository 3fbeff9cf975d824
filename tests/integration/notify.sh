#!/bin/sh
# notify.sh -- `forkpool notify' sends a notification and exits 0 with
# nothing on stdout, for a known method and for one the daemon does not
# know (which it ignores); the connection's end does not disturb the
# daemon, which still answers a ping.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2

fp_cli notify echo 1
assert_status 0 "notify echo 1"
assert_empty "$T/out" "notify: stdout"
assert_empty "$T/err" "notify: stderr"
fp_cli notify no.such.notification
assert_status 0 "notify of an unknown method"
assert_empty "$T/out" "notify of an unknown method: stdout"
fp_cli ping
assert_out pong "ping after notifications"
fp_stop_clean
