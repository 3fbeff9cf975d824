#!/bin/sh
# conn_limits_kept_slots.sh -- with max-connections 20 and no per-user
# limit (forkpool.conf(5)), nobody gets the 16 slots that are not kept for
# root and the daemon's user, and root's `forkpool ping' and `forkpool
# reload' still work.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_nobody_reach "its clients run as nobody"

printf 'workers 1\nsocket-mode 0666\nmax-connections 20\n' >"$FP_CONF"
fp_start
fp_held 25
assert_eq 16 "$HELD" "nobody's connections under max-connections 20"
fp_cli ping
assert_out pong "root's ping while nobody holds every slot not kept"
fp_cli reload
assert_status 0 "root's reload while nobody holds every slot not kept"
fp_release
fp_stop_clean
