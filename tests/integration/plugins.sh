#!/bin/sh
# plugins.sh -- handler plug-ins (forkpool_plugin.h, `load' in
# forkpool.conf(5)) through the real daemon, with the build's example
# plug-in (BUILDDIR/plugins/aggregate.so) and test plug-in
# (BUILDDIR/tests/plugins/testplug*.so; BUILDDIR is the directory of
# $FORKPOOLD).
#
# (a) forkpoold -n refuses every bad plug-in: exit 1, `forkpoold:
#     FILE:LINE: load PATH: reason' on stderr, no process left (a probe
#     that hangs past load-timeout is killed).  A daemon started with a
#     plug-in whose init crashes exits 1 and leaves no socket or pidfile.
# (b) A daemon with aggregate.so and testplug.so: forkpool.handlers lists
#     their handlers; aggregate.group and aggregate.group_json answer, and
#     its max-groups argument gives too_large; each testplug misbehaviour
#     is answered as forkpool-rpc(7) says (internal for a result that is
#     not one object, no result, -1 without an error, a code handlers may
#     not use; each allowed code as is); the deadline (per handler, with a
#     `handler tp.deadline timeout' line, and per call) is timeout;
#     tp.log's line is in the daemon log with plugin=testplug and the
#     worker; the host's JSON codecs and raw params work; worker_init ran
#     once in each worker; a crash is worker_crashed and a new worker,
#     worker_init run, serves the next call.
# (c) Reload (SIGHUP and forkpool reload) with changed `load' lines keeps
#     the plug-ins loaded at start (their handlers, their init argument)
#     and logs reload_ignored keyword=load; new workers run worker_init; a
#     `handler' line naming an unknown handler is rejected.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

BD=$(cd "$(dirname "$FORKPOOLD")" && pwd)
AGG=$BD/plugins/aggregate.so
TP=$BD/tests/plugins/testplug.so
TP_ABI=$BD/tests/plugins/testplug_abi.so
TP_NOSYM=$BD/tests/plugins/testplug_nosym.so
for f in "$AGG" "$TP" "$TP_ABI" "$TP_NOSYM"; do
	if [ ! -f "$f" ]; then
		fp_fail "$f is not built (run make)"
	fi
done
export AGG TP

# ---- (a) bad plug-ins are refused ---------------------------------------

printf 'not a shared object\n' >"$T/text.so"
BAD=$T/bad.conf

# refused WHAT PATH ARG REASON_ERE [ENV=VALUE]: forkpoold -n with `load
# PATH ARG' on line 3 exits 1 naming the line, the path and the reason.
refused() {
	_what=$1
	_path=$2
	_arg=$3
	_re=$4
	shift 4
	{
		echo "load-timeout 200ms"
		echo "# the plug-in under test:"
		echo "load \"$_path\" $_arg"
	} >"$BAD"
	fp_run env "$@" "$FORKPOOLD" -n -f "$BAD"
	assert_status 1 "forkpoold -n, $_what"
	assert_grep "^forkpoold: $BAD:3: load $_path: $_re" "$T/err" \
	    "forkpoold -n, $_what"
	assert_no_grep "configuration OK" "$T/out" "forkpoold -n, $_what"
	# The probe of a hung plug-in is killed before forkpoold exits.
	fp_check_no_workers 0
}

refused "crash in init" "$TP" crash-init \
    "the plug-in crashed while loading \(signal 11, Segmentation fault\)"
refused "crash in worker_init" "$TP" crash-worker-init \
    "the plug-in crashed while loading \(signal 11"
refused "crash in the constructor" "$TP" "" \
    "the plug-in crashed while loading \(signal 11" TESTPLUG_CRASH_CTOR=1
refused "hang in init" "$TP" hang-init \
    "the plug-in did not finish loading within load-timeout \(200 ms\); killed it"
refused "exit in init" "$TP" exit-init \
    "the plug-in exited \(status 0\) while loading"
