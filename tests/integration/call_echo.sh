#!/bin/sh
# call_echo.sh -- forkpool(1) against the daemon: `call` prints results as
# one line of JSON with the JSON <-> MessagePack mapping of forkpool(1);
# daemon errors print `forkpool: CODE: message` and exit 1; usage errors
# exit 2; no daemon exits 3; forkpool.handlers lists the test handlers only
# with -T.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2

j='{"a":[1,2.5,"x",null,true]}'
fp_call_ok "$j" "call echo $j" echo "$j"
fp_call_ok '"hi"' 'call echo "hi"' echo '"hi"'
fp_call_ok '[]' 'call echo []' echo '[]'
fp_call_ok '{}' 'call echo {}' echo '{}'
fp_call_ok 'false' 'call echo false' echo false
fp_call_ok '-7' 'call echo -7' echo -7
fp_call_ok '18446744073709551615' 'echo of UINT64_MAX (exact)' echo \
    18446744073709551615
fp_call_ok '-9223372036854775808' 'echo of INT64_MIN (exact)' echo \
    -9223372036854775808
fp_call_ok '18446744073709552000' 'echo of 2^64 (beyond uint64: float64)' \
    echo 18446744073709551616
fp_call_ok '0.1' 'call echo 0.1' echo 0.1
fp_call_ok '-1.5e300' 'call echo -1.5e300' echo -1.5e300
fp_call_ok '"h\u00e9llo \"q\" \\ \n\t\u0001 \u20ac \ud83d\ude00"' \
    'echo of a string with escapes and non-ASCII' echo \
    '"h\u00e9llo \"q\" \\ \n\t\u0001 € 😀"'
fp_call_ok '{"k":{"n":[[],[{}]],"e":""}}' 'echo of nested empties' echo \
    '{"k":{"n":[[],[{}]],"e":""}}'
fp_call_ok '25' 'call sleep 25' sleep 25
fp_call_ok '1000' 'call spin 1000' spin 1000
fp_call_ok '"pong"' 'call forkpool.ping' forkpool.ping

fp_cli call forkpool.stats
assert_status 0 "call forkpool.stats"
"$FP_PY" - "$T/out" <<'PY' || fp_fail "forkpool.stats map (see above)"
import json, sys
s = json.loads(open(sys.argv[1]).read())
keys = ("workers workers_busy queued running connections tasks_ok "
    "tasks_failed worker_crashes uptime_s").split()
missing = [k for k in keys if k not in s]
if missing:
	sys.exit("forkpool.stats lacks %s: %r" % (missing, s))
if s["workers"] != 2:
	sys.exit("forkpool.stats workers: expected 2, got %r" % s["workers"])
if s["tasks_ok"] < 10:
	sys.exit("forkpool.stats tasks_ok: expected >= 10, got %r" % s["tasks_ok"])
PY

fp_call_err no_such_method . 'call no_such_method' no_such_method
fp_call_err no_such_method . 'call ehco "x"' ehco '"x"'
fp_call_err invalid_params . "call sleep '\"x\"'" sleep '"x"'
fp_call_err invalid_params . 'call sleep -1' sleep -1
fp_call_err invalid_params . 'call sleep 3600001' sleep 3600001
fp_call_err invalid_params . 'call spin 60000001' spin 60000001
fp_call_err invalid_params . 'call sleep 1.5' sleep 1.5
fp_call_err no_such_method . 'call crash without -T' crash
fp_call_err no_such_method . 'call hang without -T' hang
fp_call_err no_such_method . 'call exit without -T' exit

# handlers_check JSON_FILE yes|no
handlers_check() {
	"$FP_PY" - "$1" "$2" <<'PY' || fp_fail "forkpool.handlers (see above)"
import json, sys
h = json.loads(open(sys.argv[1]).read())
if not isinstance(h, list) or not all(isinstance(x, str) for x in h):
	sys.exit("forkpool.handlers: not an array of strings: %r" % (h,))
for want in ("echo", "sleep", "spin"):
	if want not in h:
		sys.exit("forkpool.handlers lacks %r: %r" % (want, h))
for t in ("crash", "hang", "exit"):
	if (t in h) != (sys.argv[2] == "yes"):
		sys.exit("forkpool.handlers %s %r with test handlers %s: %r" %
		    ("lists" if t in h else "lacks", t, sys.argv[2], h))
if len(set(h)) != len(h):
	sys.exit("forkpool.handlers has duplicates: %r" % (h,))
PY
}
fp_cli call forkpool.handlers
assert_status 0 "call forkpool.handlers"
handlers_check "$T/out" no

fp_cli notify echo 1
assert_status 0 "notify echo 1"
assert_empty "$T/out" "notify: stdout"
fp_cli notify no.such.notification
assert_status 0 "notify of an unknown method"
fp_cli ping
assert_out pong "ping after notifications"

# Usage errors: exit 2, a message on stderr, nothing on stdout.
usage_err() {
	_what=$1
	shift
	fp_cli "$@"
	assert_status 2 "usage error: $_what"
	assert_grep . "$T/err" "usage error: $_what: message on stderr"
	assert_empty "$T/out" "usage error: $_what: stdout"
}
usage_err "no command"
usage_err "unknown command" frobnicate
usage_err "unknown option" -Z ping
usage_err "call without a method" call
usage_err "notify without a method" notify
usage_err "-t without a value" -t
usage_err "-t not a number" -t abc ping
usage_err "argument that is not JSON" call echo '{bad'
usage_err "two JSON values in one argument" call echo '1 2'

# Cannot connect: exit 3.
fp_run env -u FORKPOOL_SOCKET "$FORKPOOL" -s "$T/nothing.sock" ping
assert_status 3 "ping with no daemon"
assert_grep . "$T/err" "ping with no daemon: message on stderr"
fp_run env FORKPOOL_SOCKET="$T/nothing.sock" "$FORKPOOL" call echo 1
assert_status 3 "call with no daemon (FORKPOOL_SOCKET)"

fp_stop_clean

# With -T the test handlers exist.
fp_start -w 2 -T
fp_cli call forkpool.handlers
assert_status 0 "call forkpool.handlers with -T"
handlers_check "$T/out" yes
fp_stop_clean
