#!/bin/sh
# unknown_names.sh -- an unknown user or group (user, group,
# socket-owner, socket-group, admin-group) is a configuration error naming
# it, from forkpoold -n and at start; group without user is an error too.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "unknown_names.sh must run as root (the names are resolved as root would)"
fi
# bad_name TEXT REASON_ERE: `TEXT' on line 2 is refused by -n and at start.
bad_name() {
	printf 'workers 1\n%s\n' "$1" >"$FP_CONF"
	fp_run "$FORKPOOLD" -n -f "$FP_CONF"
	assert_status 1 "forkpoold -n, $1"
	assert_grep "^forkpoold: $FP_CONF:2: $2" "$T/err" "forkpoold -n, $1"
	fp_run "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE"
	assert_status 1 "forkpoold start, $1"
	assert_grep "^forkpoold: $FP_CONF:2: $2" "$T/err" "forkpoold start, $1"
}
bad_name "user fp-no-such-user" "user fp-no-such-user: no such user"
bad_name "socket-owner fp-no-such-user" \
    "socket-owner fp-no-such-user: no such user"
bad_name "socket-group fp-no-such-group" \
    "socket-group fp-no-such-group: no such group"
bad_name "admin-group fp-no-such-group" \
    "admin-group fp-no-such-group: no such group"
bad_name "group nogroup" "group nogroup: given without user"
printf 'workers 1\nuser nobody\ngroup fp-no-such-group\n' >"$FP_CONF"
fp_run "$FORKPOOLD" -n -f "$FP_CONF"
assert_status 1 "forkpoold -n, an unknown group"
assert_grep "^forkpoold: $FP_CONF:3: group fp-no-such-group: no such group" \
    "$T/err" "forkpoold -n, an unknown group"
fp_check_no_workers 0
