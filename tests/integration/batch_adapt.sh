#!/bin/sh
# batch_adapt.sh -- how long the supervisor leaves the results of a worker
# with tasks queued behind its current one before it takes them
# (batch_us of forkpool.stats, forkpool-rpc(7)) follows how long answers
# wait: 200 us on an idle daemon; above that, and at most 2000, while 100 us
# spin tasks, 128 in flight, saturate the workers (answers then wait
# milliseconds); 2000, the ceiling, after sleeps that waited hundreds of
# milliseconds; back to 200 once no task is answered.  Every task of the
# load is answered (forkpool bench exits 0).
# shellcheck disable=SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2
batch() {
	fp_stat batch_us
}
assert_eq 200 "$(batch)" "batch_us of an idle daemon"

# Saturated by short tasks: a quarter of their wait, within 200..2000.
fp_bg "$FORKPOOL" -s "$FP_SOCK" bench -m spin -z 100 -d 128 -n 40000 -W 500 \
    >"$T/bench.out" 2>"$T/bench.err"
bench=$FP_BGPID
wait_for '[ "$(batch)" -gt 200 ] || ! fp_alive '"$bench" 30 ||
    fp_fail "batch_us stayed $(batch) under load"
b=$(batch)
if [ "$b" -le 200 ] || [ "$b" -gt 2000 ]; then
	fp_fail "batch_us $b under a saturating load: expected 201..2000" \
	    "$(cat "$T/bench.err")"
fi
fp_wait_bg "$bench" 60
assert_status 0 "forkpool bench -m spin (stderr: $(cat "$T/bench.err"))"

# Nothing answered in a tick: back to 200.
wait_for '[ "$(batch)" -eq 200 ]' 10 ||
    fp_fail "batch_us $(batch) on an idle daemon after the load"

# Sleeps of 300 ms, four on two workers: two wait 300 ms for a worker,
# answers take 300 to 600 ms, a quarter of that is past the ceiling.
# The interval holds for the tick after those answers only (100 ms): one
# process polls every 10 ms (a poll a process missed it under load).
"$FP_PY" - "$FP_SOCK" >"$T/seen" <<'PY' &
import sys, time, fpclient
end, seen = time.monotonic() + 10, set()
while time.monotonic() < end:
	b = fpclient.stats(sys.argv[1])["batch_us"]
	seen.add(b)
	if b == 2000:
		break
	time.sleep(0.01)
print(" ".join(str(x) for x in sorted(seen)))
sys.exit(0 if 2000 in seen else 1)
PY
poll=$!
FP_PIDS="$FP_PIDS $poll"
for _ in 1 2 3 4; do
	fp_bg "$FORKPOOL" -s "$FP_SOCK" call sleep 300 >/dev/null
done
fp_wait_bg "$poll" 15
[ "$FP_RC" = 0 ] || fp_fail "batch_us seen $(cat "$T/seen") after answers" \
    "that took 300-600 ms: expected the ceiling, 2000"
fp_stop_clean
