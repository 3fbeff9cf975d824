#!/bin/sh
# cli_slowlog.sh -- `forkpool slowlog' (forkpool(1)) with slowlog-threshold
# 50ms: after `sleep 80', `sleep 90' and a fast echo, the table lists the
# two sleeps newest first with their time, handler, wait, run, worker,
# pid, no correlation id and their params, and not the echo (a sleep may
# also have been logged while it ran: such rows carry a "+" and are left
# aside); `slowlog 1' shows the newest only; -j is the answer as JSON;
# a count that is not JSON is a usage error, one that is not an integer
# the daemon's invalid_params; `slowlog reset' prints how many entries it
# removed and empties the log, and as nobody it is permission_denied.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\nsocket-mode 0666\nslowlog-threshold 50ms\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_call_ok 80 "sleep 80" sleep 80
fp_call_ok 90 "sleep 90" sleep 90
fp_call_ok '"fast"' "echo" echo '"fast"'

head='^ +ID TIME +HANDLER +WAIT +RUN WORKER +PID CORR +PARAMS$'
row() {	# ID-pattern MS-pattern PARAMS
	printf '^ +%s [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} sleep +[0-9.]+(us|ms) +%s\\.[0-9]ms +[01] +[0-9]+ - +\\[%s\\]$' \
	    "$1" "$2" "$3"
}
fp_cli slowlog
assert_status 0 "forkpool slowlog"
assert_empty "$T/err" "forkpool slowlog: stderr"
assert_grep "$head" "$T/out" "forkpool slowlog: header"
assert_no_grep 'echo|fast' "$T/out" "forkpool slowlog: the fast echo"
grep -Ev '\+ ' "$T/out" | sed 1d >"$T/done"
assert_eq 2 "$(wc -l <"$T/done" | tr -d ' ')" \
    "forkpool slowlog: rows of finished tasks"
assert_grep "$(row '[0-9]+' '9[0-9]' 90)" "$T/done" "forkpool slowlog: sleep 90"
assert_grep "$(row '[0-9]+' '(8[0-9]|9[0-9])' 80)" "$T/done" \
    "forkpool slowlog: sleep 80"
head -n 1 "$T/done" | grep -Eq '\[90\]$' ||
    fp_fail "forkpool slowlog: not newest first: $(cat "$T/done")"

fp_cli slowlog 1
assert_status 0 "forkpool slowlog 1"
assert_eq 2 "$(wc -l <"$T/out" | tr -d ' ')" "forkpool slowlog 1: lines"
assert_grep "$(row '[0-9]+' '9[0-9]' 90)" "$T/out" "forkpool slowlog 1: row"

fp_cli slowlog -j 5
assert_status 0 "forkpool slowlog -j 5"
"$FP_PY" - "$T/out" <<'PY' || fp_fail "forkpool slowlog -j (see above)"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
if len(lines) != 2 or lines[1] != "":
	sys.exit("not one line: %r" % lines)
s = [e for e in json.loads(lines[0]) if not e["running"]]
if [e["params"] for e in s] != [[90], [80]]:
	sys.exit("finished entries: %r" % s)
for e in s:
	if e["handler"] != "sleep" or e["corr"] is not None or \
	    e["run_us"] < 80000 or e["pid"] <= 0:
		sys.exit("entry: %r" % e)
PY

fp_cli slowlog x
assert_status 2 "forkpool slowlog x"
assert_grep '^forkpool: argument 1: invalid JSON' "$T/err" \
    "forkpool slowlog x: message"
fp_cli slowlog '"x"'
assert_status 1 'forkpool slowlog "x"'
assert_grep '^forkpool: invalid_params: ' "$T/err" \
    'forkpool slowlog "x": the daemon'"'"'s message'
fp_cli slowlog 1 2
assert_status 2 "forkpool slowlog 1 2"

if [ "$(id -u)" = 0 ]; then
	fp_nobody_reach "its client runs as nobody"
	# shellcheck disable=SC2086 # FP_NOBODY is a command and its arguments
	fp_run $FP_NOBODY "$FORKPOOL" slowlog reset
	assert_status 1 "forkpool slowlog reset as nobody"
	assert_grep '^forkpool: permission_denied: ' "$T/err" \
	    "forkpool slowlog reset as nobody"
fi
fp_cli slowlog -j 100
n=$("$FP_PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' \
    "$T/out")
fp_cli slowlog reset
assert_status 0 "forkpool slowlog reset"
assert_out "$n" "forkpool slowlog reset: entries removed"
fp_cli slowlog
assert_status 0 "forkpool slowlog after reset"
assert_eq 1 "$(wc -l <"$T/out" | tr -d ' ')" \
    "forkpool slowlog after reset: the header alone"

fp_stop_clean
fp_info "slowlog: table newest first, count, -j, errors, reset"