refused "init fails" "$TP" fail-init \
    "plug-in testplug: init failed: the test asked init to fail"
refused "worker_init fails" "$TP" fail-worker-init \
    "plug-in testplug: worker_init failed: the test asked worker_init to fail"
refused "a bad init argument" "$AGG" max-groups=0 \
    "plug-in aggregate: init failed: bad argument \"max-groups=0\""
refused "ABI version 999" "$TP_ABI" "" \
    "plug-in ABI version 999, but this forkpoold supports version 1"
refused "no forkpool_plugin symbol" "$TP_NOSYM" "" \
    "missing symbol forkpool_plugin: not a forkpool plug-in"
refused "a text file" "$T/text.so" "" "cannot load: "
refused "a missing file" "$T/missing.so" "" \
    "cannot load: .*No such file or directory"
fp_info "forkpoold -n refuses every bad plug-in"

# A daemon (not -n) with a plug-in that crashes in init: exit 1 at once,
# no socket, no pidfile, no process.
{
	echo "load \"$TP\" crash-init"
} >"$BAD"
fp_run "$FORKPOOLD" -d -s "$FP_SOCK" -p "$FP_PIDFILE" -f "$BAD"
assert_status 1 "forkpoold -d with a crashing plug-in"
assert_grep "^forkpoold: $BAD:1: load $TP: the plug-in crashed while loading" \
    "$T/err" "forkpoold -d with a crashing plug-in"
if [ -e "$FP_SOCK" ] || [ -e "$FP_PIDFILE" ]; then
	fp_fail "a daemon refused at start left its socket or pidfile"
fi
fp_check_no_workers 0
# A good plug-in, then a refused one: the good one's fini still runs (once,
# in the supervisor; the probes' lines carry probe=).
{
	echo "load \"$TP\""
	echo "load \"$TP_ABI\""
} >"$BAD"
fp_run "$FORKPOOLD" -d -s "$FP_SOCK" -p "$FP_PIDFILE" -f "$BAD"
assert_status 1 "forkpoold -d with a good and a bad plug-in"
assert_grep "^forkpoold: $BAD:2: load $TP_ABI: plug-in ABI version 999" \
    "$T/err" "forkpoold -d with a good and a bad plug-in"
assert_eq 1 "$(grep -c 'event=testplug_fini plugin=testplug$' "$T/err")" \
    "fini of the loaded plug-in when a later one is refused"
fp_check_no_workers 0
# A `handler' line for a handler no plug-in gives is an error too.
{
	echo "load \"$TP\""
	echo "handler tp.nope timeout 1s"
} >"$BAD"
fp_run "$FORKPOOLD" -n -f "$BAD"
assert_status 1 "forkpoold -n with handler tp.nope"
assert_grep "^forkpoold: $BAD:2: handler tp.nope: unknown handler" "$T/err" \
    "forkpoold -n with handler tp.nope"
fp_run "$FORKPOOLD" -n -f "$FP_CONF.none"
assert_status 1 "forkpoold -n with a missing file"

# ---- (b) a daemon with both plug-ins ------------------------------------

cat >"$FP_CONF" <<CONF
workers 2
prefetch 1
retries 0
timeout 0
load-timeout 10s
load "$AGG" "max-groups=50"
load "$TP"
handler tp.deadline timeout 300ms
handler tp.ok timeout 2s
CONF
fp_run "$FORKPOOLD" -n -f "$FP_CONF"
assert_status 0 "forkpoold -n with both plug-ins"
assert_out "configuration OK" "forkpoold -n with both plug-ins"
fp_start
fp_wait_nworkers 2
assert_grep "event=plugin_loaded plugin=aggregate version=1.0 path=$AGG" \
    "$FP_LOG" "the aggregate plug-in's load"
assert_grep "event=plugin_loaded plugin=testplug version=test path=$TP" \
    "$FP_LOG" "the test plug-in's load"
assert_grep "event=aggregate_ready plugin=aggregate max_groups=50" \
    "$FP_LOG" "aggregate's init log line"

