#!/bin/sh
# metrics_listen_busy.sh -- a metrics-listen address that cannot be bound
# (another process listens on the port) stops the start: exit status 1,
# `forkpoold: metrics-listen ADDR: reason', nothing left behind, in the
# foreground and in daemon mode; the same configuration starts once the
# port is free.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# A listener of ours holds a port until it is stopped.
fp_bg "$FP_PY" -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(120)
' >"$T/port"
holder=$FP_BGPID
wait_for '[ -s "$T/port" ]' 10 || fp_fail "the port holder did not start"
port=$(cat "$T/port")
printf 'metrics-listen 127.0.0.1:%s\n' "$port" >"$FP_CONF"

fp_refused_start "a metrics-listen port in use" \
    "metrics-listen 127\.0\.0\.1:$port: Address already in use$" \
    -s "$FP_SOCK" -p "$FP_PIDFILE" -w 1
[ ! -e "$FP_SOCK" ] || fp_fail "socket $FP_SOCK left after the failed start"
[ ! -e "$FP_PIDFILE" ] || fp_fail "pidfile left after the failed start"
assert_empty "$T/out" "stdout of the failed start"
# In daemon mode the starting process says it and exits 1 too.
fp_run "$FORKPOOLD" -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE" -w 1
assert_status 1 "a metrics-listen port in use, daemon mode"
assert_grep "^forkpoold: metrics-listen 127\.0\.0\.1:$port: Address already in use\$" \
    "$T/err" "a metrics-listen port in use, daemon mode: message"
[ ! -e "$FP_SOCK" ] || fp_fail "socket left after the failed start (daemon mode)"
[ ! -e "$FP_PIDFILE" ] || fp_fail "pidfile left after the failed start (daemon mode)"

kill "$holder"
fp_wait_bg "$holder" 10
fp_start -w 1
fp_py "$port" <<'PY' || fp_fail "a scrape once the port is free"
import sys
import fpclient as fc
import fphttp

st, h, body = fphttp.get(int(sys.argv[1]))
if st != 200:
	fc.fail("GET /metrics: %d" % st)
PY
fp_stop_clean
