#!/bin/sh
# stream_nohiredis.sh -- hiredis is an optional dependency: a forkpoold
# built without it (HIREDIS=no, as on a machine without libhiredis-dev)
# links no hiredis, runs as before, shows an empty "sources" array, and
# refuses a `source' block as a configuration error that says why, at
# forkpoold -n and at start-up.
# fp-once: it builds its own forkpoold, whatever build the suite tests.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v make >/dev/null 2>&1 || fp_skip "make is missing"
B=$T/nohiredis
if ! make -s -C "$FP_ROOT" -j2 B="$B" HIREDIS=no OPT=-O0 \
    "$B/forkpoold" >"$T/make.log" 2>&1; then
	tail -n 30 "$T/make.log" >&2
	fp_fail "make HIREDIS=no did not build forkpoold"
fi
if ldd "$B/forkpoold" | grep -q hiredis; then
	fp_fail "forkpoold built with HIREDIS=no links hiredis"
fi

cat >"$T/src.conf" <<'CONF'
workers 1
source "jobs" redis {
	stream "{jobs}:tasks"
}
CONF
fp_run "$B/forkpoold" -n -f "$T/src.conf" -s "$T/x.sock" -p none
assert_status 1 "forkpoold -n with a source block, built without hiredis"
assert_grep 'src.conf:2: source jobs: this forkpoold was built without Redis support \(hiredis' \
    "$T/err" "the reason, with the line"

# Started with it: refused the same way, nothing left behind.
fp_run "$B/forkpoold" -d -f "$T/src.conf" -s "$T/y.sock" -p none
assert_status 1 "forkpoold with a source block, built without hiredis"
assert_grep 'built without Redis support' "$T/err" "start-up error"
[ ! -e "$T/y.sock" ] || fp_fail "a socket was left by a refused start"

# Without a source block it is the daemon it was.
FORKPOOLD=$B/forkpoold
printf 'workers 1\n' >"$FP_CONF"
fp_start -T
assert_eq '[]' "$(fp_stat sources)" "forkpool.stats sources"
fp_cli call echo '["x"]'
assert_status 0 "a call"
assert_out '["x"]' "a call's result"
fp_stop_clean
