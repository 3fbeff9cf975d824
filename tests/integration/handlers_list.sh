#!/bin/sh
# handlers_list.sh -- `forkpool call forkpool.handlers' prints the names of
# the built-in handlers as one line of JSON; the test handlers (crash,
# hang, exit, violate) are listed only under -T.  Both lists, headed by the
# daemon's options, are compared with expected/handlers_list (diff -u).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

for opt in '' -T; do
	# shellcheck disable=SC2086 # no option or one
	fp_start -w 1 $opt
	fp_cli call forkpool.handlers
	assert_status 0 "forkpool.handlers (forkpoold $opt)"
	assert_empty "$T/err" "forkpool.handlers (forkpoold $opt): stderr"
	printf '# forkpoold -w 1%s\n' "${opt:+ $opt}" >>"$T/got"
	cat "$T/out" >>"$T/got"
	fp_stop_clean
done
assert_expected "$T/got"
