#!/bin/sh
# example_serialise.sh -- tools/node/examples/serialise.js, serialisation off
# the event loop: json.encode of objects of 1 KB to 1 MB gives the very text
# JSON.stringify gives; json.decode of a Buffer gives the value JSON.parse
# gives; json.encode with sort_keys gives the canonical (sorted-keys) text;
# a 10 s spin and a hang with a 300 ms deadline are answered timeout; a
# crash is answered worker_crashed; the daemon serves after them.  The
# main-thread times the example prints are not asserted (benchmarks measure
# speed: tests/bench/clients.sh).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_need_node
ex=$FP_ROOT/tools/node/examples/serialise.js

fp_start -T
fp_wait_nworkers 2

FP_CMD_TIMEOUT=60
fp_run "$FP_NODE" "$ex" --socket "$FP_SOCK" --quick
cat "$T/out" "$T/err"
assert_status 0 "serialise.js --quick"
for size in 1KB 10KB 100KB 1MB; do
	assert_grep "^$size .* yes\$" "$T/out" "json.encode of $size: same text as JSON.stringify"
done
assert_grep '^  bytes in: json.decode of a [0-9]+ KB Buffer: same value as JSON.parse: yes;' \
    "$T/out" "json.decode of a Buffer"
assert_grep '^  more work than the encoding: .* same text: yes;' "$T/out" \
    "json.encode with sort_keys"
assert_grep '^  deadline: spin of 10 s with timeout 300 ms: ForkPoolError timeout after [0-9]+ ms \(attempts 1\)' \
    "$T/out" "the spin stopped by its deadline"
assert_grep '^  hang: ForkPoolError timeout after [0-9]+ ms$' "$T/out" \
    "the hang stopped by its deadline"
assert_grep '^  crash: ForkPoolError worker_crashed \(signal 11\)' "$T/out" \
    "the crash"
assert_grep '^  after the timeouts and the crash: json.encode answers; [0-9]+ of 2 workers were replaced$' \
    "$T/out" "serving after the faults"
assert_grep '^serialise: all checks passed$' "$T/out" "the verdict"
assert_empty "$T/err" "serialise.js stderr"
fp_wait_nworkers 2
fp_stop_clean
