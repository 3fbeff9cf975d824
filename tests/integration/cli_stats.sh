#!/bin/sh
# cli_stats.sh -- `forkpool stats' (forkpool(1)): after 5 echo calls the
# table has the pool's lines and a row for echo with 5 calls, 5 ok, 0
# failed and its times in units; a handler without calls is left out
# unless -a, where its times are "-"; `stats 1m' says its window; -j
# prints the answer as one line of JSON with the handlers; a window the
# daemon refuses exits 1 with the daemon's message on stderr, nothing on
# stdout; usage errors exit 2.  Without a daemon, stats, workers, slowlog,
# slowlog reset, metrics and top exit 3.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
for i in 1 2 3 4 5; do
	fp_call_ok "$i" "echo $i" echo "$i"
done

# The run times come from the workers' blocks, folded every 100 ms: wait
# until the row has all five times.
t='( +[0-9]+(\.[0-9]+)?(us|ms|s))'
row="^echo +5 +5 +0$t$t$t$t$t\$"
wait_for 'fp_cli stats && grep -Eq "$row" "$T/out"' 10 || {
	fp_show_output
	fp_fail "no row 'echo 5 5 0' with five times in forkpool stats"
}
assert_status 0 "forkpool stats"
assert_empty "$T/err" "forkpool stats: stderr"
assert_grep '^HANDLER +CALLS +OK +FAILED +WAIT_P50 +WAIT_P99 +RUN_P50 +RUN_P99 +RUN_MAX$' \
    "$T/out" "forkpool stats: the handlers' header"
assert_grep '^workers +[0-9]+ busy of 2 \([0-9]+ ready\)$' "$T/out" \
    "forkpool stats: workers line"
assert_grep '^queued +0$' "$T/out" "forkpool stats: queued line"
assert_grep '^tasks +5 ok, 0 failed$' "$T/out" "forkpool stats: tasks line"
assert_grep '^crashes +0$' "$T/out" "forkpool stats: crashes line"
assert_grep '^uptime +[0-9]+s$' "$T/out" "forkpool stats: uptime line"
assert_grep '^window +all$' "$T/out" "forkpool stats: window line"
assert_no_grep '^sleep ' "$T/out" "forkpool stats: sleep had no calls"

fp_cli stats -a
assert_status 0 "forkpool stats -a"
assert_grep "$row" "$T/out" "forkpool stats -a: echo"
assert_grep '^sleep +0 +0 +0 +- +- +- +- +-$' "$T/out" \
    "forkpool stats -a: sleep without calls"

fp_cli stats 1m
assert_status 0 "forkpool stats 1m"
assert_grep '^window +1m$' "$T/out" "forkpool stats 1m: window line"
assert_grep "$row" "$T/out" "forkpool stats 1m: echo (a young daemon's 1m is all)"

fp_cli stats -j
assert_status 0 "forkpool stats -j"
assert_empty "$T/err" "forkpool stats -j: stderr"
"$FP_PY" - "$T/out" <<'PY' || fp_fail "forkpool stats -j (see above)"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
if len(lines) != 2 or lines[1] != "":
	sys.exit("not one line: %r" % lines)
s = json.loads(lines[0])
e = s["handlers"]["echo"]
if s["window"] != "all" or s["workers"] != 2 or s["tasks_ok"] != 5:
	sys.exit("pool figures: %r" % s)
if (e["calls"], e["ok"], e["failed"]) != (5, 5, 0) or e["run"]["count"] != 5:
	sys.exit("echo: %r" % e)
if s["handlers"]["sleep"]["calls"] != 0:
	sys.exit("sleep: %r" % s["handlers"]["sleep"])
PY

fp_cli stats 2m
assert_status 1 "forkpool stats 2m"
assert_grep '^forkpool: invalid_params: .*"1m"' "$T/err" \
    "forkpool stats 2m: the daemon's message"
assert_empty "$T/out" "forkpool stats 2m: stdout"

fp_cli stats 1m 5m
assert_status 2 "forkpool stats 1m 5m"
assert_grep '^usage: forkpool' "$T/err" "forkpool stats 1m 5m: usage"
fp_cli stats -x
assert_status 2 "forkpool stats -x"
assert_grep '^forkpool: stats: unknown option -x$' "$T/err" \
    "forkpool stats -x: message"

fp_stop_clean

# No daemon: the new commands exit 3 as the others do.
for c in stats workers slowlog "slowlog reset" metrics "top -n 1"; do
	# shellcheck disable=SC2086 # the command and its arguments
	fp_cli $c
	assert_status 3 "forkpool $c without a daemon"
	assert_grep "^forkpool: connect $FP_SOCK: " "$T/err" \
	    "forkpool $c without a daemon: message"
done
fp_info "stats: table, -a, 1m, -j, a refused window, usage errors; no" \
    "daemon: status 3"
