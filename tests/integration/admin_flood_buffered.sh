#!/bin/sh
# admin_flood_buffered.sh -- the supervisor's own answers count against
# max-buffered (forkpool-rpc(7), Limits): with 1,200 slow-log entries of
# 128-byte params (slowlog-threshold 0, slowlog-max-len 2000) and
# max-buffered 1M, 20 connections each pipeline 40 forkpool.slowlog
# [100000] and read nothing.  A forkpool.slowlog returns at most 1000
# entries; buffered_bytes stays within max-buffered plus about one answer
# a connection (before, each connection held 4 MB of answers, 80 MB in
# all); the refused requests are counted in rejected_buffered; another
# client's pings, stats and workers are answered throughout (its calls
# may be refused queue_full meanwhile); once the hoarders leave, the
# buffers are given back and calls answered.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
slowlog-threshold 0
slowlog-max-len 2000
max-buffered 1M
CONF
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "connections hoarding slow-log answers (see above)"
import os, socket, time
import fpclient as fc
sock = os.environ["FP_SOCK"]
NCONN, PER = 20, 40
MAXBUF = 1 << 20

c = fc.Conn(sock)
# 1,200 entries whose params are kept whole (about 120 bytes each).
for i in range(1200):
	c.queue_request("echo", ["%04d" % i + "p" * 110])
got = c.pump(1200, 60)
if any(m[2] is not None for m, _ in got):
	fc.fail("echo: %r" % ([m for m, _ in got if m[2] is not None][:1],))
err, s = c.call("forkpool.slowlog", [100000])
if err is not None or len(s) != 1000:
	fc.fail("forkpool.slowlog [100000]: %r, %r entries (want 1000)" %
	    (err, None if s is None else len(s)))
if s[0]["params"] is None or len(s[0]["params"][0]) != 114:
	fc.fail("an entry's params: %r" % (s[0],))
st0 = fc.stats(sock)

hoard = []
req = b"".join(fc.request_bytes(i + 1, "forkpool.slowlog", [100000])
    for i in range(PER))
for i in range(NCONN):
	h = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	h.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	h.connect(sock)
	h.sendall(req)
	hoard.append(h)

# Every hoarder's requests read (answered or refused): the daemon holds
# what it will hold.  Meanwhile and after, this client is answered.
hi = 0
last = [None]
def settled(st):
	global hi
	hi = max(hi, st["buffered_bytes"])
	# Nothing new refused since the last look: all read.
	same = last[0] == st["rejected_buffered"]
	last[0] = st["rejected_buffered"]
	err, res = c.call("forkpool.ping", [], 10)
	if err is not None or res != "pong":
		fc.fail("ping during the hoarding: %r %r" % (err, res))
	return same and st["rejected_buffered"] - st0["rejected_buffered"] > 0 and \
	    st["connections_paused"] + \
	    (st["rejected_buffered"] - st0["rejected_buffered"]) >= NCONN
st = fc.wait_stats(sock, settled, "the hoarders' requests read or paused",
    30)
for i in range(10):
	st = fc.stats(sock)
	hi = max(hi, st["buffered_bytes"])
limit = MAXBUF + NCONN * (1 << 20)
print("buffered_bytes at most %d (limit %d), rejected_buffered %d, "
    "connections_paused %d" % (hi, limit, st["rejected_buffered"] -
    st0["rejected_buffered"], st["connections_paused"]))
if hi > limit:
	fc.fail("buffered_bytes reached %d with max-buffered %d and %d "
	    "hoarding connections" % (hi, MAXBUF, NCONN))
# Calls are refused while the budget is exceeded (queue_full), the
# supervisor's own answers to a client that reads are not.
t = time.monotonic()
err, res = c.call("echo", ["while"], 10)
if time.monotonic() - t > 2 or not (err is None and res == "while" or
    fc.code(err) == "queue_full"):
	fc.fail("echo while hoarded: %r %r" % (err, res))
err, res = c.call("forkpool.workers", [], 10)
if err is not None or len(res) != 2:
	fc.fail("workers while hoarded: %r %r" % (err, res))
for h in hoard:
	h.close()
fc.wait_stats(sock, lambda s: s["connections"] == 2 and
    s["buffered_bytes"] < MAXBUF, "the hoarders' buffers given back")
err, res = c.call("echo", ["after"], 10)
if err is not None or res != "after":
	fc.fail("echo after the hoarders left: %r %r" % (err, res))
PY
fp_stop_clean
fp_info "hoarded slow-log answers: buffered_bytes bounded by max-buffered"
