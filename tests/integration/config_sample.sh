#!/bin/sh
# config_sample.sh -- `forkpoold -nv' of the sample configuration
# src/dist/forkpool.conf (installed as forkpool.conf.sample) prints every
# setting, defaults included, then `configuration OK', exits 0 and prints
# nothing on stderr; stdout is compared with expected/config_sample
# (diff -u).  The sample leaves three defaults that depend on the machine:
# workers (the processors online: printed as NPROC), socket and pidfile
# (root's /run/forkpool/, without FORKPOOL_SOCKET and XDG_RUNTIME_DIR; the
# test runs as root).  Run from the top directory so that the file's name
# is the same everywhere.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "the default socket and pidfile printed are root's"
fi
nproc=$(getconf _NPROCESSORS_ONLN)
cd "$FP_INTEG/../.."
fp_run env -u FORKPOOL_SOCKET -u XDG_RUNTIME_DIR "$FORKPOOLD" -nv \
    -f src/dist/forkpool.conf
assert_status 0 "forkpoold -nv -f src/dist/forkpool.conf"
assert_empty "$T/err" "forkpoold -nv -f src/dist/forkpool.conf: stderr"
sed "s/^workers $nproc\$/workers NPROC/" "$T/out" >"$T/got"
assert_expected "$T/got"
