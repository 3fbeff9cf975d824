#!/bin/sh
# error_codes.sh -- every error code of forkpool-rpc(7) (enum fp_err of
# forkpool.h), each provoked for real against the daemon through
# forkpool(1), prints `forkpool: CODE: message' on stderr with exit status
# 1 and nothing on stdout; the lines, in the order of enum fp_err, are
# compared with expected/error_codes (diff -u).
#
# forkpool(1) sends one request a connection and forkpool.cancel acts on
# the requests of its own connection, so `cancelled' goes through
# `fpclient.py cancel-proxy', which relays the client's connection and
# cancels its request there.  Paths of this run are printed as $T, a
# worker's slot and PID as N.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	fp_skip "needs root and setpriv (permission_denied is provoked as" \
	    "nobody)"
fi
fp_plugins
chmod 0711 "$T"

write_conf() {
	cat >"$FP_CONF" <<CONF
workers 2
prefetch 1
queue-limit 1
socket-mode 0666
test-handlers yes
max-request-size 1K
breaker-threshold 1
handler hang timeout 200ms
respawn-backoff-max 100ms
shutdown-timeout 1s
load "$TP"
CONF
}
write_conf

# got CODE ARG...: `forkpool ARG...' as fp_cli; its error line goes to
# $T/line.CODE (with $T for this run's directory) once it is checked to be
# one line of CODE, with exit status 1 and no stdout.
got() {
	_code=$1
	shift
	fp_cli "$@"
	record "$_code" "forkpool $*"
}

# record CODE WHAT: judge the last fp_run (or $T/out, $T/err and FP_RC as
# left by fp_wait_bg) as got does.
record() {
	assert_status 1 "$2"
	assert_empty "$T/out" "$2: stdout"
	assert_eq 1 "$(wc -l <"$T/err" | tr -d ' ')" "$2: lines on stderr"
	assert_grep "^forkpool: $1: " "$T/err" "$2"
	sed -e "s|$T|\$T|g" \
	    -e 's/worker [0-9]* (pid [0-9]*)/worker N (pid N)/' \
	    "$T/err" >"$T/line.$1"
}

# bg_call NAME ARG...: `forkpool call ARG...' in the background, output in
# $T/NAME.out and $T/NAME.err; its PID in FP_BGPID.
bg_call() {
	_n=$1
	shift
	fp_bg "$FORKPOOL" call "$@" >"$T/$_n.out" 2>"$T/$_n.err"
}

# bg_record CODE NAME PID: reap a bg_call (bounded) and record its answer.
bg_record() {
	fp_wait_bg "$3" 20
	cp "$T/$2.out" "$T/out"
	cp "$T/$2.err" "$T/err"
	record "$1" "forkpool call ($2)"
}

fp_start

# bad_request: a reload whose configuration file no longer parses.
# handler_error: tp.fail with FP_E_HANDLER_ERROR (8).
echo "workers lots" >"$FP_CONF"
got bad_request reload
write_conf

got no_such_method call no.such.method
got invalid_params call sleep '"x"'
got too_large call echo "\"$(printf '%02000d' 0)\""

got timeout call hang
got worker_crashed call crash
got handler_error call tp.fail 8 '"the handler said no"'
# The breaker of crash opened at its first failure (breaker-threshold 1).
got circuit_open call crash

# cancelled: a running `sleep 300', cancelled on its own connection; with
# cancel-running drop it is answered at once and finishes unheard.
fp_bg "$FP_PY" "$FP_INTEG/fpclient.py" cancel-proxy "$T/proxy.sock" \
    "$FP_SOCK"
proxy=$FP_BGPID
wait_for '[ -S "$T/proxy.sock" ] || ! fp_alive $proxy' 10 ||
    fp_fail "cancel-proxy: no socket $T/proxy.sock after 10 s"
got cancelled -s "$T/proxy.sock" call sleep 300
fp_wait_bg "$proxy" 10
assert_eq 0 "$FP_RC" "cancel-proxy exit status"
wait_for '[ "$(fp_stat running)" = 0 ]' 10 ||
    fp_fail "the cancelled sleep 300 still runs after 10 s"

# permission_denied: nobody may not reload.
# shellcheck disable=SC2086 # a command and its arguments
fp_run $FP_NOBODY "$FORKPOOL" reload
record permission_denied "forkpool reload as nobody"

got internal call tp.none

# queue_full: both workers run `sleep 30000' (prefetch 1), one call waits
# in the queue (queue-limit 1), the next is refused.
bg_call a1 sleep 30000
a1=$FP_BGPID
bg_call a2 sleep 30000
wait_for '[ "$(fp_stat running)" = 2 ]' 10 ||
    fp_fail "two sleep 30000 not running after 10 s"
bg_call q sleep 1
wait_for '[ "$(fp_stat queued)" = 1 ]' 10 ||
    fp_fail "sleep 1 not queued after 10 s"
got queue_full call echo 1

# shutting_down: SIGTERM; past shutdown-timeout the running tasks are
# answered so.
fp_stop || true
assert_eq 0 "$FP_STATUS" "daemon exit status after SIGTERM"
fp_check_no_workers 0
bg_record shutting_down a1 "$a1"

# The lines in the order of enum fp_err; a code never provoked fails.
for code in bad_request no_such_method invalid_params too_large queue_full \
    timeout worker_crashed handler_error circuit_open cancelled \
    shutting_down permission_denied internal; do
	if [ ! -f "$T/line.$code" ]; then
		fp_fail "error code $code was not provoked"
	fi
	cat "$T/line.$code"
done >"$T/got"
cat "$T/got"
assert_expected "$T/got"