fp_call_ok '["echo","sleep","spin","json.encode","json.decode",
    "aggregate.group","aggregate.group_json","tp.ok","tp.two","tp.none",
    "tp.noerr","tp.badcode","tp.fail","tp.crash","tp.deadline","tp.log",
    "tp.json","tp.pid","tp.raw"]' "forkpool.handlers" forkpool.handlers

# The example plug-in.
RECS='[{"k":"a","v":1},{"k":"b","v":2.5},{"k":"a","v":3},{"k":"a"},{"v":-1}]'
SPEC='{"by":"k","aggregates":{"n":["count"],"s":["sum","v"],"a":["avg","v"],
    "lo":["min","v"],"hi":["max","v"]}}'
fp_call_ok '[{"k":"a","n":3,"s":4,"a":2,"lo":1,"hi":3},
    {"k":"b","n":1,"s":2.5,"a":2.5,"lo":2.5,"hi":2.5},
    {"k":null,"n":1,"s":-1,"a":-1,"lo":-1,"hi":-1}]' \
    "aggregate.group" aggregate.group "$RECS" "$SPEC"
fp_call_ok '"[{\"n\":5,\"s\":5.5}]"' "aggregate.group_json" \
    aggregate.group_json "$(printf '%s' "$RECS" | "$FP_PY" -c \
    'import json, sys; print(json.dumps(sys.stdin.read()))')" \
    '{"by":[],"aggregates":{"n":["count"],"s":["sum","v"]}}'
fp_call_err invalid_params "spec: aggregate n: this op needs a field" \
    "aggregate.group, bad spec" aggregate.group '[]' \
    '{"by":"k","aggregates":{"n":["sum"]}}'
fp_call_err invalid_params "record 1 is not a map" \
    "aggregate.group, bad record" aggregate.group '[{},2]' \
    '{"by":"k","aggregates":{"n":["count"]}}'
fp_call_err invalid_params "json_text: syntax at line 1, column 2" \
    "aggregate.group_json, bad JSON" aggregate.group_json '"[,]"' \
    '{"by":"k","aggregates":{"n":["count"]}}'
MANY=$("$FP_PY" -c 'import json; print(json.dumps([{"k": i} for i in range(51)]))')
fp_call_err too_large "more than 50 groups \(the plug-in's max-groups\)" \
    "aggregate.group past max-groups" aggregate.group "$MANY" \
    '{"by":"k","aggregates":{"n":["count"]}}'

# The test plug-in: results that are not one object, errors.
fp_call_ok 5 "tp.ok" tp.ok 5
fp_call_ok '{"a":[1,null]}' "tp.ok with a map" tp.ok '{"a":[1,null]}'
fp_call_err internal "handler tp.two wrote a result that is not exactly one MessagePack object" \
    "tp.two" tp.two
fp_call_err internal "handler tp.none returned no result" "tp.none" tp.none
fp_call_err internal "handler tp.noerr failed without an error message" \
    "tp.noerr" tp.noerr
fp_call_err internal "not mine to say \(the handler gave error code 5, which handlers may not use\)" \
    "tp.badcode" tp.badcode
for c in 3:invalid_params 4:too_large 6:timeout 8:handler_error 13:internal; do
	fp_call_err "${c#*:}" "failed with ${c%%:*}\$" \
	    "tp.fail ${c%%:*}" tp.fail "${c%%:*}" "\"failed with ${c%%:*}\""
done
for c in 0 1 2 5 7 9 10 11 12 14 99; do
	fp_call_err internal "code $c, which handlers may not use" \
	    "tp.fail $c" tp.fail "$c" '"no"'
done
# The deadline: per handler (300 ms), per call, and timeout_ms 0, which
# cannot lift the handler's (no deadline at all: test_plugin).
fp_call_err timeout "" "tp.deadline under handler tp.deadline timeout 300ms" \
    tp.deadline
