#!/bin/sh
# flood_noread.sh -- clients that write requests and never read their
# answers cannot grow the supervisor: a connection's requests stay
# outstanding until their answers are written to its socket, and reading
# stops at max-outstanding or max-connection-output.  First 1,000,000
# pipelined forkpool.stats requests (answered by the supervisor itself),
# then 400 echos of 256 KB: the supervisor's VmRSS stays within 48 MB of
# where it started, the flooder is paused (connections_paused), and a
# second client's pings are answered promptly throughout; an idle
# connection gives its buffers back.  (The daemon-wide budget:
# max_buffered.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# Under ASan freed memory sits in a quarantine (256 MB by default), which
# would count as resident: keep it small, this test measures live memory.
ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=4"
export ASAN_OPTIONS

fp_start -w 2
fp_py <<'PY' || fp_fail "clients that never read (see above)"
import os, socket, time
import fpclient as fc
sock = os.environ["FP_SOCK"]
pid = int(os.environ["FP_PID"])
LIMIT_KIB = 48 * 1024

by = fc.Conn(sock)
# Warm up: the supervisor's own first allocations are not the flood's.
for i in range(50):
	err, res = by.call("echo", ["x" * 1000])
	assert err is None
err, st = by.call("forkpool.stats", [])
rss0 = fc.vmrss_kib(pid)

def flood(what, chunks, total):
	"""Write `total' requests from `chunks' on a new connection that
	never reads, until all are written or nothing more goes in for 2 s;
	meanwhile ping on the other connection.  Returns (connection,
	requests written, highest VmRSS in KiB)."""
	f = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	f.connect(sock)
	f.setblocking(False)
	sent = 0
	pos = 0
	buf = b""
	last = time.monotonic()
	end = last + 40
	hi = rss0
	nping = 0
	slow = 0.0
	while sent < total:
		if not buf:
			buf = chunks[pos % len(chunks)]
			pos += 1
		try:
			n = f.send(buf)
			buf = buf[n:]
			if not buf:
				sent += per_chunk[what]
			last = time.monotonic()
			if n > 0 and pos % 20 != 0:
				continue
		except BlockingIOError:
			time.sleep(0.01)
		now = time.monotonic()
		r = fc.vmrss_kib(pid)
		if r is None:
			fc.fail("%s: the daemon is gone" % what)
		hi = max(hi, r)
		if hi - rss0 > LIMIT_KIB:
			fc.fail("%s: supervisor VmRSS grew from %d to %d KiB "
			    "(more than %d KiB) after %d requests written" %
			    (what, rss0, hi, LIMIT_KIB, sent))
		t0 = time.monotonic()
		err, res = by.call("forkpool.ping", [], 10)
		slow = max(slow, time.monotonic() - t0)
		nping += 1
		if err is not None or res != "pong":
			fc.fail("%s: ping answered %r %r" % (what, err, res))
		if now - last > 2:
			break		# the daemon stopped reading us
		if now > end:
			break
	if slow > 2:
		fc.fail("%s: a ping took %.2f s during the flood" % (what, slow))
	print("%s: %d requests written, VmRSS %d -> %d KiB, %d pings, "
	    "slowest %.3f s" % (what, sent, rss0, hi, nping, slow))
	return f, sent, hi

# 1,000,000 forkpool.stats, 10,000 to a chunk.
per_chunk = {"stats": 10000, "echo": 4}
chunk = b"".join(fc.request_bytes(i + 1, "forkpool.stats", [])
    for i in range(10000))
f, sent, hi = flood("stats", [chunk], 1000000)
st = by.call("forkpool.stats", [])[1]
if sent >= 1000000:
	fc.fail("all 1,000,000 stats requests were taken from a client that "
	    "reads nothing (VmRSS %d -> %d KiB)" % (rss0, hi))
if st.get("connections_paused") != 1:
	fc.fail("the flooder is not paused: stats %r" % (st,))
f.close()
fc.wait_stats(sock, lambda s: s["connections"] == 2 and
    s["connections_paused"] == 0, "the flooder gone")

# 400 echos of 256 KB, four to a chunk.
big = "e" * (256 * 1024)
chunk = b"".join(fc.request_bytes(i + 1, "echo", [big]) for i in range(4))
f, sent, hi = flood("echo", [chunk], 400)
st = by.call("forkpool.stats", [])[1]
if sent >= 400:
	fc.fail("all 400 big echos were taken from a client that reads "
	    "nothing (VmRSS %d -> %d KiB)" % (rss0, hi))
if st.get("connections_paused") != 1 or st.get("output_pauses", 0) < 1:
	fc.fail("the echo flooder is not paused for its output: %r" % (st,))
# What it holds is counted; it is let go when the client leaves.
if st["buffered_bytes"] < 4 << 20:
	fc.fail("buffered_bytes %r while a client holds MBs of answers" %
	    (st["buffered_bytes"],))
f.close()
st = fc.wait_stats(sock, lambda s: s["connections"] == 2 and
    s["buffered_bytes"] < 1 << 20, "the echo flooder's buffers freed")
err, res = by.call("echo", ["after"])
if err is not None or res != "after":
	fc.fail("echo after the floods: %r %r" % (err, res))
# An idle connection keeps no large buffer: 2 MB in and out, then the
# supervisor holds little more than the 64 KB read buffer of the request
# that asks (and the stats connection's).
err, res = by.call("echo", ["i" * (2 << 20)])
if err is not None or len(res) != 2 << 20:
	fc.fail("echo of 2 MB: %r" % (err,))
st = by.call("forkpool.stats", [])[1]
if st["buffered_bytes"] > 256 * 1024:
	fc.fail("buffered_bytes %d after a 2 MB echo on an idle connection" %
	    (st["buffered_bytes"],))
print("after the floods: VmRSS %d KiB, buffered_bytes %d" %
    (fc.vmrss_kib(pid), st["buffered_bytes"]))
PY
fp_stop_clean
