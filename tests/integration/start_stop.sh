#!/bin/sh
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
# start_stop.sh -- start forkpoold in the foreground: the socket appears
# with the configured mode, the pidfile holds the daemon's PID, the workers
# are forked and titled, `forkpool ping` says pong; SIGTERM makes it exit 0
# leaving no socket, no pidfile and no worker; SIGHUP does not stop it.
# (SIGINT and -p none: start_stop_sigint.sh.)
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
# start_stop.sh
workers 2
socket-mode 0600
CONF

fp_start
if [ ! -S "$FP_SOCK" ]; then
	fp_fail "no socket at $FP_SOCK"
fi
assert_eq 600 "$(stat -c %a "$FP_SOCK")" "socket mode (socket-mode 0600)"
if [ ! -f "$FP_PIDFILE" ]; then
	fp_fail "no pidfile at $FP_PIDFILE"
fi
assert_eq "$FP_PID" "$(tr -d ' \n' <"$FP_PIDFILE")" "pidfile content"

fp_cli ping
assert_status 0 "forkpool ping"
assert_out pong "forkpool ping"
fp_run env -u FORKPOOL_SOCKET "$FORKPOOL" -s "$FP_SOCK" ping
assert_status 0 "forkpool -s SOCKET ping"
assert_out pong "forkpool -s SOCKET ping"
fp_cli call forkpool.ping
assert_status 0 "forkpool call forkpool.ping"
assert_json '"pong"' "forkpool call forkpool.ping"

fp_wait_nworkers 2
title=$(tr '\0' ' ' <"/proc/$FP_PID/cmdline")
case $title in
*"forkpoold: supervisor"*) ;;
*)	fp_fail "supervisor process title: expected 'forkpoold: supervisor'," \
	    "got '$title'" ;;
esac
for w in $(fp_workers); do
	title=$(tr '\0' ' ' <"/proc/$w/cmdline")
	case $title in
	*"forkpoold: worker "[0-9]*) ;;
	*)	fp_fail "worker $w process title: expected 'forkpoold: worker N'," \
		    "got '$title'" ;;
	esac
done

# SIGHUP: logged and ignored (reload is a later issue).
kill -HUP "$FP_PID"
fp_cli ping
assert_status 0 "forkpool ping after SIGHUP"
assert_out pong "forkpool ping after SIGHUP"
if ! fp_alive "$FP_PID"; then
	fp_fail "daemon died of SIGHUP"
fi

fp_stop_clean
assert_grep 'level=' "$FP_LOG" "daemon log in logfmt (level=...)"
