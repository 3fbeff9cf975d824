#!/bin/sh
# daemon_usage.sh -- forkpoold's usage errors (an unknown option, -f
# without a file, an operand) exit 2 with the synopsis on stderr; -h
# prints it on stdout and exits 0; -w 0 is a usage or configuration error,
# never a start.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

: >"$FP_CONF"
# Usage errors exit 2 with the synopsis on stderr; -h prints it on stdout
# and exits 0.
fp_run "$FORKPOOLD" -h
assert_status 0 "forkpoold -h"
assert_grep 'forkpoold \[-dhnTVv\] \[-f file\] \[-p pidfile\] \[-s socket\] \[-w workers\]' \
    "$T/out" "forkpoold -h: the synopsis"
assert_empty "$T/err" "forkpoold -h: stderr"
fp_run "$FORKPOOLD" -Z
assert_status 2 "forkpoold -Z"
assert_grep '^usage: forkpoold ' "$T/err" "forkpoold -Z: the synopsis"
fp_run "$FORKPOOLD" -n -f
assert_status 2 "forkpoold -n -f (no file)"
fp_run "$FORKPOOLD" -n -f "$FP_CONF" extra
assert_status 2 "forkpoold with an operand"
# -w with a bad number: a usage error or a configuration error, not a start.
fp_run "$FORKPOOLD" -n -w 0 -f "$FP_CONF"
case $FP_RC in
1|2) ;;
*)	fp_show_output
	fp_fail "forkpoold -n -w 0: expected exit status 1 or 2, got $FP_RC" ;;
esac
