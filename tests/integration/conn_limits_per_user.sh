#!/bin/sh
# conn_limits_per_user.sh -- one user cannot shut the others out with
# connections (forkpool.conf(5) max-connections-per-user): on a 0666
# socket, with max-connections 20 and max-connections-per-user 10, nobody
# holding connections gets 10 and no more, while root still connects; the
# refusal is logged.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_nobody_reach "its clients run as nobody"

printf 'workers 1\nsocket-mode 0666\nmax-connections 20\nmax-connections-per-user 10\n' \
    >"$FP_CONF"
fp_start
fp_held 12
assert_eq 10 "$HELD" "nobody's connections under max-connections-per-user 10"
fp_cli ping
assert_out pong "root's ping while nobody holds its 10"
fp_release
assert_grep 'event=conn_refused msg="max-connections-per-user reached"' \
    "$FP_LOG" "the refusal is logged"
fp_stop_clean
