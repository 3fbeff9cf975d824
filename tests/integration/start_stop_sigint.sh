#!/bin/sh
# start_stop_sigint.sh -- forkpoold -d -p none writes no pidfile, and
# SIGINT is a graceful shutdown as SIGTERM is: exit 0, no socket, no
# worker left.  The daemon is started with SIGINT at its default
# disposition (env --default-signal), as an operator's shell starts it.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ -z "$FP_SIGDFL" ]; then
	fp_skip "env --default-signal unavailable (coreutils 9.0 or later):" \
	    "a background daemon would ignore SIGINT"
fi
fp_start -w 1 -p none
if [ -e "$FP_PIDFILE" ] || [ -e "$T/none" ]; then
	fp_fail "-p none wrote a pidfile"
fi
fp_cli ping
assert_out pong "forkpool ping (-p none)"
fp_record_workers
kill -INT "$FP_PID"
FP_STATUS=0
fp_wait_exit || true
assert_eq 0 "$FP_STATUS" "daemon exit status after SIGINT"
fp_check_no_workers
if [ -e "$FP_SOCK" ]; then
	fp_fail "socket left after SIGINT"
fi
