#!/bin/sh
# startup_paths_empty_socket.sh -- -s "" is an empty socket path: a usage
# error (exit 2) for forkpoold -n and -d alike.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"

for opt in -n -d; do
	fp_run "$FORKPOOLD" "$opt" -f "$FP_CONF" -s "" -p none
	assert_status 2 "forkpoold $opt -s \"\""
	assert_grep "^forkpoold: -s: empty socket path\$" "$T/err" \
	    "forkpoold $opt -s \"\": message"
done
