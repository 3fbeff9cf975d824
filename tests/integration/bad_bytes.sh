#!/bin/sh
# bad_bytes.sh -- while a good client calls echo in a loop, other
# connections send garbage: bytes that are not MessagePack (connection
# closed), random bytes, truncated messages, huge declared lengths and
# element counts, abrupt resets.  The daemon stays up and the good client
# never fails.  (MessagePack that is not a request: bad_requests.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2

cat >"$T/good.py" <<'PY'
import os, sys, time
import fpclient as fc
sock, stop, count = sys.argv[1], sys.argv[2], sys.argv[3]
c = fc.Conn(sock)
n = 0
deadline = time.monotonic() + 100
while not os.path.exists(stop) and time.monotonic() < deadline:
	v = {"n": n, "s": "x" * (n % 200), "b": bytes(n % 50)}
	try:
		err, res = c.call("echo", [v], 10)
	except Exception as e:
		fc.fail("good client, call %d: %r" % (n, e))
	if err is not None or res != v:
		fc.fail("good client, call %d: %r %r" % (n, err, res))
	n += 1
	if n % 20 == 0:
		with open(count + ".tmp", "w") as f:
			f.write("%d\n" % n)
		os.rename(count + ".tmp", count)
print("good client: %d calls" % n)
PY
fp_bg "$FP_PY" "$T/good.py" "$FP_SOCK" "$T/stop" "$T/count"
good=$FP_BGPID
if ! wait_for '[ -s "$T/count" ]' 10; then
	fp_fail "the good client made no progress"
fi
before=$(cat "$T/count")

fp_py <<'PY' || fp_fail "bad input (see above)"
import os, random, socket, struct
import fpclient as fc
sock = os.environ["FP_SOCK"]
rnd = random.Random(7)
ERRS = ("bad_request", "too_large")

def closed_within(c, tmo, what, allow=ERRS):
	"""The daemon must close c within tmo s; anything it answers first
	must be an error response with a code in allow."""
	try:
		got = c.pump(None, tmo)
	except fc.Timeout as e:
		fc.fail("%s: connection not closed within %g s (got %r)" %
		    (what, tmo, [m for m, _ in e.got]))
	for m, _ in got:
		fc.check_response(m)
		if fc.code(m[2]) not in allow:
			fc.fail("%s: unexpected answer %r" % (what, m))
	c.close()
	return got

def closed_or_refused(c, msgid, tmo, what):
	"""A huge declared length.  With a readable msgid the daemon answers
	too_large or bad_request for it, or closes the connection (it may keep
	the connection open to skip the bytes).  Without one it may close the
	connection or drop the message; it never answers anything else."""
	try:
		got = c.pump(1, tmo)
	except fc.Closed as e:
		got = e.got
	except fc.Timeout as e:
		got = e.got
		if msgid is not None:
			fc.fail("%s: neither closed nor answered in %g s" %
			    (what, tmo))
	for m, _ in got:
		fc.check_response(m)
		if fc.code(m[2]) not in ERRS or (msgid is not None and
		    m[1] != msgid):
			fc.fail("%s: unexpected answer %r" % (what, m))
	c.close()

# 1. Not MessagePack at all (0xc1 is never used): closed.
c = fc.Conn(sock)
c.queue(b"\xc1")
c.flush()
closed_within(c, 5, "byte 0xc1", allow=())
c = fc.Conn(sock)
c.queue(fc.request_bytes(1, "echo", ["fine"]) + b"\xc1\xc1\xc1")
c.flush()
try:
	got = c.pump(None, 5)
except fc.Timeout as e:
	fc.fail("a request then 0xc1: not closed within 5 s (got %r)" %
	    ([m for m, _ in e.got],))
if [m for m, _ in got] not in ([], [[1, 1, None, "fine"]]):
	fc.fail("a request then 0xc1: unexpected answers %r" % (got,))
c.close()

# 2. Random bytes, then end of input: the daemon closes the connection.
for i in range(40):
	c = fc.Conn(sock)
	c.queue(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000))))
	try:
		c.shutdown_write()
	except (fc.Timeout, OSError):
		pass
	try:
		got = c.pump(None, 10)
	except fc.Timeout as e:
		fc.fail("random bytes #%d: connection not closed 10 s after "
		    "end of input (got %r)" % (i, [m for m, _ in e.got]))
	except Exception as e:	# replies that are not MessagePack
		fc.fail("random bytes #%d: bad reply stream: %r" % (i, e))
	for m, _ in got:
		fc.check_response(m)
		if m[2] is None:
			fc.fail("random bytes #%d: a success?! %r" % (i, m))
	c.close()

