#!/bin/sh
# partial_flood.sh -- unfinished requests count toward max-buffered
# (forkpool.conf(5)): with max-buffered 8M and max-connection-output 1M,
# 16 connections that each send the start of a 60 MB request and keep
# sending without ever finishing it cannot take the supervisor past a few
# tens of MB: past the budget, a connection holding more than
# max-connection-output of an unfinished request is closed (conn_drop,
# counted once each in connections_dropped); a bystander is answered at
# once meanwhile (its echo, or queue_full while the budget is spent) and
# served normally once the flood has gone.  (The RSS bound is not checked
# under AddressSanitizer, whose quarantine keeps freed memory.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\nmax-buffered 8M\nmax-connection-output 1M\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "unfinished requests held the daemon's memory"
import os, socket, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

rss0 = fc.vmrss_kib(dpid)
# [0, msgid, "echo", [str of 60 MB ...: the header, then never the end.
hdr = b"\x94\x00\x01\xa4echo\x91\xdb" + (60 << 20).to_bytes(4, "big")
chunk = b"A" * (1 << 16)
socks, sent, peak = [], [], rss0
for i in range(16):
	s = socket.socket(socket.AF_UNIX)
	s.connect(sock)
	s.setblocking(False)
	s.send(hdr)
	socks.append(s)
	sent.append(0)
t0 = time.monotonic()
while time.monotonic() - t0 < 6:
	moved = False
	for i, s in enumerate(socks):
		if s is None or sent[i] >= 8 << 20:
			continue
		try:
			sent[i] += s.send(chunk)
			moved = True
		except BlockingIOError:
			pass
		except OSError:
			s.close()
			socks[i] = None
	peak = max(peak, fc.vmrss_kib(dpid))
	if not moved:
		if all(s is None or sent[i] >= 8 << 20
		    for i, s in enumerate(socks)):
			break
		time.sleep(0.01)
st = fc.stats(sock)
closed = sum(1 for s in socks if s is None)
print("rss %d -> peak %d KiB; %d MB sent; %d of 16 connections closed; "
    "connections_dropped %d" % (rss0, peak, sum(sent) >> 20, closed,
    st["connections_dropped"]))
with open("/proc/%d/maps" % dpid) as f:
	asan = "libasan" in f.read()
if asan:
	# AddressSanitizer's quarantine keeps the closed connections' memory.
	print("RSS bound not checked under AddressSanitizer")
elif peak > rss0 + 48 * 1024:
	fc.fail("the supervisor grew from %d to %d KiB" % (rss0, peak))
if not 1 <= st["connections_dropped"] <= 16:
	fc.fail("connections_dropped %d for 16 connections" %
	    st["connections_dropped"])
# While a connection still holds its unfinished request, the budget may
# be spent: the bystander is answered at once, with its echo or queue_full.
c = fc.Conn(sock)
err, res = c.call("echo", ["bystander"], 10)
if not (err is None and res == "bystander" or fc.code(err) == "queue_full"):
	fc.fail("the bystander's echo during the flood: %r %r" % (err, res))
for s in socks:
	if s is not None:
		s.close()
# Two: the bystander, and the connection that asks for the stats.
fc.wait_stats(sock, lambda s: s["connections"] == 2 and
    s["buffered_bytes"] < 8 << 20, "only the bystander connected", 10)
err, res = c.call("echo", ["bystander"], 10)
if err is not None or res != "bystander":
	fc.fail("the bystander's echo after the flood: %r %r" % (err, res))
PY
assert_grep 'event=conn_drop .*max-buffered passed' "$FP_LOG" \
    "the closed connections are logged"
fp_stop_clean
