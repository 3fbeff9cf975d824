#!/bin/sh
# run.sh -- forkpool's test runner.
#
#	sh tests/run.sh [-u|-i|-l] [-j N] BUILDDIR [BUILDDIR ...]
#
# For each build directory: every unit test binary BUILDDIR/tests/test_*
# (exit 0 = pass), then every integration script tests/integration/*.sh run
# with FORKPOOLD, FORKPOOL and FP_BUILD naming that build.  Once, not per
# build: the man page lint (`mandoc -T lint -W warning` must print nothing).
# The three chaos_*.sh share a soak of FP_CHAOS_SECONDS (30) in a build,
# FP_CHAOS_SECONDS_SAN (15) in one whose directory name has "san" in it
# (ASan+UBSan): each runs a third of it.
# -u runs only the unit tests, -i only the integration tests, -l only the
# lint.  Each test runs under `timeout -k 5 180` with its output in a log
# that is printed (last 40 lines) only when it fails.  An AddressSanitizer,
# LeakSanitizer or UBSan report in a test's output or in the daemon logs it
# leaves (tests/lib.sh copies them to FP_LOGDIR) fails that test.
#
# A test that cannot run here (not root, a tool or module missing) prints
# `SKIPPED: reason' and exits 77, as under automake: it is counted as
# skipped, never as passed.
#
# FP_ONLY=GLOB in the environment runs only the integration scripts whose
# name (without .sh) matches GLOB, e.g. FP_ONLY='stats_*'.
# The tests run FP_JOBS at a time (default: one more than the processors
# online, at least 3; -j N sets it, FP_JOBS=1 or -j 1 runs them one by one); their reports
# are printed in the order above all the same.  Each test has its own
# temporary directory; an integration script that must run alone (a
# resource that another test would share, or timing that a loaded machine
# would upset) says so with a line `# fp-serial' and runs when no other
# test does.  A script with a line `# fp-once' runs with the first build
# directory only: one that tests a client package's own build, install or
# type declarations, and no more of the daemon than other tests do; or a
# Redis Streams scenario whose source code other stream scenarios run in
# the sanitizer build too (the suite stays under 10 minutes).
# FP_KEEP=1 in the environment: a failed integration test keeps its
# temporary directory (daemon log, configuration, socket directory) and
# prints `NAME: FP_KEEP=1: temporary directory kept: PATH' in its output.
#
# Prints `PASS name (seconds)`, `SKIP name (reason)` or `FAIL name` per
# test, then one line `N passed, N failed, N skipped`; exits 1 if any test
# failed, 2 on a usage error.

set -u

usage() {
	echo "usage: sh tests/run.sh [-u|-i|-l] [-j N] BUILDDIR [BUILDDIR ...]" >&2
	exit 2
}

mode=all
jobs=${FP_JOBS:-}
while getopts uilj: opt; do
	case $opt in
	u)	mode=unit ;;
	i)	mode=integration ;;
	l)	mode=lint ;;
	j)	jobs=$OPTARG ;;
	*)	usage ;;
	esac
done
# One more than the processors: most tests wait (on daemons, timers,
# Redis) more than they compute, and a suite of 2 jobs on 2 cores left a
# third of the processor time unused (CI at b065d99: 15.7 min of CPU in
# 11.3 min).
if [ -z "$jobs" ]; then
	jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null) || jobs=2
	[ "${jobs:-0}" -ge 2 ] 2>/dev/null || jobs=2
	jobs=$((jobs + 1))
