#!/bin/sh
# daemon_mode.sh -- forkpoold without -d, as an operator or systemd runs it:
# the starting process exits 0 once the socket accepts connections, and the
# pidfile holds the pid of the detached daemon (a session leader, whose
# children are the workers).  Then SIGHUP reloads (a workers change takes
# effect), SIGTERM drains a running task and exits removing the socket and
# the pidfile, and plug-in fini runs in the daemon.  (The exit status of
# the detached daemon: daemon_mode_exit_status.sh; SIGQUIT:
# daemon_mode_sigquit.sh; start-up failures: daemon_mode_start_failures.sh;
# a socket directory not writable: socket_dir_unwritable.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
TESTPLUG_FINI_FILE=$T/fini
export TESTPLUG_FINI_FILE
fp_testplug_conf 2

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
# Large payloads through the detached daemon: blob rings and the
# shared-memory arena (its descriptor passed on the socket).
fp_cli bench -z 1048576 -d 4 -n 40
assert_grep 'tasks=40 errors=0 ' "$T/out" "1 MiB echoes through the daemon"

# SIGHUP reloads: the new worker count takes effect.
sed -i 's/^workers 2$/workers 3/' "$FP_CONF"
kill -HUP "$FP_PID"
fp_wait_nworkers 3
fp_cli ping
assert_out pong "ping after SIGHUP"

# SIGTERM drains: a running task is answered, then the daemon exits and
# removes its socket and pidfile; the plug-in's fini runs in the daemon.
fp_sleep_running 1500
pid=$FP_PID
fp_stop_daemon TERM
fp_wait_bg "$JOB" 10
assert_eq 0 "$FP_RC" "the call running at SIGTERM was answered"
assert_eq 1500 "$(cat "$T/job.out")" "the answer of the call running at SIGTERM"
assert_grep "^fini pid=$pid\$" "$T/fini" "plug-in fini in the daemon"
assert_eq 1 "$(grep -c "^fini pid=$pid\$" "$T/fini")" \
    "plug-in fini ran once in the daemon"
