#!/bin/sh
# cli_workers.sh -- `forkpool workers' (forkpool(1)): with a `sleep 4000'
# task in flight on a pool of two, one row per slot under the header: the
# busy one with a worker's pid, handler sleep and its running time, tasks,
# failures, RSS and age in units; the idle one with "-" for handler and
# running time; the running time grows between two calls; -j prints the
# answer as one line of JSON; an extra argument is a usage error.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_sleep_running 4000

u='[0-9]+(\.[0-9]+)?'
busy="^ +([01]) +([0-9]+) busy +sleep +($u(us|ms|s)) +0 +0 +${u}[BKMG] +[0-9]+s\$"
idle="^ +([01]) +[0-9]+ idle +- +- +[0-9]+ +0 +${u}[BKMG] +[0-9]+s\$"
wait_for 'fp_cli workers && grep -Eq "$busy" "$T/out"' 10 || {
	fp_show_output
	fp_fail "no busy row with handler sleep in forkpool workers"
}
assert_status 0 "forkpool workers"
assert_empty "$T/err" "forkpool workers: stderr"
assert_eq 'SLOT     PID STATE    HANDLER         RUNNING    TASKS  FAILS     RSS     AGE' \
    "$(head -n 1 "$T/out")" "forkpool workers: header"
assert_eq 3 "$(wc -l <"$T/out" | tr -d ' ')" "forkpool workers: lines"
assert_grep "$idle" "$T/out" "forkpool workers: the idle slot"
bpid=$(sed -En "s/$busy/\\2/p" "$T/out")
fp_workers | grep -qx "$bpid" ||
    fp_fail "the busy row's pid $bpid is not a worker of the daemon"
first=$(sed -En "s/$busy/\\3/p" "$T/out")

# Running for: later, longer (in the same unit or a larger one).
wait_for 'fp_cli workers && r=$(sed -En "s/$busy/\\3/p" "$T/out") &&
    [ -n "$r" ] && [ "$r" != "$first" ]' 5 ||
    fp_fail "the running time stays $first"
fp_cli workers -j
assert_status 0 "forkpool workers -j"
"$FP_PY" - "$T/out" "$bpid" <<'PY' || fp_fail "forkpool workers -j (see above)"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
if len(lines) != 2 or lines[1] != "":
	sys.exit("not one line: %r" % lines)
w = json.loads(lines[0])
if sorted(x["slot"] for x in w) != [0, 1]:
	sys.exit("slots: %r" % w)
(b,) = [x for x in w if x["state"] == "busy"]
if b["handler"] != "sleep" or b["pid"] != int(sys.argv[2]) or \
    b["running_us"] < 100000 or b["rss_bytes"] <= 0:
	sys.exit("busy worker: %r" % b)
(i,) = [x for x in w if x["state"] == "idle"]
if i["handler"] is not None or i["running_us"] != 0:
	sys.exit("idle worker: %r" % i)
PY

fp_cli workers 1
assert_status 2 "forkpool workers 1"
assert_grep '^usage: forkpool' "$T/err" "forkpool workers 1: usage"

fp_wait_bg "$JOB" 10
assert_eq 4000 "$(cat "$T/job.out")" "the sleep's answer"
fp_stop_clean
fp_info "workers: the busy and the idle slot, running time growing, -j"