fi
case $jobs in
''|0*|*[!0-9]*) usage ;;
esac
shift $((OPTIND - 1))
if [ $# -eq 0 ] && [ "$mode" != lint ]; then
	usage
fi

root=$(cd "$(dirname "$0")/.." && pwd) || exit 2
cd "$root" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fprun.XXXXXX") || exit 2
# Stops the tests still running (the runner was interrupted), then removes
# their directories.
cleanup() {
	for f in "$tmp"/*/pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	wait
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Harmless for builds without sanitizers; under ASan/UBSan any finding
# aborts the process and leaves its report in the log.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS

SANRE='ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:'
npass=0
nfail=0
nskip=0
ntest=0

pass() {
	npass=$((npass + 1))
	echo "PASS $1${2:+ ($2)}"
}

# skip NAME WHY
skip() {
	nskip=$((nskip + 1))
	echo "SKIP $1${2:+ ($2)}"
}

# fail NAME WHY [LOG]
fail() {
	nfail=$((nfail + 1))
	echo "FAIL $1${2:+ ($2)}"
	if [ $# -ge 3 ] && [ -s "$3" ]; then
		tail -n 40 "$3" | sed 's/^/    /'
	fi
}

# run_test NAME LOGDIR CMD...: run one test (bounded), judge it by its exit
# status and by the sanitizer reports in its output and in LOGDIR.
run_test() {
	name=$1
	logdir=$2
	shift 2
	log=$logdir/output
	rc=0
	t0=$(date +%s%N)
	if [ "$jobs" -gt 1 ]; then
		# In the background (its PID in LOGDIR/pid, for the EXIT trap
		# to stop it) and without the job slots' descriptor.
		timeout -k 5 180 "$@" </dev/null >"$log" 2>&1 3>&- &
		echo $! >"$logdir/pid"
		wait $! || rc=$?
		rm -f "$logdir/pid"
	else
		timeout -k 5 180 "$@" </dev/null >"$log" 2>&1 || rc=$?
	fi
	t1=$(date +%s%N)
	secs=$(( (t1 - t0) / 100000000 ))
	secs="$((secs / 10)).$((secs % 10)) s"
	san=$(grep -Ehs "$SANRE" "$log" "$logdir"/*.log | head -n 3)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "$name" "timed out after 180 s" "$log"
	elif [ -n "$san" ]; then
		for f in "$logdir"/*.log; do
			if [ -f "$f" ] && grep -Eq "$SANRE" "$f"; then
				printf -- '--- %s:\n' "${f##*/}" >>"$log"
				grep -EA 25 "$SANRE" "$f" | head -n 60 >>"$log"
			fi
		done
		fail "$name" "sanitizer: $(echo "$san" | head -n 1)" "$log"
	elif [ "$rc" -eq 77 ]; then
		why=$(sed -n 's/^SKIPPED: //p' "$log" | head -n 1)
		if [ -n "$why" ]; then
			skip "$name" "$why"
		else
			fail "$name" "exit status 77 without a SKIPPED: line" \
			    "$log"
		fi
	elif [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc" "$log"
	else
		pass "$name" "$secs"
	fi
}

# newlogdir: a fresh directory for one test's logs, in ld.
newlogdir() {
	ntest=$((ntest + 1))
	ld=$tmp/$ntest
	mkdir -p "$ld"
}

# With jobs > 1, each test runs in a background subshell that holds one of
# the job slots (a line in the FIFO on descriptor 3) and leaves its report
# in LOGDIR/report and its counts in LOGDIR/counts; the reports are printed
# in the order the tests were started, as soon as all before are done.
shown=1
if [ "$jobs" -gt 1 ]; then
	mkfifo "$tmp/slots" || exit 2
	exec 3<>"$tmp/slots"
	rm -f "$tmp/slots"
	i=0
	while [ "$i" -lt "$jobs" ]; do
		echo >&3
		i=$((i + 1))
	done
fi

# flush: print the reports of the finished tests that are next in order.
flush() {
	while [ "$shown" -le "$ntest" ] && [ -f "$tmp/$shown/counts" ]; do
		cat "$tmp/$shown/report"
		read -r cp cf cs <"$tmp/$shown/counts"
		npass=$((npass + cp))
		nfail=$((nfail + cf))
		nskip=$((nskip + cs))
		shown=$((shown + 1))
	done
}

# drain: wait for every test running, print all the reports.
drain() {
	[ "$jobs" -gt 1 ] || return 0
	wait
	flush
}

# done_here LOGDIR: a test run (and reported) by this shell itself, after
# drain: flush passes over it.
done_here() {
	: >"$1/report"
	echo 0 0 0 >"$1/counts"
	flush
}

# background NAME LOGDIR CMD...: run_test in a background shell, which
# counts its own test only; then it frees its job slot.
background() {
	npass=0 nfail=0 nskip=0
	run_test "$@" >"$2/report" 2>&1
	echo "$npass $nfail $nskip" >"$2/counts.new"
	mv "$2/counts.new" "$2/counts"
	echo >&3
}

# spawn NAME LOGDIR SERIAL CMD...: run_test, in a job slot when there are
# several; SERIAL=1 runs it with no other test at the same time.
spawn() {
	sn=$1
	sd=$2
	serial=$3
	shift 3
	if [ "$jobs" -le 1 ]; then
		run_test "$sn" "$sd" "$@"
	elif [ "$serial" = 1 ]; then
		drain
		run_test "$sn" "$sd" "$@"
		done_here "$sd"
	else
		read -r _ <&3
		background "$sn" "$sd" "$@" &
		flush
	fi
}

run_unit() {
	bd=$1
	found=0
	for t in "$bd"/tests/test_*; do
		if [ ! -f "$t" ] || [ ! -x "$t" ]; then
			continue
		fi
		found=1
		newlogdir
		spawn "$bd/unit/${t##*/}" "$ld" 0 "$t"
	done
	if [ "$found" -eq 0 ]; then
		set -- tests/unit/test_*.c
		if [ -e "$1" ]; then
			drain
			fail "$bd/unit" "no unit test binaries in $bd/tests:" \
			    "run make"
		fi
	fi
}

run_integration() {
	bd=$1
	abs=$(cd "$bd" 2>/dev/null && pwd) || abs=$bd
	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		# FP_ONLY=GLOB: only the scripts whose name matches (a tryout).
		# shellcheck disable=SC2254
		case $(basename "$s" .sh) in
		${FP_ONLY:-*}) ;;
		*) continue ;;
		esac
		# `# fp-once': a script that tests no more of the daemon than
		# another test does (a client's build, install or types) runs
		# with the first build only.
		if [ "$bd" != "$first_bd" ] && grep -q '^# fp-once' "$s"; then
			continue
		fi
		name=$bd/integration/$(basename "$s" .sh)
		if [ ! -x "$abs/forkpoold" ] || [ ! -x "$abs/forkpool" ]; then
			drain
			fail "$name" "$bd/forkpoold or $bd/forkpool not built"
			continue
		fi
		newlogdir
		# The chaos soak runs its full time in the first build; under
		# the sanitizers it is there for memory errors, and a shorter
		# soak reaches the same paths (FP_CHAOS_SECONDS_SAN).
		case ${bd##*/} in
		*san*)	soak=${FP_CHAOS_SECONDS_SAN:-15} ;;
		*)	soak=${FP_CHAOS_SECONDS:-30} ;;
		esac
		# `# fp-serial': a script that must run alone.
		serial=0
		if grep -q '^# fp-serial' "$s"; then
			serial=1
		fi
		spawn "$name" "$ld" "$serial" env FORKPOOLD="$abs/forkpoold" \
		    FORKPOOL="$abs/forkpool" FP_BUILD="$abs" FP_LOGDIR="$ld" \
		    FP_CHAOS_SECONDS="$soak" sh "$s"
	done
}

