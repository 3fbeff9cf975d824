#!/bin/sh
# config_sample.sh -- `forkpoold -nv' of the sample configuration
# src/dist/forkpool.conf (installed as forkpool.conf.sample) prints every
# setting, defaults included, then `configuration OK', exits 0 and prints
# nothing on stderr; stdout is compared with expected/config_sample
# (diff -u).  Run from the top directory, without this test's
# FORKPOOL_SOCKET (which overrides the file), so that the output is the
# same everywhere.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cd "$FP_INTEG/../.."
fp_run env -u FORKPOOL_SOCKET "$FORKPOOLD" -nv -f src/dist/forkpool.conf
assert_status 0 "forkpoold -nv -f src/dist/forkpool.conf"
assert_empty "$T/err" "forkpoold -nv -f src/dist/forkpool.conf: stderr"
assert_expected "$T/out"
