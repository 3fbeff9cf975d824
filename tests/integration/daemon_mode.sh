#!/bin/sh
# daemon_mode.sh -- forkpoold without -d, as an operator or systemd runs it:
# the starting process exits 0 once the socket accepts connections, and the
# pidfile holds the pid of the detached daemon (a session leader, whose
# children are the workers).  Then SIGHUP reloads (a workers change takes
# effect), SIGTERM drains and exits removing the socket and the pidfile,
# SIGINT likewise, SIGQUIT stops at once, each with exit status 0 (seen
# through a subreaper); no process is left, and plug-in fini runs in the
# daemon.  Start-up failures (socket directory missing, socket in use,
# pidfile locked or not writable, a plug-in that fails, even one that wrote
# a NUL byte to stderr first) print `forkpoold: PATH: reason' on stderr and
# exit 1, in daemon mode as with -d, leaving nothing behind.  (A socket
# directory not writable: socket_dir_unwritable.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

build=${FP_BUILD:-$(dirname "$FORKPOOLD")}
plug=$build/tests/plugins/testplug.so
if [ ! -f "$plug" ]; then
	fp_fail "no $plug (make all builds it)"
fi
FP_CMD_TIMEOUT=15
TESTPLUG_FINI_FILE=$T/fini
export TESTPLUG_FINI_FILE

cat >"$FP_CONF" <<CONF
workers 2
load "$plug"
CONF

# ---- start, reload, SIGTERM ---------------------------------------------

fp_start_daemon
assert_empty "$T/start.err" "daemon mode start: stderr"
read -r _l <"/proc/$FP_PID/stat"
# shellcheck disable=SC2086
set -- ${_l##*) }
if [ "$2" = "$$" ]; then
	fp_fail "the daemon (pid $FP_PID) is still a child of the test shell"
fi
sid=$4
assert_eq "$FP_PID" "$sid" "session of the detached daemon (setsid)"
title=$(tr '\0' ' ' <"/proc/$FP_PID/cmdline")
case $title in
*"forkpoold: supervisor"*) ;;
*)	fp_fail "the pidfile's pid $FP_PID is not the supervisor: '$title'" ;;
esac
fp_wait_nworkers 2
assert_eq "$FP_PID" "$(fp_stat pid)" "pid in forkpool.stats"
fp_cli ping
assert_status 0 "ping the daemon"
assert_out pong "ping the daemon"
fp_call_ok '[1,"x"]' "echo through the daemon" echo '[1,"x"]'

# SIGHUP reloads: the new worker count takes effect.
sed -i 's/^workers 2$/workers 3/' "$FP_CONF"
kill -HUP "$FP_PID"
fp_wait_nworkers 3
fp_cli ping
assert_out pong "ping after SIGHUP"

# SIGTERM drains: a running task is answered, then the daemon exits and
# removes its socket and pidfile; the plug-in's fini runs in the daemon.
fp_bg "$FORKPOOL" call sleep 1500 >"$T/job.out" 2>&1
job=$FP_BGPID
wait_for '[ "$(fp_stat running)" -ge 1 ]' 10 ||
    fp_fail "the sleep did not start"
pid=$FP_PID
fp_stop_daemon TERM
fp_wait_bg "$job" 10
assert_eq 0 "$FP_RC" "the call running at SIGTERM was answered"
assert_eq 1500 "$(cat "$T/job.out")" "the answer of the call running at SIGTERM"
assert_grep "^fini pid=$pid\$" "$T/fini" "plug-in fini in the daemon"
assert_eq 1 "$(grep -c "^fini pid=$pid\$" "$T/fini")" \
    "plug-in fini ran once in the daemon"

# ---- the exit status of the detached daemon --------------------------------

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

sed -i 's/^workers 3$/workers 1/' "$FP_CONF"
for sig in TERM INT QUIT; do
	reaped_start
	fp_wait_nworkers 1
	fp_cli ping
	assert_out pong "ping before SIG$sig"
	reaped_stop "$sig"
done

# ---- SIGQUIT does not wait for a running task -------------------------------

fp_start_daemon
fp_wait_nworkers 1
fp_cli ping
assert_out pong "ping before SIGQUIT"
fp_bg "$FORKPOOL" call sleep 30000 >"$T/job.out" 2>&1
job=$FP_BGPID
wait_for '[ "$(fp_stat running)" -ge 1 ]' 10 ||
    fp_fail "the sleep did not start"
fp_stop_daemon QUIT
# At once: the 30 s sleep is answered shutting_down, not waited for.
fp_wait_bg "$job" 10
assert_eq 1 "$FP_RC" "the call running at SIGQUIT: answered with an error"
assert_grep "shutting_down" "$T/job.out" "the call running at SIGQUIT"

# ---- start-up failures, in both modes ------------------------------------

