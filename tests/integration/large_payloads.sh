#!/bin/sh
# large_payloads.sh -- params and results past 16K go through the blob
# rings (forkpool.conf(5) blob-size), and results that are one bin or str
# may be written to the socket from the worker's memory: every size around
# the limits comes back byte for byte, pipelined with small calls on one
# connection in the order the stream carries them, including a payload
# larger than a quarter of blob-size (fragments on the blob ring), a large
# result that is not a bin or str (copied), json.encode's large str, and a
# client that reads its large answers slowly.
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
blob-size 4M
test-handlers yes
CONF
fp_start -w 2
fp_py <<'PY' || fp_fail "large payloads (see above)"
import os, socket, time
import fpclient as fc
sock = os.environ["FP_SOCK"]

def payload(n, seed):
	return bytes((i * 7 + seed) & 0xff for i in range(256)) * (n // 256) + \
	    bytes(n % 256)

c = fc.Conn(sock, timeout=60)
# Around the 16K blob threshold, the 1M quarter of blob-size 4M, past it.
sizes = [16 * 1024 - 64, 16 * 1024 - 5, 16 * 1024, 16 * 1024 + 1,
    100 * 1000, 1 << 20, (1 << 20) + 1, 3 << 20, 9 << 20]
for i, n in enumerate(sizes):
	p = payload(n, i)
	err, res = c.call("echo", [p], timeout=60)
	if err is not None or res != p:
		fc.fail("echo of %d bytes: err %r, %s" % (n, err,
		    "same" if res == p else "different bytes"))
	s = "s%d" % i * (n // 3)
	err, res = c.call("echo", [s], timeout=60)
	if err is not None or res != s:
		fc.fail("echo of a %d-byte str: err %r" % (len(s), err))

# Pipelined: large and small alternate on one connection; every answer
# must carry its own bytes (the stream keeps its order across the direct
# writes and the copies).
want = {}
for i in range(40):
	n = (1 << 20) + i if i % 2 == 0 else 10 + i
	p = payload(n, i)
	mid = c.queue_request("echo", [p])
	want[mid] = p
got = fc.collect(c, set(want), 60)
for mid, (m, _) in got.items():
	err, res = m[2], m[3]
	if err is not None or res != want[mid]:
		fc.fail("pipelined msgid %d: err %r, len %r want %d" % (mid, err,
		    None if res is None else len(res), len(want[mid])))

# A large result that is not one bin or str: an array of bins.
arr = [payload(50000, k) for k in range(5)]
err, res = c.call("echo", [arr], timeout=60)
if err is not None or res != arr:
	fc.fail("echo of an array of 5 x 50000-byte bins: err %r" % (err,))

# json.encode: a large value in, a large str out.
val = [{"id": k, "name": "n%d" % k, "tags": ["a", "b"]} for k in
    range(20000)]
err, res = c.call("json.encode", [val], timeout=60)
if err is not None:
	fc.fail("json.encode of 20000 records: %r" % (err,))
text = res if isinstance(res, str) else res.get("text")
import json
if json.loads(text) != val:
	fc.fail("json.encode of 20000 records: the text does not decode back")

# A slow reader: 8 results of 2 MB asked at once, read 64 KiB at a time
# with pauses; then a small call on the same connection.
slow = fc.Conn(sock, timeout=60)
slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
want = {}
for i in range(8):
	p = payload(2 * 1000 * 1000, 100 + i)
	want[slow.queue_request("echo", [p])] = p
slow.flush()
time.sleep(0.3)
got = fc.collect(slow, set(want), 60)
for mid, (m, _) in got.items():
	if m[2] is not None or m[3] != want[mid]:
		fc.fail("slow reader msgid %d: err %r" % (mid, m[2]))
err, res = slow.call("echo", ["after"])
if err is not None or res != "after":
	fc.fail("slow reader: the call after the large answers: %r" % (err,))

st = fc.stats(sock)
if st.get("worker_protocol_errors", 0) != 0 or st.get("worker_crashes", 0):
	fc.fail("workers misbehaved or crashed: %r" % (st,))
print("large payloads: %d sizes, 40 pipelined, array, json, slow reader ok"
    % len(sizes))
PY
fp_stop_clean
