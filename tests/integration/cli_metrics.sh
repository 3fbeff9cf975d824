#!/bin/sh
# cli_metrics.sh -- `forkpool metrics' (forkpool(1)) prints the text of
# forkpool.metrics as it is (not as a JSON string): # HELP and # TYPE
# lines, the same text the method answers, which promtool accepts; an
# argument is a usage error.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v promtool >/dev/null 2>&1 ||
    fp_skip "no promtool (make deps installs the package prometheus)"
printf 'workers 2\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_call_ok 1 "echo 1" echo 1

fp_cli metrics
assert_status 0 "forkpool metrics"
assert_empty "$T/err" "forkpool metrics: stderr"
assert_grep '^# HELP forkpool_tasks_total ' "$T/out" "forkpool metrics: HELP"
assert_grep '^# TYPE forkpool_tasks_total counter$' "$T/out" \
    "forkpool metrics: TYPE"
assert_grep '^forkpool_tasks_total\{.*handler="echo".*\} 1$' \
    "$T/out" "forkpool metrics: the echo call"
# The text, byte for byte, with its final newline and no other.
fp_py "$T/out" <<'PY' || fp_fail "forkpool metrics is not the method's text"
import os, sys
import fpclient as fc
out = open(sys.argv[1], "rb").read()
err, res = fc.Conn(os.environ["FP_SOCK"]).call("forkpool.metrics", [])
if err is not None or not isinstance(res, str):
	sys.exit("forkpool.metrics: %r %r" % (err, res))
# The counters may have moved in between: compare the lines that cannot.
want = [l for l in res.encode().split(b"\n") if l.startswith(b"#")]
got = [l for l in out.split(b"\n") if l.startswith(b"#")]
if want != got or not out.endswith(b"\n") or out.endswith(b"\n\n"):
	sys.exit("CLI %r\nmethod %r" % (out[:300], res[:300]))
PY
promtool check metrics <"$T/out" >"$T/prom" 2>&1 || {
	cat "$T/prom" >&2
	fp_fail "promtool check metrics refuses forkpool metrics"
}

fp_cli metrics all
assert_status 2 "forkpool metrics all"
assert_grep '^usage: forkpool' "$T/err" "forkpool metrics all: usage"

fp_stop_clean
fp_info "metrics: the exposition text as it is"
