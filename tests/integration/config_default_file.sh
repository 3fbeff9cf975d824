#!/bin/sh
# config_default_file.sh -- forkpoold -n without -f and without a default
# configuration file (/etc/forkpool.conf) is not an error: the built-in
# defaults, `configuration OK', exit 0.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ -e /etc/forkpool.conf ]; then
	fp_skip "/etc/forkpool.conf exists here"
fi
fp_run "$FORKPOOLD" -n
assert_status 0 "forkpoold -n without /etc/forkpool.conf"
assert_out "configuration OK" "forkpoold -n without /etc/forkpool.conf"