# 3. Truncated messages, then end of input: closed, nothing answered.
full = fc.request_bytes(5, "echo", [{"k": "v" * 100, "l": [1, 2, 3]}])
for cut in (1, 2, 5, len(full) // 2, len(full) - 1):
	c = fc.Conn(sock)
	c.queue(full[:cut])
	c.shutdown_write()
	closed_within(c, 5, "request truncated to %d bytes" % cut, allow=())
# ... and dropped by the client halfway through.
for cut in (3, len(full) // 2):
	c = fc.Conn(sock)
	c.queue(full[:cut])
	c.flush()
	c.close()

# 4. Huge declared lengths and counts.
huge = [
	("str32 of 4 GB in a request", 10,
	    b"\x94\x00\x0a\xa4echo\x91\xdb\xff\xff\xff\xff" + b"x" * 100),
	("bin32 of 2 GB in a request", 11,
	    b"\x94\x00\x0b\xa4echo\x91\xc6\x7f\xff\xff\xff" + b"x" * 100),
	("array32 of 4G elements as params", 12,
	    b"\x94\x00\x0c\xa4echo\xdd\xff\xff\xff\xff" + b"\x01" * 100),
	("map32 of 4G pairs in a request", 13,
	    b"\x94\x00\x0d\xa4echo\x91\xdf\xff\xff\xff\xff" + b"\x01" * 100),
	("ext32 of 4 GB in a request", 14,
	    b"\x94\x00\x0e\xa4echo\x91\xc9\xff\xff\xff\xff\x01" + b"x" * 100),
	("bare str32 header of 4 GB", None, b"\xdb\xff\xff\xff\xff" + b"x" * 10),
	("bare array32 of 4G elements", None,
	    b"\xdd\xff\xff\xff\xff" + b"\xc0" * 1000),
	("bare map32 of 4G pairs", None, b"\xdf\xff\xff\xff\xff" + b"\xc0" * 1000),
	("array32 of 4G elements in an array", None,
	    b"\x91" * 50 + b"\xdd\xff\xff\xff\xff"),
	("request with a method of 4 GB", None,
	    b"\x94\x00\x0f\xdb\xff\xff\xff\xff" + b"e" * 100),
]
for what, msgid, data in huge:
	c = fc.Conn(sock)
	c.queue(data)
	c.flush()
	closed_or_refused(c, msgid, 5 if msgid is not None else 1, what)

# 5. Abrupt resets (SO_LINGER 0) in the middle of requests and answers.
for i in range(20):
	c = fc.Conn(sock)
	for j in range(50):
		c.queue_request("sleep" if j % 2 else "echo", [j % 3])
	c.queue(full[: i * 3 + 1])
	c.flush()
	c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
	    struct.pack("ii", 1, 0))
	c.close()

# 6. Many connections at once with garbage.
P = fc.pack
cs = []
for i in range(50):
	c = fc.Conn(sock)
	c.queue(b"\xc1" if i % 2 else P([0, i, 5, []]))
	c.flush()
	cs.append(c)
for i, c in enumerate(cs):
	if i % 2:
		closed_within(c, 5, "byte 0xc1 (batch)", allow=())
	else:
		(m, _), = c.pump(1, 5)
		if m[1] != i or fc.code(m[2]) != "bad_request":
			fc.fail("batch bad_request %d: %r" % (i, m))
		c.close()

# The daemon is fine.
c = fc.Conn(sock)
err, res = c.call("forkpool.ping", [])
if res != "pong":
	fc.fail("ping after the garbage: %r %r" % (err, res))
PY

if ! wait_for '[ "$(cat "$T/count")" -ge $((before + 40)) ]' 20; then
	fp_fail "the good client stalled: $(cat "$T/count") calls," \
	    "$before before the garbage"
fi
: >"$T/stop"
fp_wait_bg "$good" 20
assert_eq 0 "$FP_RC" "the good client's exit status"
if ! fp_alive "$FP_PID"; then
	fp_fail "the daemon died"
fi
fp_cli ping
assert_out pong "ping at the end"
fp_stop_clean
