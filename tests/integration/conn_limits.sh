#!/bin/sh
# conn_limits.sh -- one user cannot shut the others out with connections or
# fill the log (forkpool.conf(5) max-connections, max-connections-per-user;
# forkpoold(8) LOGGING).  On a 0666 socket, with max-connections 20 and
# max-connections-per-user 10, nobody holding connections gets 10 and no
# more, while root still connects; with no per-user limit, nobody gets the
# 16 slots that are not kept for root and the daemon's user, and root's
# `forkpool ping' and `forkpool reload' still work.  nobody reconnecting in
# a loop with forkpool.reload (permission_denied) and with bytes that are
# not MessagePack (bad_stream) makes at most 10 lines of each a second, and
# a later line says how many were held back (suppressed=).
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "conn_limits.sh must run as root (its clients run as nobody)"
fi
if ! command -v setpriv >/dev/null 2>&1; then
	fp_skip "conn_limits.sh needs setpriv(1) (util-linux)"
fi
chmod 0711 "$T"

# hold.py N: open N connections as nobody, ping on each, print how many
# were answered, then keep them open until $T/release exists (bounded).
cat >"$T/hold.py" <<'PY'
import os, socket, sys, time, msgpack
n, ok = int(sys.argv[1]), 0
socks = []
for i in range(n):
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(5)
	try:
		# A refused connection is accepted and closed at once.
		s.connect(os.environ["FP_SOCK"])
		s.sendall(msgpack.packb([0, i, "forkpool.ping", []]))
		got = s.recv(4096)
	except OSError:
		got = b""
	if got:
		ok += 1
		socks.append(s)
	else:
		s.close()
print(ok, flush=True)
for i in range(3000):
	if os.path.exists(os.environ["T"] + "/release"):
		break
	time.sleep(0.02)
PY
chmod 0644 "$T/hold.py"

# held N: start hold.py N as nobody; the count it prints is in HELD.
held() {
	rm -f "$T/release" "$T/hold.out"
	: >"$T/hold.out"
	chmod 0666 "$T/hold.out"
	# shellcheck disable=SC2086 # FP_NOBODY_PY is a command and its arguments
	fp_bg fp_nobody $FP_NOBODY_PY "$T/hold.py" "$1" >"$T/hold.out"
	HOLDER=$FP_BGPID
	wait_for '[ -s "$T/hold.out" ]' 20 ||
	    fp_fail "hold.py $1 printed nothing"
	HELD=$(cat "$T/hold.out")
}
release() {
	: >"$T/release"
	fp_wait_bg "$HOLDER" 10
}

# ---- max-connections-per-user -------------------------------------------
printf 'workers 1\nsocket-mode 0666\nmax-connections 20\nmax-connections-per-user 10\n' \
    >"$FP_CONF"
fp_start
held 12
assert_eq 10 "$HELD" "nobody's connections under max-connections-per-user 10"
fp_cli ping
assert_out pong "root's ping while nobody holds its 10"
release
assert_grep 'event=conn_refused msg="max-connections-per-user reached"' \
    "$FP_LOG" "the refusal is logged"
fp_stop_clean

# ---- the slots kept for root --------------------------------------------
printf 'workers 1\nsocket-mode 0666\nmax-connections 20\n' >"$FP_CONF"
fp_start
held 25
assert_eq 16 "$HELD" "nobody's connections under max-connections 20"
fp_cli ping
assert_out pong "root's ping while nobody holds every slot not kept"
fp_cli reload
assert_status 0 "root's reload while nobody holds every slot not kept"
release

# ---- rate-limited log lines ---------------------------------------------
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
fp_info "per-user limit, kept slots and rate-limited lines hold"
