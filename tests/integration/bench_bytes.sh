#!/bin/sh
# bench_bytes.sh -- bytes_received and bytes_sent of forkpool.stats count
# exactly the bytes that went through the client sockets (echoes of known
# payloads, 0 B to 2 MiB, pipelined on one connection, read with a raw
# socket), bytes_copied grows, and forkpool.metrics gives the same three
# counters.
# (The sweep of forkpool bench that reads them: bench_sweep.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2
fp_py <<'PY' || fp_fail "socket and copy byte counters (see above)"
import os, select, socket, time
import msgpack
import fpclient as fc
import fphttp

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(os.environ["FP_SOCK"])
unp = msgpack.Unpacker(raw=False, strict_map_key=False,
    max_buffer_size=1 << 30)
msgid = [0]

def exchange(reqs, want):
	"""Send the requests (bytes), read `want' answers; returns the answers
	and the exact number of bytes read (nothing else is sent to us)."""
	out = b"".join(reqs)
	got, nread = [], 0
	deadline = time.monotonic() + 30
	while len(got) < want:
		if time.monotonic() > deadline:
			fc.fail("timeout: %d of %d answers" % (len(got), want))
		r, w, _ = select.select([s], [s] if out else [], [], 0.5)
		if w:
			n = s.send(out[:1 << 20])
			out = out[n:]
		if r:
			b = s.recv(1 << 20)
			if not b:
				fc.fail("the daemon closed the connection")
			nread += len(b)
			unp.feed(b)
			got.extend(unp)
	if out:
		fc.fail("answered before all was sent")
	return got, nread

def req(method, params):
	msgid[0] += 1
	return fc.request_bytes(msgid[0], method, params)

def stats():
	r = req("forkpool.stats", [])
	(m,), n = exchange([r], 1)
	fc.check_response(m)
	if m[2] is not None:
		fc.fail("forkpool.stats: %r" % (m[2],))
	return m[3], len(r), n

st0, _, ra = stats()
for k in ("bytes_received", "bytes_sent", "bytes_copied"):
	if not isinstance(st0.get(k), int):
		fc.fail("forkpool.stats has no integer %s: %r" % (k, st0.get(k)))

sizes = [0, 1, 31, 32, 255, 256, 65535, 65536, 70000, 1 << 20, 2 << 20]
reqs, answers, payload = [], 0, 0
for i, n in enumerate(sizes):
	reqs.append(req("echo", [bytes([i]) * n]))
	# The answer as the daemon packs it: the echo of the bin, whose
	# header MessagePack makes the shortest, as msgpack-python does.
	answers += len(fc.pack([1, msgid[0], None, bytes([i]) * n]))
	payload += n
got, r_echo = exchange(reqs, len(sizes))
for m in got:
	fc.check_response(m)
	if m[2] is not None or len(m[3]) != sizes[m[1] - msgid[0] +
	    len(sizes) - 1]:
		fc.fail("echo answered %r" % (m[:3],))
if r_echo != answers:
	fc.fail("read %d bytes of answers, expected %d" % (r_echo, answers))

st1, lb, rb = stats()
d_recv = st1["bytes_received"] - st0["bytes_received"]
d_sent = st1["bytes_sent"] - st0["bytes_sent"]
d_copy = st1["bytes_copied"] - st0["bytes_copied"]
sent = sum(len(r) for r in reqs) + lb
print("payload %d: received +%d (sent %d), sent +%d (read %d + %d), "
    "copied +%d" % (payload, d_recv, sent, d_sent, ra, r_echo, d_copy))
# Counted when read: the first stats call is in st0, the second in st1.
if d_recv != sent:
	fc.fail("bytes_received grew by %d, %d bytes were sent" %
	    (d_recv, sent))
# Counted when written: st0's own answer is in st1, st1's is not.
if d_sent != ra + r_echo:
	fc.fail("bytes_sent grew by %d, %d bytes were read" %
	    (d_sent, ra + r_echo))
# Where the payloads are copied is the data path's business (large ones
# may not be copied in memory at all); small ones are, somewhere.
if d_copy <= 0:
	fc.fail("bytes_copied did not grow (%d)" % d_copy)

# forkpool.metrics: the same counters (its request counted, the answer
# of the last stats call written since).
r = req("forkpool.metrics", [])
(m,), _ = exchange([r], 1)
if m[2] is not None:
	fc.fail("forkpool.metrics: %r" % (m[2],))
vals, fams = fphttp.samples(m[3])
for name, want in (("forkpool_bytes_received_total",
    st1["bytes_received"] + len(r)),
    ("forkpool_bytes_sent_total", st1["bytes_sent"] + rb)):
	if fams.get(name) != "counter" or int(vals.get(name, -1)) != want:
		fc.fail("%s: %r (%r), expected %d" % (name, vals.get(name),
		    fams.get(name), want))
if fams.get("forkpool_bytes_copied_total") != "counter" or \
    int(vals["forkpool_bytes_copied_total"]) < st1["bytes_copied"]:
	fc.fail("forkpool_bytes_copied_total %r, bytes_copied was %d" %
	    (vals.get("forkpool_bytes_copied_total"), st1["bytes_copied"]))
s.close()
PY
fp_stop_clean
