#!/bin/sh
# startup_signals.sh -- a signal that comes during start-up, while a
# plug-in is being tried by its probe child (testplug gate-init: its init
# waits until the test opens a gate), neither kills the starting daemon
# nor leaves the probe behind: it is held until the daemon is ready, then
# acted on as forkpoold(8) says.  SIGTERM: the daemon starts, drains and
# exits 0 (with -d, and in daemon mode, where the starting process exits 0
# too); SIGINT likewise, even when the daemon was started with it ignored
# (as a shell's `&' does); SIGHUP: it starts and reloads, and runs on;
# with -n it takes effect once the plug-ins are tried (exit by the signal).
# The probe runs with the signals as forkpoold was started with, not
# blocked.  No process is left after any of these.
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
TESTPLUG_INIT_FILE=$T/init
TESTPLUG_INIT_GATE=$T/gate
export TESTPLUG_INIT_FILE TESTPLUG_INIT_GATE

cat >"$FP_CONF" <<CONF
workers 1
load-timeout 20s
load "$plug" gate-init
CONF

# ppid_of PID
ppid_of() {
	read -r _l <"/proc/$1/stat"
	# shellcheck disable=SC2086
	set -- ${_l##*) }
	printf '%s' "$2"
}

# wait_probe WHAT: wait until the plug-in's init runs in the probe; its
# pid in probe, its parent (the process loading plug-ins) in loader.
wait_probe() {
	wait_for '[ -s "$T/init" ]' 10 ||
	    fp_fail "$1: the plug-in's init did not start"
	probe=$(sed -n '1s/^init pid=\([0-9]*\) .*/\1/p' "$T/init")
	assert_grep '^init pid=[0-9]+ sigterm=unblocked$' "$T/init" \
	    "$1: the probe's signal mask"
	loader=$(ppid_of "$probe")
}

# gate_open WHAT: let init go on; the probe must then finish.
gate_open() {
	: >"$T/gate"
	wait_for "! fp_alive $probe" 10 ||
	    fp_fail "$1: the probe $probe still runs after its init returned"
}

reset() {
	rm -f "$T/init" "$T/gate" "$FP_SOCK" "$FP_PIDFILE"
	: >"$FP_LOG"
}

# gated_fg SIG [sigign]: forkpoold -d, SIG sent while the probe runs; with
# sigign it was started with SIGINT and SIGQUIT ignored (plain `&').
gated_fg() {
	reset
	if [ "${2:-}" = sigign ]; then
		fp_bg "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" \
		    -p "$FP_PIDFILE" </dev/null >>"$FP_LOG" 2>&1
	else
		# shellcheck disable=SC2086
		fp_bg $FP_SIGDFL "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" \
		    -p "$FP_PIDFILE" </dev/null >>"$FP_LOG" 2>&1
	fi
	FP_PID=$FP_BGPID
	FP_ALLD="$FP_ALLD $FP_PID"
	wait_probe "-d SIG$1"
	assert_eq "$FP_PID" "$loader" "-d SIG$1: parent of the probe"
	kill "-$1" "$FP_PID"
	gate_open "-d SIG$1"
}

# ---- with -d: TERM, INT (also when started with it ignored), QUIT -------

for case in TERM INT INT:sigign QUIT; do
	sig=${case%%:*}
	how=${case#"$sig"}
	gated_fg "$sig" "${how#:}"
	fp_record_workers
	fp_wait_bg "$FP_PID" 15
	if [ "$FP_RC" != 0 ]; then
		cat "$FP_LOG" >&2
		fp_fail "-d, SIG$sig during start-up ($case): exit status" \
		    "$FP_RC, expected 0"
	fi
	fp_check_log
	assert_grep "event=start " "$FP_LOG" "-d SIG$sig: the daemon started"
	if [ "$sig" = QUIT ]; then
		assert_grep "event=shutdown_stop .*reason=SIGQUIT" "$FP_LOG" \
		    "-d SIGQUIT: stopped"
	else
		assert_grep "event=shutdown_drain " "$FP_LOG" \
		    "-d SIG$sig: drained"
	fi
	assert_eq 2 "$(grep -c '^init pid=' "$T/init")" \
	    "-d SIG$sig: init ran in the probe and in the daemon"
	fp_check_no_workers 5
	if [ -e "$FP_SOCK" ] || [ -e "$FP_PIDFILE" ]; then
		fp_fail "-d SIG$sig: socket or pidfile left"
	fi
done

# ---- with -d: HUP reloads, and the daemon runs on -------------------------

gated_fg HUP
"$FP_PY" "$FP_INTEG/fpclient.py" wait "$FP_SOCK" "$FP_PID" 10 ||
    fp_fail "-d SIGHUP during start-up: the daemon does not listen"
FP_DAEMONS="$FP_DAEMONS $FP_PID"
wait_for 'grep -q "event=reload" "$FP_LOG"' 10 || {
	cat "$FP_LOG" >&2
	fp_fail "-d SIGHUP during start-up: no reload logged"
}
assert_grep "event=sighup " "$FP_LOG" "-d SIGHUP: the signal was read"
fp_cli ping
assert_out pong "-d SIGHUP: ping after the reload"
fp_forget "$FP_PID"
fp_stop_clean

# ---- daemon mode: TERM ----------------------------------------------------

# Under a subreaper, which records how the starting process and the
# detached daemon exit ("PID STATUS" lines in $T/reaped).
reset
rm -f "$T/reaped"
# shellcheck disable=SC2086
fp_bg $FP_SIGDFL "$FP_PY" -c '
import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
	sys.exit(3)
pid = os.fork()
if pid == 0:
	os.execv(sys.argv[2], sys.argv[2:])
while True:
	try:
		p, st = os.waitpid(-1, 0)
	except ChildProcessError:
		break
	with open(sys.argv[1], "a") as f:
		f.write("%d %d\n" % (p, os.waitstatus_to_exitcode(st)))
' "$T/reaped" "$FORKPOOLD" -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE" \
    2>"$T/start.err"
reaper=$FP_BGPID
wait_probe "daemon mode SIGTERM"
starter=$(ppid_of "$loader")
assert_eq "$reaper" "$(ppid_of "$starter")" \
    "daemon mode: the loading daemon is a child of the starting process"
FP_ALLD="$FP_ALLD $loader"
kill -TERM "$loader"
gate_open "daemon mode SIGTERM"
fp_wait_bg "$reaper" 15
assert_eq 0 "$FP_RC" "daemon mode SIGTERM: the subreaper"
assert_empty "$T/start.err" "daemon mode SIGTERM: stderr of the start"
sed -n 1p "$T/reaped" | grep -qx "[0-9]* 0" || {
	cat "$T/reaped" >&2
	fp_fail "daemon mode SIGTERM: the starting process did not exit 0"
}
assert_eq "$loader 0" "$(sed -n 2p "$T/reaped")" \
    "daemon mode SIGTERM: pid and exit status of the daemon"
assert_eq 2 "$(grep -c '^init pid=' "$T/init")" \
    "daemon mode SIGTERM: init ran in the probe and in the daemon"
fp_check_no_workers 5
if [ -e "$FP_SOCK" ] || [ -e "$FP_PIDFILE" ]; then
	fp_fail "daemon mode SIGTERM: socket or pidfile left"
fi

# ---- -n: the signal takes effect once the plug-ins are tried --------------

reset
# shellcheck disable=SC2086
fp_bg $FP_SIGDFL "$FORKPOOLD" -n -f "$FP_CONF" -s "$FP_SOCK" \
    -p "$FP_PIDFILE" >"$T/out" 2>"$T/err"
check=$FP_BGPID
wait_probe "-n SIGTERM"
assert_eq "$check" "$loader" "-n SIGTERM: parent of the probe"
kill -TERM "$check"
gate_open "-n SIGTERM"
fp_wait_bg "$check" 15
assert_eq 143 "$FP_RC" "-n SIGTERM during the check: exit status"
assert_empty "$T/out" "-n SIGTERM during the check: stdout"
fp_check_no_workers 5
fp_info "ok"
