#!/bin/sh
# example_agent_state.sh -- tools/python/examples/agent_state.py, the seed
# scenario of the Python client: 500 events/s of a ~100 KB agent state
# through json.encode (timeout 5 s, daemon retries 2, the client's back-off
# on queue_full, circuit_open, worker_crashed and connection_lost) for 2 s,
# while a worker is SIGKILLed every 0.4 s and the circuit breaker (opened by
# 2 crashes, cool-down 200 ms) refuses calls: every event is answered, none
# is lost, and the sampled answers read back as the states sent.  The loop's
# lag is printed in the normal build (under the sanitizers timing means
# nothing), never asserted (benchmarks measure speed: tests/bench/
# clients.sh).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# lib.sh has found FP_PY, a python3 with msgpack, or skipped.
ex=$FP_ROOT/tools/python/examples/agent_state.py

# json.encode's configured deadline is the 5 s the example asks for, so that
# its calls may probe a half-open breaker (forkpool-rpc(7)).
cat >"$FP_CONF" <<'CONF'
workers 2
handler json.encode timeout 5s
breaker-threshold 2
breaker-window 10s
breaker-cooldown 200ms
respawn-backoff-max 200ms
CONF
fp_start
fp_wait_nworkers 2

FP_CMD_TIMEOUT=90
fp_run "$FP_PY" "$ex" --socket "$FP_SOCK" --quick --kill-every 0.4
case $FORKPOOLD in
*build-san*)
	grep -v '^loop lag:\|^latency:' "$T/out" || true ;;
*)	cat "$T/out" ;;
esac
cat "$T/err"
assert_status 0 "agent_state.py --quick --kill-every 0.4"
assert_grep '^events: sent 1000, answered 1000, lost 0$' "$T/out" \
    "every event answered"
assert_grep '^checked: ([0-9]+) of \1 sampled answers read back as the state sent$' \
    "$T/out" "the sampled answers"
assert_grep '^retries: .*; workers killed [1-9][0-9]*$' "$T/out" \
    "workers were killed"
assert_empty "$T/err" "agent_state.py stderr"
fp_wait_nworkers 2
fp_stop_clean
