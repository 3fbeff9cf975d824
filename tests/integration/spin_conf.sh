#!/bin/sh
# spin_conf.sh -- `spin auto|off|MICROSECONDS' (forkpool.conf(5)): the
# default is auto, off and 0 are off, a number is kept, anything else or
# beyond 10000 is rejected with FILE:LINE:; forkpoold -nv shows it.  A
# daemon with `spin off' answers and never says it spins (the debug line
# `spin') and forkpool.stats says nobody may spin (spin_us and
# workers_spinning 0); a reload takes `spin 50' and refuses `spin fast', keeping the
# daemon as it was.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# shown TEXT EXPECTED: a file with the line TEXT is accepted and
# forkpoold -nv prints the line EXPECTED.
shown() {
	printf '%s\n' "$1" >"$T/c.conf"
	fp_run "$FORKPOOLD" -nv -f "$T/c.conf" -s "$T/x.sock" -p none
	assert_status 0 "forkpoold -nv: $1"
	assert_grep "^$2\$" "$T/out" "forkpoold -nv: $1"
}
# refused TEXT: a file whose line 2 is TEXT is rejected.
refused() {
	printf 'workers 2\n%s\n' "$1" >"$T/c.conf"
	fp_run "$FORKPOOLD" -n -f "$T/c.conf" -s "$T/x.sock" -p none
	assert_status 1 "forkpoold -n: $1"
	assert_grep "^forkpoold: $T/c.conf:2: .*spin" "$T/err" \
	    "forkpoold -n: $1: message"
	assert_no_grep "configuration OK" "$T/out" "forkpoold -n: $1"
}

fp_run "$FORKPOOLD" -nv -f /dev/null -s "$T/x.sock" -p none
assert_grep '^spin auto$' "$T/out" "the default"
shown 'spin off' 'spin off'
shown 'spin 0' 'spin off'
shown 'spin auto' 'spin auto'
shown 'spin 1' 'spin 1'
shown 'spin 250' 'spin 250'
shown 'spin 10000' 'spin 10000'
refused 'spin 10001'
refused 'spin fast'
refused 'spin -1'
refused 'spin 5x'
refused 'spin 99999999999999999999999'
refused 'spin'

printf 'spin off\nlog-level debug\n' >"$FP_CONF"
fp_start -w 2
fp_cli bench -d 1 -n 2000
assert_status 0 "forkpool bench -d 1 with spin off"
assert_grep 'tasks=2000 errors=0 ' "$T/out" "the answers with spin off"
fp_call_ok '"x"' "echo with spin off" echo '"x"'
# forkpool.stats says who may spin: nobody.
[ "$(fp_stat spin_us)" = 0 ] || fp_fail "spin_us $(fp_stat spin_us) with spin off"
[ "$(fp_stat workers_spinning)" = 0 ] ||
    fp_fail "workers_spinning $(fp_stat workers_spinning) with spin off"
printf 'spin 50\nlog-level debug\n' >"$FP_CONF"
fp_cli reload
assert_status 0 "forkpool reload with spin 50"
fp_call_ok '"y"' "echo after spin 50" echo '"y"'
printf 'spin fast\nlog-level debug\n' >"$FP_CONF"
fp_cli reload
assert_status 1 "forkpool reload with spin fast"
assert_grep "^forkpool: bad_request: .*:1: .*spin" "$T/err" \
    "forkpool reload with spin fast"
fp_call_ok '"z"' "echo after a refused reload" echo '"z"'
fp_stop_clean
# With spin off, nobody was ever allowed to spin: no `spin' line before
# the reload to 50 (after it, one if a processor is free).
sed -n '/^=== /,$p' "$FP_LOG" | sed '/event=reload /q' >"$T/before"
assert_grep 'event=reload ' "$T/before" "the reload in the log"
assert_no_grep 'event=spin ' "$T/before" "a spin line with spin off"
