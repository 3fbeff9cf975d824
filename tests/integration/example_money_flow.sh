#!/bin/sh
# example_money_flow.sh -- tools/node/examples/money-flow.js, the seed
# scenario of the Node.js client: bursts of 5 races of bets sent at once to
# aggregate.group (the example plug-in) on 3 workers; every race answered,
# in submission order (FIFO), with the rows of the same transform done in
# JavaScript; one race sent to the crash handler instead is answered
# worker_crashed (signal 11, attempts 1) and its worker replaced by a new
# process, which forkpool.workers shows and which is a child of the daemon.
# Timing is printed by the example but never asserted (benchmarks measure
# speed: tests/bench/clients.sh).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_need_node
ex=$FP_ROOT/tools/node/examples/money-flow.js

fp_plugins
cat >"$FP_CONF" <<CONF
workers 3
test-handlers yes
load "$AGG"
CONF
fp_start
fp_wait_nworkers 3

FP_CMD_TIMEOUT=60
fp_run "$FP_NODE" "$ex" --socket "$FP_SOCK" --quick
cat "$T/out" "$T/err"
assert_status 0 "money-flow.js --quick"
assert_grep '^burst 2: race R[0-9]+ sent to the crash handler: ForkPoolError worker_crashed \(signal 11, attempts 1\)' \
    "$T/out" "the crash answered worker_crashed"
assert_grep '^summary: 4 bursts, 20 races, 20 answered in FIFO order, 20 identical to the in-process transform, crash answered worker_crashed, worker [0-9]+ replaced by [0-9]+$' \
    "$T/out" "the summary"
old=$(sed -n 's/^summary: .* worker \([0-9]*\) replaced by \([0-9]*\)$/\1/p' "$T/out")
new=$(sed -n 's/^summary: .* worker \([0-9]*\) replaced by \([0-9]*\)$/\2/p' "$T/out")
if ! fp_workers | grep -qx "$new"; then
	fp_fail "the new worker $new is not a worker of the daemon: $(fp_workers | tr '\n' ' ')"
fi
if fp_workers | grep -qx "$old"; then
	fp_fail "the crashed worker $old is still a worker of the daemon"
fi
assert_empty "$T/err" "money-flow.js stderr"
fp_stop_clean
