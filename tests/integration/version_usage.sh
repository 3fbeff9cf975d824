#!/bin/sh
# version_usage.sh -- `forkpoold -V' and `forkpool -V' print the version
# (FP_VERSION of include/forkpool.h) and exit 0; -h prints the usage on
# stdout and exits 0, a bad option prints it on stderr and exits 2.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_version
for prog in forkpoold forkpool; do
	if [ "$prog" = forkpoold ]; then
		bin=$FORKPOOLD
	else
		bin=$FORKPOOL
	fi
	fp_run "$bin" -V
	assert_status 0 "$prog -V"
	assert_out "$prog $version" "$prog -V"
	assert_empty "$T/err" "$prog -V: stderr"
	fp_run "$bin" -h
	assert_status 0 "$prog -h"
	assert_grep "^usage: $prog " "$T/out" "$prog -h: usage on stdout"
	assert_empty "$T/err" "$prog -h: stderr"
	fp_run "$bin" -Z
	assert_status 2 "$prog -Z"
	assert_grep "^usage: $prog " "$T/err" "$prog -Z: usage on stderr"
	assert_empty "$T/out" "$prog -Z: stdout"
done
