#!/bin/sh
# daemon_mode_exit_status.sh -- a daemon started without -d and stopped by
# SIGTERM, SIGINT or SIGQUIT exits with status 0 (seen through a
# subreaper), leaving no socket, pidfile or process.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
fp_testplug_conf 1

# The detached daemon is started under tests/integration/subreaper.py,
# which records how it exits ("PID STATUS" lines in $T/reaped, the
# starting process first).
# shellcheck disable=SC2120 # its arguments are optional
reaped_start() {
	rm -f "$T/reaped" "$FP_PIDFILE"
	fp_bg "$FP_PY" "$FP_INTEG/subreaper.py" "$T/reaped" "$FORKPOOLD" \
	    -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE" "$@"
	reaper=$FP_BGPID
	wait_for '[ -s "$FP_PIDFILE" ] || ! fp_alive $reaper' 10 ||
	    fp_fail "no pidfile from the daemon started under a subreaper"
	FP_PID=$(tr -d ' \n' <"$FP_PIDFILE")
	FP_DAEMONS="$FP_DAEMONS $FP_PID"
	FP_ALLD="$FP_ALLD $FP_PID"
	"$FP_PY" "$FP_INTEG/fpclient.py" wait "$FP_SOCK" "$FP_PID" 10 ||
	    fp_fail "the daemon started under a subreaper does not listen"
}

# reaped_stop SIGNAL: stop it as fp_stop_daemon does; it must exit 0.
reaped_stop() {
	_pid=$FP_PID
	fp_stop_daemon "$1"
	fp_wait_bg "$reaper" 10
	assert_eq 0 "$FP_RC" "the subreaper"
	sed -n 1p "$T/reaped" | grep -qx "[0-9]* 0" || {
		cat "$T/reaped" >&2
		fp_fail "SIG$1: the starting process did not exit 0"
	}
	assert_eq "$_pid 0" "$(sed 1d "$T/reaped")" \
	    "pid and exit status of the daemon after SIG$1"
}

for sig in TERM INT QUIT; do
	reaped_start
	fp_wait_nworkers 1
	fp_cli ping
	assert_out pong "ping before SIG$sig"
	reaped_stop "$sig"
done