: >"$FP_CONF"
# no_starter_left WHAT: no process has this test's directory in its
# command line: a start that failed left no child behind, not even in a
# session of its own (a started daemon's title replaces its arguments).
no_starter_left() {
	_left=$("$FP_PY" -c '
import os, sys
for p in os.listdir("/proc"):
	if not p.isdigit() or int(p) == os.getpid():
		continue
	try:
		with open("/proc/%s/cmdline" % p, "rb") as f:
			if sys.argv[1].encode() in f.read():
				print(p)
	except (OSError, ValueError):
		pass' "$T/" | grep -vx "$$" || true)
	if [ -n "$_left" ]; then
		# shellcheck disable=SC2086
		ps -o pid,ppid,sid,args -p "$(echo $_left | tr ' ' ,)" >&2 || true
		fp_fail "$1: a process of the failed start is left: $_left"
	fi
}

# fail_both WHAT PATTERN OPTION...: in daemon mode and with -d, forkpoold
# OPTION... exits 1 with a line matching PATTERN on stderr, nothing else
# there, and leaves no process of its own.
fail_both() {
	_what=$1
	_pat=$2
	shift 2
	for _mode in daemon -d; do
		if [ "$_mode" = -d ]; then
			set -- -d "$@"
		fi
		fp_run "$FORKPOOLD" -f "$FP_CONF" "$@"
		assert_status 1 "$_what ($_mode)"
		assert_grep "^forkpoold: $_pat" "$T/err" "$_what ($_mode): message"
		if [ "$(grep -vc '^ts=' "$T/err")" != 1 ]; then
			fp_show_output
			fp_fail "$_what ($_mode): expected one message line"
		fi
		fp_check_no_workers 5
		no_starter_left "$_what ($_mode)"
	done
}

fail_both "socket directory missing" \
    "$T/nodir/sub: cannot create the directory: No such file or directory" \
    -s "$T/nodir/sub/s.sock" -p none
if [ -e "$T/nodir" ]; then
	fp_fail "a failed start created $T/nodir"
fi
mkdir "$T/adir"
fail_both "pidfile not writable (a directory)" "$T/adir: Is a directory" \
    -s "$T/a.sock" -p "$T/adir"
if [ -e "$T/a.sock" ]; then
	fp_fail "a start refused for its pidfile left its socket"
fi
printf 'load "%s" fail-init\n' "$plug" >"$T/bad.conf"
fp_run "$FORKPOOLD" -f "$T/bad.conf" -s "$T/b.sock" -p "$T/b.pid"
assert_status 1 "a plug-in whose init fails (daemon mode)"
assert_grep "^forkpoold: .*the test asked init to fail" "$T/err" \
    "a plug-in whose init fails (daemon mode): message"
if [ -e "$T/b.sock" ] || [ -e "$T/b.pid" ]; then
	fp_fail "a start refused for a plug-in left its socket or pidfile"
fi
# "Ready" is not a byte on stderr: a plug-in whose init writes a NUL there
# and then fails is still a failed start, with its message.
printf 'load "%s" nul-fail-init\n' "$plug" >"$T/nul.conf"
for _mode in daemon -d; do
	if [ "$_mode" = -d ]; then
		set -- -d
	else
		set --
	fi
	fp_run "$FORKPOOLD" "$@" -f "$T/nul.conf" -s "$T/b.sock" -p "$T/b.pid"
	_what="a plug-in that writes a NUL to stderr, then fails ($_mode)"
	assert_status 1 "$_what"
	assert_grep "forkpoold: .*init failed after a NUL on stderr" "$T/err" \
	    "$_what: message"
	fp_check_no_workers 5
	no_starter_left "$_what"
	if [ -e "$T/b.sock" ] || [ -e "$T/b.pid" ]; then
		fp_fail "$_what: its socket or pidfile left"
	fi
done

# Against a running daemon: its socket in use, its pidfile locked.
fp_start_daemon
fail_both "socket in use" "$FP_SOCK: another forkpoold is listening on it" \
    -s "$FP_SOCK" -p "$T/other.pid"
if [ -e "$T/other.pid" ]; then
	fp_fail "a start refused for its socket left its pidfile"
fi
fail_both "pidfile locked" \
    "$FP_PIDFILE: locked by pid $FP_PID: is forkpoold already running\\?" \
    -s "$T/other.sock" -p "$FP_PIDFILE"
if [ -e "$T/other.sock" ]; then
	fp_fail "a start refused for its pidfile left its socket"
fi
assert_eq "$FP_PID" "$(tr -d ' \n' <"$FP_PIDFILE")" \
    "pidfile of the running daemon after refused starts"
fp_cli ping
assert_out pong "the running daemon after refused starts"

fp_stop_daemon TERM