run_lint() {
	drain
	newlogdir
	set -- man/*.[1-9]
	if [ ! -e "$1" ]; then
		fail lint/mandoc "no manual pages in man/"
	elif ! command -v mandoc >/dev/null 2>&1; then
		fail lint/mandoc "mandoc is not installed"
	else
		mandoc -T lint -W warning "$@" >"$ld/output" 2>&1
		if [ -s "$ld/output" ]; then
			fail lint/mandoc "mandoc -T lint -W warning" "$ld/output"
		else
			pass lint/mandoc
		fi
	fi
	[ "$jobs" -le 1 ] || done_here "$ld"
}

first_bd=${1:-}
if [ "$mode" != lint ]; then
	for bd in "$@"; do
		if [ ! -d "$bd" ]; then
			drain
			fail "$bd" "no such build directory: run make"
			continue
		fi
		if [ "$mode" = all ] || [ "$mode" = unit ]; then
			run_unit "$bd"
		fi
		if [ "$mode" = all ] || [ "$mode" = integration ]; then
			run_integration "$bd"
		fi
	done
fi
if [ "$mode" = all ] || [ "$mode" = lint ]; then
	run_lint
fi
# The JSON fuzz targets, briefly, once (make check-all sets the time).
if [ "$mode" = all ] && [ -n "${FP_FUZZ_SECONDS:-}" ] &&
    [ -f tests/fuzz/run.sh ]; then
	# Alone: it runs its targets FP_JOBS at a time itself.
	newlogdir
	spawn fuzz/json "$ld" 1 env FUZZ_JOBS="$jobs" \
	    sh tests/fuzz/run.sh "$FP_FUZZ_SECONDS"
fi
drain

echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" -eq 0 ]
