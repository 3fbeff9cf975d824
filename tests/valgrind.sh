#!/bin/sh
# valgrind.sh -- the unit tests and a daemon smoke test under valgrind.
#
#	sh tests/valgrind.sh BUILDDIR
#
# Each unit test BUILDDIR/tests/test_* runs under
# `valgrind --error-exitcode=1 --leak-check=full`.  The smoke test starts
# BUILDDIR/forkpoold under valgrind (--trace-children=no: the workers are
# forked, not exec'd, so they are checked too, each in its own log), makes a
# few calls and a pipelined batch, stops it with SIGTERM and requires exit
# status 0 and `ERROR SUMMARY: 0 errors' from the supervisor and from every
# worker.  Use a build without sanitizers (`make', not `make SANITIZE=1').
#
# Prints `PASS name` or `FAIL name` per test and `N passed, N failed`;
# exits 1 if any test failed, 2 on a usage error.

# Optional arguments of lib.sh helpers default to the smoke test's daemon:
# shellcheck disable=SC2119
set -u

VG="valgrind --error-exitcode=1 --leak-check=full --suppressions=$(cd "$(dirname "$0")" && pwd)/valgrind.supp"

# ---- the smoke test, run as `sh tests/valgrind.sh --smoke BUILDDIR' so
# that lib.sh's traps and temporary directory are its own.
if [ "${1:-}" = --smoke ]; then
	set -eu
	FORKPOOLD=$2/forkpoold
	FORKPOOL=$2/forkpool
	FP_INTEG=$(cd "$(dirname "$0")/integration" && pwd)
	FP_START_TIMEOUT=60
	FP_CMD_TIMEOUT=60
	export FORKPOOLD FORKPOOL FP_INTEG
	# shellcheck source=SCRIPTDIR/lib.sh
	. "$(dirname "$0")/lib.sh"
	mkdir "$T/vg"
	FP_WRAP="$VG --trace-children=no --log-file=$T/vg/vg.%p.log"
	# The example plug-in, loaded (probe child included) and called.
	# Small blob rings: at exit memcheck's leak check reads every mapping,
	# and would fault in the 2 x 256M of each worker's default blob rings
	# (address space, never touched otherwise) past the stop grace.
	printf 'load "%s/plugins/aggregate.so" "max-groups=1000"\nblob-size 4M\n' \
	    "$(cd "$2" && pwd)" >"$FP_CONF"
	fp_start -w 2 -T
	fp_wait_nworkers 2 60
	fp_cli ping
	assert_out pong "ping under valgrind"
	fp_cli call echo '{"a":[1,2.5,"x",null,true]}'
	assert_json '{"a":[1,2.5,"x",null,true]}' "echo under valgrind"
	fp_cli call no_such_method
	assert_status 1 "no_such_method under valgrind"
	fp_cli call forkpool.stats
	assert_status 0 "forkpool.stats under valgrind"
	fp_cli call aggregate.group '[{"k":1,"v":2},{"k":1,"v":0.5},{"k":2}]' \
	    '{"by":"k","aggregates":{"n":["count"],"s":["sum","v"]}}'
	assert_json '[{"k":1,"n":2,"s":2.5},{"k":2,"n":1,"s":null}]' \
	    "aggregate.group under valgrind"
	fp_cli call aggregate.group_json '"[{\"k\":\"a\"}]"' \
	    '{"by":"k","aggregates":{"n":["count"]}}'
	assert_json '"[{\"k\":\"a\",\"n\":1}]"' \
	    "aggregate.group_json under valgrind"
	fp_py <<'PY' || fp_fail "pipelined calls under valgrind (see above)"
import os
import fpclient as fc
c = fc.Conn(os.environ["FP_SOCK"])
exp = {}
for i in range(300):
	if i % 3 == 0:
		exp[c.queue_request("sleep", [i % 5])] = i % 5
	elif i % 3 == 1:
		exp[c.queue_request("echo", [{"i": i, "b": bytes(i)}])] = \
		    {"i": i, "b": bytes(i)}
	else:
		exp[c.queue_request("spin", [100])] = 100
c.queue(fc.pack([0, 99999, 5, []]))
got = c.pump(301, 120)
for m, _ in got:
	fc.check_response(m)
	if m[1] == 99999:
		if fc.code(m[2]) != "bad_request":
			fc.fail("bad request: %r" % (m,))
	elif m[2] is not None or m[3] != exp[m[1]]:
		fc.fail("unexpected %r" % (m,))
c.queue(b"\xc1")
c.pump(None, 30)
PY
	fp_cli call crash
	assert_status 1 "crash under valgrind"
	fp_wait_nworkers 2 60
	fp_cli call echo '"after crash"'
	assert_json '"after crash"' "echo after a crash under valgrind"
	FP_STATUS=0
	fp_stop "$FP_PID" 120 || true
	assert_eq 0 "$FP_STATUS" "exit status of forkpoold under valgrind"
	fp_check_no_workers 0
	# Every process's log: the supervisor, the workers, the one that
	# crashed on purpose (its SIGSEGV is not a valgrind error unless
	# valgrind found one before it).
	nlog=0
	for f in "$T"/vg/vg.*.log; do
		[ -f "$f" ] || continue
		nlog=$((nlog + 1))
		if ! grep -q 'ERROR SUMMARY: 0 errors' "$f"; then
			cat "$f" >&2
			fp_fail "valgrind found errors in process ${f##*/vg.}"
		fi
	done
	if [ "$nlog" -lt 3 ]; then
		ls -l "$T/vg" >&2
		fp_fail "expected valgrind logs of the supervisor and its" \
		    "workers, found $nlog"
	fi
	exit 0
fi

# ---- the runner.
if [ $# -ne 1 ]; then
	echo "usage: sh tests/valgrind.sh BUILDDIR" >&2
	exit 2
fi
bd=$1
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
	exit 2
fi
if grep -qa __asan_init "$bd/forkpoold" 2>/dev/null; then
	echo "valgrind.sh: $bd is a sanitizer build; use a plain one" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd) || exit 2
cd "$root" || exit 2
abs=$(cd "$bd" && pwd) || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fpvg.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
npass=0
nfail=0

# judge NAME RC LOG
judge() {
	if [ "$2" -eq 0 ]; then
		npass=$((npass + 1))
		echo "PASS $1"
	else
		nfail=$((nfail + 1))
		if [ "$2" -eq 124 ] || [ "$2" -eq 137 ]; then
			echo "FAIL $1 (timed out)"
		else
			echo "FAIL $1 (exit status $2)"
		fi
		tail -n 40 "$3" | sed 's/^/    /'
	fi
}

for t in "$abs"/tests/test_*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then
		continue
	fi
	name=valgrind/${t##*/}
	rc=0
	# shellcheck disable=SC2086
	timeout -k 5 600 $VG "$t" </dev/null >"$tmp/out" 2>&1 || rc=$?
	judge "$name" "$rc" "$tmp/out"
done
rc=0
if [ -x "$abs/forkpoold" ] && [ -x "$abs/forkpool" ]; then
	timeout -k 5 600 sh "$0" --smoke "$abs" </dev/null >"$tmp/out" 2>&1 ||
	    rc=$?
else
	echo "$bd/forkpoold or $bd/forkpool not built" >"$tmp/out"
	rc=1
fi
judge valgrind/daemon_smoke "$rc" "$tmp/out"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
