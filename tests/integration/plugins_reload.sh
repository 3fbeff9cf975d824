#!/bin/sh
# plugins_reload.sh -- a reload (SIGHUP and forkpool reload) of a daemon
# with plug-ins (fp_start_plugins in tests/lib.sh) with changed `load' lines
# keeps the plug-ins loaded at start (their handlers, their init argument)
# and logs reload_ignored keyword=load, with a warning in forkpool reload's
# answer; new workers run worker_init; a `handler' line naming an unknown
# handler is rejected; fini runs once, in the supervisor, at exit.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_plugins

fp_start_plugins
MANY=$("$FP_PY" -c 'import json; print(json.dumps([{"k": i} for i in range(51)]))')

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
