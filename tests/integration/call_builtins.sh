#!/bin/sh
# call_builtins.sh -- forkpool(1) calls the built-in handlers sleep and
# spin and the methods forkpool.ping and forkpool.stats: each result is
# one line of JSON on stdout, nothing on stderr, exit 0; forkpool.stats
# has its documented keys and counts the calls.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2

fp_call_ok '25' 'call sleep 25' sleep 25
fp_call_ok '1000' 'call spin 1000' spin 1000
fp_call_ok '"pong"' 'call forkpool.ping' forkpool.ping

fp_cli call forkpool.stats
assert_status 0 "call forkpool.stats"
assert_empty "$T/err" "call forkpool.stats: stderr"
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
if s["tasks_ok"] != 2:
	sys.exit("forkpool.stats tasks_ok after sleep and spin: expected 2, "
	    "got %r" % s["tasks_ok"])
PY
fp_stop_clean