fp_call_err timeout "" "tp.deadline with timeout_ms 200" forkpool.call \
    '"tp.deadline"' '[]' '{"timeout_ms":200}'
fp_call_err timeout "" \
    "tp.deadline with timeout_ms 0 under handler tp.deadline timeout 300ms" \
    forkpool.call '"tp.deadline"' '[]' '{"timeout_ms":0}'
# The host's codecs, raw params.
fp_call_ok '"{\"a\":[1,2.5,\"\\u00e9\"],\"b\":null}"' "tp.json" tp.json \
    '"{\"a\": [1, 2.5, \"\u00e9\"], \"b\": null}"'
fp_call_err invalid_params "syntax at 2:4 \(offset 7\)" "tp.json, bad JSON" \
    tp.json '"[1,\n 2,]"'
fp_call_ok '"kgGheA=="' "tp.raw" tp.raw 1 '"x"'
fp_call_ok '"kA=="' "tp.raw without params" tp.raw
# The log, through the worker: plugin= and the worker's fields.
fp_call_ok true "tp.log" tp.log '"marker 17"'
if ! wait_for "grep -Eq 'level=info event=tp_log worker=[0-9]+ pid=[0-9]+ plugin=testplug msg=\"marker 17\"' \"\$FP_LOG\"" 10; then
	grep tp_log "$FP_LOG" >&2 || true
	fp_fail "tp.log's line is not in the daemon log"
fi

fp_py <<'PY' || fp_fail "worker_init, crashes (see above)"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

def pids_of_workers(kids):
	"""tp.pid from every worker in kids (bounded): a sleep keeps one
	worker busy (prefetch 1) so that tp.pid goes to the other."""
	seen = {}
	c = fc.Conn(sock)
	for attempt in range(40):
		if set(kids) <= set(seen):
			break
		ids = []
		if attempt % 2:
			ids.append(c.queue_request("sleep", [150]))
		p = c.queue_request("tp.pid", [])
		got = fc.collect(c, ids + [p], 15, "tp.pid")
		m = got[p][0]
		if m[2] is not None or not isinstance(m[3], list):
			fc.fail("tp.pid: %r" % (m,))
		pid, n = m[3]
		seen.setdefault(pid, set()).add(n)
	c.close()
	if not set(kids) <= set(seen):
		fc.fail("tp.pid reached %r, not every worker of %r" %
		    (sorted(seen), kids))
	for pid, ns in seen.items():
		if pid not in kids:
			fc.fail("tp.pid answered by %d, not a worker %r" % (pid, kids))
		if ns != {1}:
			fc.fail("worker %d ran worker_init %r times" % (pid, ns))
	return seen

w0 = fc.wait_children(dpid, 2)
pids_of_workers(w0)

# A crash: worker_crashed with the signal, the daemon keeps serving, a
# new worker runs worker_init once and serves.
c = fc.Conn(sock)
err, res = c.call("tp.crash", [])
fc.expect_err(err, "worker_crashed", "tp.crash")
if "signal 11" not in err["message"]:
	fc.fail("tp.crash: %r" % (err,))
# The supervisor has seen the worker die before it answered.
gone = [p for p in w0 if not fc.pid_alive(p)]
if len(gone) != 1:
	fc.fail("one worker should have died of tp.crash: %r -> %r" % (w0,
	    fc.children(dpid)))
w1 = fc.wait_children(dpid, 2, avoid=gone)
for i in range(4):
	err, res = c.call("tp.ok", [i])
	if err is not None or res != i:
		fc.fail("tp.ok after a crash: %r %r" % (err, res))
new = sorted(set(w1) - set(w0))
if len(new) != 1:
	fc.fail("expected one new worker: %r -> %r" % (w0, w1))
seen = pids_of_workers(w1)
print("worker_init once in %r; %r replaced %r" % (sorted(seen), new, gone))
st = fc.stats(sock)
if st["worker_crashes"] < 1:
	fc.fail("stats after tp.crash: %r" % (st,))
