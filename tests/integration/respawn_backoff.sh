#!/bin/sh
# respawn_backoff.sh -- a crash loop: with FORKPOOL_TEST_WORKER_CRASH=1 (and
# test handlers) every worker aborts as it starts.  The supervisor replaces
# each slot's first early death at once, then backs off 100 ms, 200 ms, ...
# up to respawn-backoff-max (800 ms here), one worker_backoff line per step;
# over the first ~3 s the number of worker starts is bounded, the
# supervisor uses almost no CPU, and it keeps answering (ping, stats).
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
respawn-backoff-max 800ms
CONF

# ticks PID: utime + stime of PID in clock ticks.
ticks() {
	read -r _tl </proc/"$1"/stat
	# shellcheck disable=SC2086
	set -- ${_tl##*) }
	echo $((${12} + ${13}))
}

FORKPOOL_TEST_WORKER_CRASH=1
export FORKPOOL_TEST_WORKER_CRASH
fp_start -T
unset FORKPOOL_TEST_WORKER_CRASH
fp_now
t0=$FP_NOW
cpu0=$(ticks "$FP_PID")
assert_grep 'event=test_worker_crash' "$FP_LOG" "the hook is announced"

# starts: worker_start lines so far.
starts() {
	grep -c 'event=worker_start' "$FP_LOG" || true
}

# Each slot dies at about 0, 0, 0.1, 0.3, 0.7, 1.5, 2.3, 3.1 s: wait for
# the third step at the cap in both slots (about 2.3 s), or for too many
# starts (no back-off).
if ! wait_for '[ "$(grep -c "event=worker_backoff .*delay_ms=800" "$FP_LOG")" -ge 6 ] || [ "$(starts)" -gt 20 ]' 20; then
	grep -E 'worker_(start|exit|backoff)' "$FP_LOG" | tail -n 20 >&2
	fp_fail "no crash loop at the back-off cap after 20 s"
fi
fp_now
elapsed=$((FP_NOW - t0))
cpu=$(($(ticks "$FP_PID") - cpu0))
hz=$(getconf CLK_TCK)
starts=$(starts)
fp_info "after $elapsed cs: $starts worker starts, supervisor CPU $cpu" \
    "ticks ($hz/s)"

# 7 starts per slot in this time; 10 allows for a slow machine.
if [ "$starts" -gt 20 ]; then
	fp_fail "$starts worker starts in $elapsed cs: the respawn rate is not" \
	    "bounded"
fi
if [ "$starts" -lt 6 ]; then
	fp_fail "only $starts worker starts: the crash loop did not run"
fi
# Less than 0.5 s of CPU for the whole loop (under sanitizers too).
if [ $((cpu * 2)) -ge "$hz" ]; then
	fp_fail "the supervisor used $cpu ticks of CPU in a crash loop of" \
	    "$elapsed cs"
fi

# One worker_backoff line per step and slot: 100, 200, 400, 800, 800 ...
# (the first early death is replaced at once, without a line).
if ! awk '
/event=worker_backoff/ {
	w = ""; d = ""
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^worker=/) w = substr($i, 8)
		if ($i ~ /^delay_ms=/) d = substr($i, 10) + 0
	}
	if (!(w in last)) {
		if (d != 100) { print "slot " w ": first delay " d; bad = 1 }
	} else if (d != last[w] * 2 && !(d == 800 && last[w] == 800)) {
		print "slot " w ": delay " d " after " last[w]; bad = 1
	}
	if (d > 800) { print "slot " w ": delay " d " above the cap"; bad = 1 }
	last[w] = d
	n[w]++
}
END {
	for (w in n) k++
	if (k != 2) { print k " slots backing off, expected 2"; bad = 1 }
	exit bad
}' "$FP_LOG" >"$T/steps" 2>&1; then
	cat "$T/steps" >&2
	grep -E 'worker_(start|exit|backoff)' "$FP_LOG" | tail -n 30 >&2
	fp_fail "worker_backoff lines are not one per back-off step"
fi

# The supervisor still answers what needs no worker.
fp_cli ping
assert_status 0 "forkpool ping during a crash loop"
assert_out pong "forkpool ping during a crash loop"
fp_cli call forkpool.stats
assert_status 0 "forkpool.stats during a crash loop"
assert_grep '"workers": ?2[,}]' "$T/out" "forkpool.stats: workers"
assert_grep '"worker_crashes": ?([6-9]|[1-9][0-9])' "$T/out" \
    "forkpool.stats: worker_crashes counts the loop"

fp_stop_clean
