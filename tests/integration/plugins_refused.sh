#!/bin/sh
# plugins_refused.sh -- forkpoold -n refuses every bad handler plug-in
# (forkpool_plugin.h, `load' in forkpool.conf(5); the build's test
# plug-ins, see fp_plugins in tests/lib.sh): exit 1, `forkpoold: FILE:LINE:
# load PATH: reason' on stderr, no process left (a probe that hangs past
# load-timeout is killed).  A daemon started with a plug-in whose init
# crashes exits 1 and leaves no socket or pidfile.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_plugins

printf 'not a shared object\n' >"$T/text.so"
BAD=$T/bad.conf

# refused WHAT PATH ARG REASON_ERE [ENV=VALUE]: forkpoold -n with `load
# PATH ARG' on line 3 exits 1 naming the line, the path and the reason.
# load-timeout is $lt: 200 ms for the plug-in that hangs, else 10 s, so
# that a slow probe (a sanitizer build on a loaded machine) is not taken
# for a hung one.
lt=10s
refused() {
	_what=$1
	_path=$2
	_arg=$3
	_re=$4
	shift 4
	{
		echo "load-timeout $lt"
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
lt=200ms
refused "hang in init" "$TP" hang-init \
    "the plug-in did not finish loading within load-timeout \(200 ms\); killed it"
lt=10s
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