PY
assert_grep "event=task_crashed .*signal=11" "$FP_LOG" "tp.crash logged"

# ---- (c) reload keeps the loaded plug-ins --------------------------------

sed -e 's/max-groups=50/max-groups=5/' -e 's/^workers 2/workers 3/' \
    "$FP_CONF" >"$FP_CONF.new"
mv "$FP_CONF.new" "$FP_CONF"
kill -HUP "$FP_PID"
if ! wait_for "grep -Eq 'event=reload_ignored keyword=load ' \"\$FP_LOG\"" 10; then
	fp_fail "no reload_ignored keyword=load after SIGHUP"
fi
if ! wait_for "grep -Eq 'event=reload .*workers=3' \"\$FP_LOG\"" 10; then
	fp_fail "no reload line for workers 3 after SIGHUP"
fi
fp_wait_nworkers 3
# Still the argument given at start: max-groups 50, not 5.
SIX=$("$FP_PY" -c 'import json; print(json.dumps([{"k": i} for i in range(6)]))')
fp_call_ok '[{"k":0,"n":1},{"k":1,"n":1},{"k":2,"n":1},{"k":3,"n":1},
    {"k":4,"n":1},{"k":5,"n":1}]' "aggregate.group after a reload" \
    aggregate.group "$SIX" '{"by":"k","aggregates":{"n":["count"]}}'
fp_call_err too_large "more than 50 groups" "max-groups after a reload" \
    aggregate.group "$MANY" '{"by":"k","aggregates":{"n":["count"]}}'
fp_call_err timeout "" "tp.deadline after a reload" tp.deadline
fp_py <<'PY' || fp_fail "worker_init in the new generation (see above)"
import os
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
kids = fc.wait_children(dpid, 3)
seen = {}
c = fc.Conn(sock)
for attempt in range(60):
	if set(kids) <= set(seen):
		break
	ids = [c.queue_request("sleep", [150]) for _ in range(attempt % 3)]
	p = c.queue_request("tp.pid", [])
	m = fc.collect(c, ids + [p], 15, "tp.pid")[p][0]
	if m[2] is not None:
		fc.fail("tp.pid: %r" % (m,))
	seen.setdefault(m[3][0], set()).add(m[3][1])
if not set(kids) <= set(seen) or any(v != {1} for v in seen.values()):
	fc.fail("tp.pid after a reload: workers %r, answers %r" % (kids, seen))
PY

# forkpool reload without the test plug-in's line: a warning, kept.
grep -v "^load \"$TP\"" "$FP_CONF" | grep -v '^handler tp\.' >"$FP_CONF.new"
mv "$FP_CONF.new" "$FP_CONF"
fp_cli reload
assert_status 0 "forkpool reload without testplug"
assert_grep '"warnings":\[.*plug-ins cannot change at run time' "$T/out" \
    "forkpool reload's warning about load"
fp_call_ok 7 "tp.ok after a reload that drops its line" tp.ok 7
fp_call_ok '"kQc="' "tp.raw after a reload" tp.raw 7
# With the `handler tp.deadline' line gone, the global timeout (0: none).
fp_call_err invalid_params "call me with a deadline" \
    "tp.deadline without its handler line" tp.deadline
# A `handler' line for an unknown name: the reload is rejected.
echo "handler tp.nope timeout 1s" >>"$FP_CONF"
fp_cli reload
assert_status 1 "forkpool reload with handler tp.nope"
assert_grep "^forkpool: bad_request: .*handler tp.nope: unknown handler" \
    "$T/err" "forkpool reload with handler tp.nope"
fp_call_ok 8 "tp.ok after a rejected reload" tp.ok 8

fp_stop_clean
# fini ran once, in the supervisor, at the clean exit.
assert_eq 1 "$(grep -c 'event=testplug_fini plugin=testplug$' "$FP_LOG")" \
    "testplug's fini at shutdown"
fp_info "plug-ins load, answer, crash, reload and stop as documented"
