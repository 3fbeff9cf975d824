#!/bin/sh
# plugins_serve.sh -- a daemon with the example plug-in aggregate.so and
# the test plug-in testplug.so (fp_start_plugins in tests/lib.sh):
# forkpool.handlers lists their handlers; aggregate.group and
# aggregate.group_json answer, and its max-groups argument gives too_large;
# each testplug misbehaviour is answered as forkpool-rpc(7) says (internal
# for a result that is not one object, no result, -1 without an error, a
# code handlers may not use; each allowed code as is); the deadline (per
# handler, with a `handler tp.deadline timeout' line, and per call) is
# timeout; tp.log's line is in the daemon log with plugin=testplug and the
# worker; the host's JSON codecs and raw params work; worker_init ran once
# in each worker; a crash is worker_crashed and a new worker, worker_init
# run, serves the next call; fini runs once, in the supervisor, at exit.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_plugins

fp_start_plugins
assert_grep "event=plugin_loaded plugin=aggregate version=1.0 path=$AGG" \
    "$FP_LOG" "the aggregate plug-in's load"
assert_grep "event=plugin_loaded plugin=testplug version=test path=$TP" \
    "$FP_LOG" "the test plug-in's load"
assert_grep "event=aggregate_ready plugin=aggregate max_groups=50" \
    "$FP_LOG" "aggregate's init log line"

fp_call_ok '["echo","sleep","spin","json.encode","json.decode",
    "aggregate.group","aggregate.group_json","tp.ok","tp.two","tp.none",
    "tp.noerr","tp.badcode","tp.fail","tp.crash","tp.deadline","tp.log",
    "tp.json","tp.pid","tp.raw","tp.threadlog"]' "forkpool.handlers" \
    forkpool.handlers

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

fp_stop_clean
assert_eq 1 "$(grep -c 'event=testplug_fini plugin=testplug$' "$FP_LOG")" \
    "testplug's fini at shutdown"
