#!/bin/sh
# spin_idle.sh -- an idle daemon uses no CPU: after a burst of requests
# sent one at a time (which is when the supervisor and the workers spin,
# spin in forkpool.conf(5)), the supervisor and its workers use at most a
# few clock ticks of CPU time over 3 s without requests.  A spin that did
# not stop would use about 100 ticks a second.  CPU time, read from
# /proc/PID/stat, not timing: it holds on a loaded machine.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

IDLE_S=3
MAX_TICKS=3

# cpu_ticks PID...: utime + stime of these processes, in clock ticks.
cpu_ticks() {
	_sum=0
	for _p in "$@"; do
		read -r _line <"/proc/$_p/stat" ||
		    fp_fail "process $_p is gone"
		# shellcheck disable=SC2086
		set -- ${_line##*) }
		# Fields 14 and 15 of stat(5); $1 is field 3 here.
		shift 11
		_sum=$((_sum + $1 + $2))
	done
	printf '%s' "$_sum"
}

echo 'spin auto' >"$FP_CONF"
fp_start -w 2
fp_wait_nworkers 2
fp_cli bench -d 1 -n 10000
assert_status 0 "forkpool bench -d 1 -n 10000"
assert_grep 'tasks=10000 errors=0 ' "$T/out" "the burst's answers"
# Let the last answers and the tick after them pass, then measure.
sleep 1
procs="$FP_PID $(fp_workers | tr '\n' ' ')"
# shellcheck disable=SC2086
before=$(cpu_ticks $procs)
sleep "$IDLE_S"
# shellcheck disable=SC2086
after=$(cpu_ticks $procs)
assert_eq "$procs" "$FP_PID $(fp_workers | tr '\n' ' ')" \
    "the same processes after $IDLE_S s"
used=$((after - before))
fp_info "idle for $IDLE_S s: $used clock ticks (supervisor and workers)"
if [ "$used" -gt "$MAX_TICKS" ]; then
	fp_fail "an idle daemon used $used clock ticks in $IDLE_S s" \
	    "(at most $MAX_TICKS)"
fi
fp_stop_clean
