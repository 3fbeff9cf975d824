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

fp_plugins
FP_CMD_TIMEOUT=15
cat >"$FP_CONF" <<CONF
workers 1
load "$TP"
CONF

# A detached daemon is nobody's child but init's: start it under a
# subreaper (PR_SET_CHILD_SUBREAPER), which inherits it and records how it
# exits ("PID STATUS" lines in $T/reaped, STATUS as Python's
# waitstatus_to_exitcode: -N for signal N).
# shellcheck disable=SC2120 # its arguments are optional
reaped_start() {
	rm -f "$T/reaped" "$FP_PIDFILE"
	fp_bg "$FP_PY" -c '
import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
	sys.exit(3)
pid = os.fork()
if pid == 0:
	os.execv(sys.argv[2], sys.argv[2:])
_, st = os.waitpid(pid, 0)
if os.waitstatus_to_exitcode(st) != 0:
	sys.exit(4)
while True:
	try:
		p, st = os.waitpid(-1, 0)
	except ChildProcessError:
		break
	with open(sys.argv[1], "a") as f:
		f.write("%d %d\n" % (p, os.waitstatus_to_exitcode(st)))
' "$T/reaped" "$FORKPOOLD" -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE" \
	    "$@"
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
	assert_eq "$_pid 0" "$(cat "$T/reaped")" \
	    "pid and exit status of the daemon after SIG$1"
}

for sig in TERM INT QUIT; do
	reaped_start
	fp_wait_nworkers 1
	fp_cli ping
	assert_out pong "ping before SIG$sig"
	reaped_stop "$sig"
done

