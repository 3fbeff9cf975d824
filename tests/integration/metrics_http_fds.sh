#!/bin/sh
# metrics_http_fds.sh -- metrics-listen when the daemon has no descriptor
# left (RLIMIT_NOFILE 64, every one taken by client connections): a scrape
# waits in the backlog, accepting pauses (one metrics_accept_pause line)
# instead of spinning, and the scrape is answered once descriptors are
# free again.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if ! command -v prlimit >/dev/null 2>&1; then
	fp_skip "prlimit(1) (util-linux) is needed to lower the daemon's" \
	    "RLIMIT_NOFILE"
fi
port=$("$FP_PY" "$FP_INTEG/fphttp.py" port)
printf 'metrics-listen 127.0.0.1:%s\n' "$port" >"$FP_CONF"
fp_start -w 2
prlimit --pid "$FP_PID" --nofile=64:64
fp_py 64 "$port" <<'PY' || fp_fail "a scrape with no descriptor left (see above)"
import os, socket, sys, time
import fpclient as fc
import fphttp

sock = os.environ["FP_SOCK"]
pid = int(os.environ["FP_PID"])
LIMIT = int(sys.argv[1])
port = int(sys.argv[2])
tck = os.sysconf("SC_CLK_TCK")

def nfd():
	return len([d for d in os.listdir("/proc/%d/fd" % pid)
	    if int(d) < LIMIT])

def until(cond, what, timeout=10):
	fc.until(cond, what, timeout, pid)

n0 = nfd()
st, h, body = fphttp.get(port)
if st != 200:
	fc.fail("GET /metrics before: %d" % st)
until(lambda: nfd() == n0, "the scrape's connection closed")
hog = []
while nfd() < LIMIT:
	n = nfd()
	c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	c.connect(sock)
	hog.append(c)
	until(lambda: nfd() > n, "connection %d accepted" % len(hog))

# The scrape's connection completes in the kernel; the daemon cannot
# accept it.
s = fphttp.connect(port)
s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
until(lambda: fc.log_lines("event=metrics_accept_pause"),
    "metrics_accept_pause")
t0 = fc.cputicks(pid)
time.sleep(1.5)
cpu = (fc.cputicks(pid) - t0) / tck
if cpu > 0.3:
	fc.fail("%.2f s of CPU in 1.5 s with a scrape it cannot accept" % cpu)
if len(fc.log_lines("event=metrics_accept_pause")) != 1:
	fc.fail("expected one metrics_accept_pause line: %r" %
	    (fc.log_lines("event=metrics_accept_pause"),))
s.settimeout(0.1)
try:
	early = s.recv(100)
	fc.fail("an answer with no descriptor to accept with: %r" % early)
except socket.timeout:
	pass

# Descriptors back: the scrape is answered.
for c in hog[-4:]:
	c.close()
del hog[-4:]
resp, reset = fphttp.read_all(s, 5)
st, h, body = fphttp.parse(resp)
if st != 200 or b"forkpool_connections " not in body:
	fc.fail("the waiting scrape: %d %r" % (st, body[:200]))
s.close()
for c in hog:
	c.close()
st, h, body = fphttp.get(port)
if st != 200:
	fc.fail("GET /metrics after: %d" % st)
PY
fp_stop_clean
