#!/bin/sh
# closed_stdio.sh -- forkpoold started with standard input, output and
# error closed (<&- >&- 2>&-), with -d and in daemon mode, `user nobody':
# descriptors 0 to 2 of the supervisor are /dev/null, never the pidfile,
# the epoll or the signal descriptor, and it runs and stops cleanly.  A
# worker (uid nobody) holds only what it needs: standard input and output
# /dev/null, standard error a pipe whose other end the supervisor holds
# (it logs what comes: worker_stderr), and its two eventfds; never the
# pidfile.  In
# daemon mode with only standard error open, a failed start still prints
# its reason and exits 1.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "closed_stdio.sh must run as root (its workers run as nobody)"
fi
cat >"$FP_CONF" <<CONF
workers 1
user nobody
CONF

efds="3:anon_inode:[eventfd] 4:anon_inode:[eventfd]"

# fds PID: "N:TARGET" for each descriptor of PID, by number, one line.
fds() {
	for _f in /proc/"$1"/fd/*; do
		printf '%s:%s\n' "${_f##*/}" "$(readlink "$_f" || true)"
	done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# worker_fds WHAT SUP: the worker's descriptors, its stderr a pipe that
# the supervisor (descriptors SUP, as fds prints them) holds.
worker_fds() {
	_w=$(fp_workers)
	_wf=$(fds "$_w")
	_p=${_wf#*2:}
	_p=${_p%% *}
	case "$_p" in
	pipe:\[*\]) ;;
	*)	fp_fail "$1: the worker's stderr is not a pipe: $_wf" ;;
	esac
	case " $2 " in
	*":$_p "*) ;;
	*)	fp_fail "$1: the supervisor does not hold $_p: $2" ;;
	esac
	assert_eq "0:/dev/null 1:/dev/null 2:$_p $efds" "$_wf" \
	    "$1: the worker's descriptors"
}

# check_fds WHAT STDERR: the supervisor's and its worker's descriptors.
check_fds() {
	_sup=$(fds "$FP_PID")
	case "$_sup " in
	"0:/dev/null 1:/dev/null 2:$2 "*) ;;
	*)	fp_fail "$1: the supervisor's descriptors: $_sup" ;;
	esac
	case " $_sup " in
	*":$FP_PIDFILE "*) ;;
	*)	fp_fail "$1: the supervisor does not hold its pidfile: $_sup" ;;
	esac
	fp_wait_nworkers 1
	_w=$(fp_workers)
	assert_eq 65534 "$(awk '/^Uid:/ { print $3 }' "/proc/$_w/status")" \
	    "$1: the worker's uid"
	worker_fds "$1" "$(fds "$FP_PID")"
}

# ---- -d -------------------------------------------------------------------

# Not fp_bg: the redirections must be on the `&' command itself, or the
# shell gives it /dev/null for standard input.
# shellcheck disable=SC2086
$FP_SIGDFL "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE" \
    <&- >&- 2>&- &
FP_PID=$!
FP_DAEMONS="$FP_DAEMONS $FP_PID"
FP_ALLD="$FP_ALLD $FP_PID"
"$FP_PY" "$FP_INTEG/fpclient.py" wait "$FP_SOCK" "$FP_PID" 10 ||
    fp_fail "-d with stdio closed: the daemon does not listen"
check_fds "-d with stdio closed" /dev/null
fp_cli ping
assert_out pong "-d with stdio closed: ping"
fp_stop_clean

# -d with stdio open: a worker's standard error is not the log (a pipe to
# the supervisor), its standard input and output are not the supervisor's.
echo input >"$T/stdin"
# shellcheck disable=SC2086
$FP_SIGDFL "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE" \
    <"$T/stdin" >"$T/stdout" 2>>"$FP_LOG" &
FP_PID=$!
FP_DAEMONS="$FP_DAEMONS $FP_PID"
FP_ALLD="$FP_ALLD $FP_PID"
"$FP_PY" "$FP_INTEG/fpclient.py" wait "$FP_SOCK" "$FP_PID" 10 ||
    fp_fail "-d, stdin a file: the daemon does not listen"
_sup=$(fds "$FP_PID")
case "$_sup " in
"0:$T/stdin 1:$T/stdout 2:$FP_LOG "*) ;;
*)	fp_fail "-d, stdin a file: the supervisor's descriptors: $_sup" ;;
esac
fp_wait_nworkers 1
worker_fds "-d, stdin a file" "$(fds "$FP_PID")"
fp_stop_clean

# ---- daemon mode ------------------------------------------------------------

FP_RC=0
timeout -k 2 10 "$FORKPOOLD" -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE" \
    <&- >&- 2>&- || FP_RC=$?
assert_eq 0 "$FP_RC" "daemon mode with stdio closed: exit status"
FP_PID=$(tr -d ' \n' <"$FP_PIDFILE")
FP_DAEMONS="$FP_DAEMONS $FP_PID"
FP_ALLD="$FP_ALLD $FP_PID"
"$FP_PY" "$FP_INTEG/fpclient.py" wait "$FP_SOCK" "$FP_PID" 10 ||
    fp_fail "daemon mode with stdio closed: the daemon does not listen"
check_fds "daemon mode with stdio closed" /dev/null
fp_cli ping
assert_out pong "daemon mode with stdio closed: ping"
fp_stop_daemon TERM

# A failed start (the pidfile a directory) with only stderr open.
mkdir "$T/adir"
FP_RC=0
timeout -k 2 10 "$FORKPOOLD" -f "$FP_CONF" -s "$FP_SOCK" -p "$T/adir" \
    <&- >&- 2>"$T/err" || FP_RC=$?
assert_eq 1 "$FP_RC" "daemon mode, stdin and stdout closed, failed start"
assert_grep "^forkpoold: $T/adir: Is a directory\$" "$T/err" \
    "daemon mode, stdin and stdout closed, failed start: message"
if [ -e "$FP_SOCK" ]; then
	fp_fail "a failed start left its socket"
fi
fp_info "ok"
