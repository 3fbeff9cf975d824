#!/bin/sh
# paths_socket_too_long.sh -- a FORKPOOL_SOCKET longer than a socket path
# may be is an error for forkpool(1) and forkpoold (-n and -d), not
# another path; it is no error when -s names the socket.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"

long=$T/$(printf '%0150d' 0)/s.sock
fp_run env FORKPOOL_SOCKET="$long" "$FORKPOOL" ping
assert_status 3 "forkpool ping, FORKPOOL_SOCKET too long"
assert_grep "too long" "$T/err" "forkpool ping, FORKPOOL_SOCKET too long"
for opt in -n -d; do
	fp_run env FORKPOOL_SOCKET="$long" "$FORKPOOLD" "$opt" -f "$FP_CONF" \
	    -p none
	assert_status 1 "forkpoold $opt, FORKPOOL_SOCKET too long"
	assert_grep "^forkpoold: $long: socket path too long" "$T/err" \
	    "forkpoold $opt, FORKPOOL_SOCKET too long: message"
	assert_no_grep "configuration OK" "$T/out" \
	    "forkpoold $opt, FORKPOOL_SOCKET too long"
done
# Not an error when -s names the socket.
fp_run env FORKPOOL_SOCKET="$long" "$FORKPOOLD" -n -f "$FP_CONF" \
    -s "$T/s.sock"
assert_status 0 "forkpoold -n -s, FORKPOOL_SOCKET too long"
