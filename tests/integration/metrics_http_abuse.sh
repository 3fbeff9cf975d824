#!/bin/sh
# metrics_http_abuse.sh -- clients of metrics-listen that misbehave cost
# the daemon nothing: connections that send half a request and hold it do
# not stop RPC nor another scrape, and are closed after 5 s; a fifth
# connection at once is closed at once (metrics_refused); a request head
# over 4 KiB (a 64 KiB request line, a long header) is answered 431,
# garbage 400; the daemon serves as before afterwards and stops cleanly.
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

port=$("$FP_PY" "$FP_INTEG/fphttp.py" port)
printf 'metrics-listen 127.0.0.1:%s\n' "$port" >"$FP_CONF"
fp_start -w 2

fp_py "$port" <<'PY' || fp_fail "misbehaving scrapers (see above)"
import os, socket, struct, sys, time
import fpclient as fc
import fphttp

port = int(sys.argv[1])
sock = os.environ["FP_SOCK"]

def ping(what):
	c = fc.Conn(sock, 5)
	try:
		err, res = c.call("forkpool.ping", [], 5)
	finally:
		c.close()
	if err is not None or res != "pong":
		fc.fail("ping %s: %r %r" % (what, err, res))

def scrape(what):
	st, h, body = fphttp.get(port)
	if st != 200 or b"# TYPE forkpool_queued_tasks gauge" not in body:
		fc.fail("scrape %s: %d %r" % (what, st, body[:200]))

# Three connections with half a request each, held.
t0 = time.monotonic()
held = []
for i in range(3):
	s = fphttp.connect(port)
	s.sendall(b"GET /metr")
	held.append(s)
ping("with 3 half requests held")
scrape("with 3 half requests held")
# A fourth held: all 4 slots taken; a fifth is closed at once, unanswered.
s = fphttp.connect(port)
s.sendall(b"GE")
held.append(s)
time.sleep(0.2)		# the daemon accepts them in its own time
t = time.monotonic()
try:
	resp, reset = fphttp.exchange(port, b"GET /metrics HTTP/1.1\r\n\r\n", 3)
except socket.timeout:
	fc.fail("a fifth connection was not closed within 3 s")
if resp:
	fc.fail("a fifth connection got an answer: %r" % resp[:100])
ping("with 4 scrapers held")
# The held ones are closed 5 s after their accept, unanswered.
for s in held:
	try:
		resp, reset = fphttp.read_all(s, 8)
	except socket.timeout:
		fc.fail("a held connection still open after %.1f s" %
		    (time.monotonic() - t0))
	if resp:
		fc.fail("a half request got an answer: %r" % resp[:100])
	s.close()
took = time.monotonic() - t0
if took < 4.5:
	fc.fail("held connections closed after %.1f s, before 5 s" % took)
scrape("after the held ones were closed")

# Too long: a 64 KiB request line, a 5000-byte header.
for what, req in (
    ("64 KiB request line",
	b"GET /" + b"m" * 65536 + b" HTTP/1.1\r\n\r\n"),
    ("a 5000-byte header",
	b"GET /metrics HTTP/1.1\r\nX-Big: " + b"x" * 5000 + b"\r\n\r\n")):
	resp, reset = fphttp.exchange(port, req, 5)
	st, h, body = fphttp.parse(resp)
	if st != 431:
		fc.fail("%s: %d, expected 431" % (what, st))
# Garbage and near misses: 400, at once for a bad request line.
for req in (b"garbage\r\n", b"\x00\x01\x02\r\n\r\n",
    b"GET /metrics HTTP/2.0\r\n\r\n", b"GET  /metrics HTTP/1.1\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
    b"GET /metrics\r\n\r\n"):
	resp, reset = fphttp.exchange(port, req, 5)
	st, h, body = fphttp.parse(resp)
	if st != 400:
		fc.fail("%r: %d, expected 400" % (req, st))
# A client that goes away at once, and one that resets.
s = fphttp.connect(port)
s.close()
s = fphttp.connect(port)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
s.close()
ping("after all that")
scrape("after all that")
PY
assert_grep 'event=metrics_refused max=4 refused=1 ' "$FP_LOG" \
    "the fifth connection is logged"
fp_stop_clean
