#!/bin/sh
# conn_limits_log_rate.sh -- one user cannot fill the log (forkpoold(8)
# LOGGING): nobody reconnecting in a loop on a 0666 socket with
# forkpool.reload (permission_denied) and with bytes that are not
# MessagePack (bad_stream) makes at most 10 lines of each a second, and a
# later line says how many were held back (suppressed=).
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_nobody_reach "its clients run as nobody"

printf 'workers 1\nsocket-mode 0666\nmax-connections 20\n' >"$FP_CONF"
fp_start
lines0=$(grep -c 'event=permission_denied' "$FP_LOG" || true)
# shellcheck disable=SC2086 # FP_NOBODY_PY is a command and its arguments
fp_nobody $FP_NOBODY_PY - <<'PY' || fp_fail "nobody's loop (see above)"
import os, socket, time, msgpack
t0 = time.monotonic()
n = 0
while time.monotonic() - t0 < 1.5:
	for msg in (msgpack.packb([0, 1, "forkpool.reload", []]), b"\xc1\xc1"):
		s = socket.socket(socket.AF_UNIX)
		s.settimeout(5)
		try:
			s.connect(os.environ["FP_SOCK"])
			s.sendall(msg)
			s.recv(4096)
		except OSError:
			pass
		s.close()
		n += 1
print("nobody: %d connections in 1.5 s" % n)
if n < 100:
	raise SystemExit("too few connections to test the limit: %d" % n)
PY
fp_cli ping
assert_out pong "ping after the loop"
for ev in permission_denied bad_stream; do
	n=$(grep -c "event=$ev" "$FP_LOG" || true)
	if [ "$ev" = permission_denied ]; then
		n=$((n - lines0))
	fi
	fp_info "$ev: $n lines"
	# 1.5 s of loop touches at most 3 one-second windows.
	if [ "$n" -gt 30 ] || [ "$n" -lt 1 ]; then
		fp_fail "$ev: $n lines for the loop, expected 1 to 30"
	fi
done
# Lines held back are counted on the next one that goes out.
# shellcheck disable=SC2086 # FP_NOBODY_PY is a command and its arguments
fp_nobody $FP_NOBODY_PY - <<'PY' || fp_fail "nobody's last call"
import os, socket, time, msgpack
time.sleep(1.1)	# a new one-second window: the next line goes out
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["FP_SOCK"])
s.sendall(b"\xc1")
s.recv(4096)
PY
wait_for 'grep -q "event=bad_stream .*suppressed=[1-9]" "$FP_LOG"' 5 ||
    fp_fail "no bad_stream line says how many were suppressed"
fp_stop_clean
