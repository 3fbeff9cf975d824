#!/bin/sh
# daemon_mode_start_failures.sh -- start-up failures (socket directory
# missing, socket in use, pidfile locked or not writable, a plug-in that
# fails, even one that wrote a NUL byte to stderr first) print
# `forkpoold: PATH: reason' on stderr and exit 1, in daemon mode as with
# -d, leaving nothing behind.  (A socket directory not writable:
# socket_dir_unwritable.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_plugins
FP_CMD_TIMEOUT=15
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
printf 'load "%s" fail-init\n' "$TP" >"$T/bad.conf"
fp_run "$FORKPOOLD" -f "$T/bad.conf" -s "$T/b.sock" -p "$T/b.pid"
assert_status 1 "a plug-in whose init fails (daemon mode)"
assert_grep "^forkpoold: .*the test asked init to fail" "$T/err" \
    "a plug-in whose init fails (daemon mode): message"
if [ -e "$T/b.sock" ] || [ -e "$T/b.pid" ]; then
	fp_fail "a start refused for a plug-in left its socket or pidfile"
fi
# "Ready" is not a byte on stderr: a plug-in whose init writes a NUL there
# and then fails is still a failed start, with its message.
printf 'load "%s" nul-fail-init\n' "$TP" >"$T/nul.conf"
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
