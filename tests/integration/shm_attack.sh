#!/bin/sh
# shm_attack.sh -- forkpool.shm_attach and params or results in a
# connection's shared-memory arena (forkpool-rpc(7), Shared memory) from a
# raw client that breaks every rule: descriptors that are not a sealed
# memfd of the right size (a regular file, a pipe, an unsealed memfd, a
# wrong size, a hugetlbfs memfd where the kernel has them), an attach
# without a descriptor, a second attach, ext 70 without an arena, records
# of the wrong id or length, bytes that are not an array, headers that
# claim 4G elements (before msgpack-c allocates for them), a ring index
# corrupted after attaching (that connection is closed), and 100
# descriptors in one message (closed and counted).  A well-formed echo
# through the arena comes back byte for byte, and the daemon and another
# client carry on throughout.
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
test-handlers yes
max-shm-size 1M
CONF
fp_start -w 2
fp_py <<'PY' || fp_fail "shared-memory attacks (see above)"
import errno, fcntl, mmap, os, struct, tempfile
import fpclient as fc
import msgpack
from shmraw import CTL, SEALS, memfd, send_with_fds, attach, ext, Ring, Bystander
sock = os.environ["FP_SOCK"]

def refused(fd, size, what, want="invalid_params", close=True):
	c = fc.Conn(sock)
	err, res = attach(c, fd, size)
	if close:
		os.close(fd)
	fc.expect_err(err, want, what)
	print("refused, %s: %s" % (what, err["message"]))
	c.close()

S = 64 << 10
other = Bystander(sock)
other_ok = other.ok

# Descriptors that are not an arena.
tf = tempfile.TemporaryFile()
tf.truncate(2 * (S + CTL))
refused(os.dup(tf.fileno()), S, "a regular file")
r, w = os.pipe()
refused(r, S, "a pipe")
os.close(w)
refused(memfd(S, seal=False), S, "an unsealed memfd")
refused(memfd(S, length=2 * (S + CTL) - 4096), S, "a memfd of a wrong size")
refused(memfd(S, length=4 * (S + CTL)), S, "a memfd larger than said")
refused(memfd(S), S + 1, "a size that is not a power of two")
refused(memfd(2 << 20), 2 << 20, "a size past max-shm-size")
refused(memfd(32 << 10), 32 << 10, "a size under 64K")
fd = memfd(S, seal=False)
fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS | fcntl.F_SEAL_WRITE)
refused(fd, S, "a write-sealed memfd")
try:
	fd = memfd(2 << 20, flags=os.MFD_HUGETLB)
except OSError as e:
	print("skipped, a hugetlbfs memfd: the kernel makes none here (%s)" % e)
else:
	refused(fd, 2 << 20, "a hugetlbfs memfd")
c = fc.Conn(sock)
err, res = c.call("forkpool.shm_attach", [S])
fc.expect_err(err, "invalid_params", "an attach without a descriptor")
err, res = c.call("forkpool.shm_attach", ["x"])
fc.expect_err(err, "invalid_params", "an attach with bad params")
c.close()
other_ok("the refused attaches")

# ext 70 without an arena.
c = fc.Conn(sock)
c.queue(fc.raw_request(7, "echo", ext(100000)))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "invalid_params", "ext 70 without an arena")
c.close()

# A sealed memfd cannot be truncated under the daemon.
S = 1 << 20		# a record of up to 256K
fd = memfd(S)
try:
	os.ftruncate(fd, 4096)
	fc.fail("a sealed memfd was truncated")
except PermissionError:
	pass

# An arena that works: an echo through both rings, byte for byte.
c = fc.Conn(sock)
mm = mmap.mmap(fd, 2 * (S + CTL))
err, res = attach(c, fd, S)
os.close(fd)
if err is not None or res is not True:
	fc.fail("a good attach: %r %r" % (err, res))
req, resr = Ring(mm, 0, S), Ring(mm, S + CTL, S)
err, res = attach(c, memfd(S), S)
fc.expect_err(err, "invalid_params", "a second attach")
payload = bytes(range(256)) * 40 + b"tail"		# 10244 bytes
for n in (len(payload), 70000):
	body = payload * (n // len(payload) + 1)
	params = fc.pack([body[:n]])
	req.put(1, 100 + n, params)
	c.queue(fc.raw_request(100 + n, "echo", ext(len(params))))
	(m, _), = c.pump(1, 10)
	if m[2] is not None:
		fc.fail("echo of %d bytes via the arena: %r" % (n, m[2]))
	res = m[3]
	if isinstance(res, msgpack.ExtType):
		if res.code != 70:
			fc.fail("result ext %d" % res.code)
		typ, rid, data = resr.peek()
		if typ != 2 or rid != 100 + n or len(data) != \
		    struct.unpack(">I", res.data)[0]:
			fc.fail("result record %r %r %d" % (typ, rid, len(data)))
		res = msgpack.unpackb(data)
	elif n > 65536:
		fc.fail("a %d-byte result came inline" % n)
	if res != body[:n]:
		fc.fail("echo of %d bytes via the arena: wrong bytes" % n)
print("echo through the arena: ok")
# A small result that is itself ext 70 goes through the arena as well, so
# that it cannot be mistaken for a pointer into it.
own = msgpack.ExtType(70, b"\x00\x00\x00\x09")
err, res = c.call("echo", [own])
if err is not None or not isinstance(res, msgpack.ExtType) or \
    res.code != 70 or struct.unpack(">I", res.data)[0] != 6:
	fc.fail("echo of an ext 70: %r %r" % (err, res))
typ, rid, data = resr.peek()
if typ != 2 or msgpack.unpackb(data) != own:
	fc.fail("echo of an ext 70: record %r %r" % (typ, data))
if fc.stats(sock)["shm_connections"] < 1:
	fc.fail("shm_connections < 1 with an arena attached")

# Records that are not the request's: wrong id (left), wrong length
# (dropped), missing, not an array, too long for max-request-size.
params = fc.pack([b"x" * 1000])
req.put(1, 999, params)
c.queue(fc.raw_request(200, "echo", ext(len(params))))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "bad_request", "a record of another id")
c.queue(fc.raw_request(999, "echo", ext(len(params) + 8)))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "bad_request", "a record of another length")
c.queue(fc.raw_request(201, "echo", ext(len(params))))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "bad_request", "no record")
req.put(1, 202, b"\xa3abc")
c.queue(fc.raw_request(202, "echo", ext(4)))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "bad_request", "params that are not an array")
req.put(1, 203, b"\x91\xc1")
c.queue(fc.raw_request(203, "echo", ext(2)))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "bad_request", "params that are not MessagePack")
# Headers that claim more than there is, which msgpack-c would allocate
# for (4G elements: under ASan the worker died of it): refused before.
crashes = fc.stats(sock)["worker_crashes"]
req.put(1, 204, b"\xdd\xff\xff\xff\xff")
c.queue(fc.raw_request(204, "echo", ext(5)))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "bad_request", "an array claiming 4G elements")
bomb = b"\x92\x01\xdf\xff\xff\xff\xff"	# [1, map claiming 4G pairs]
req.put(1, 205, bomb)
c.queue(fc.raw_request(205, "json.encode", ext(len(bomb))))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "invalid_params", "json.encode options claiming 4G")
if fc.stats(sock)["worker_crashes"] != crashes:
	fc.fail("a worker crashed on params that claim too much")
err, res = c.call("echo", [b"inline"])
if err is not None or res != b"inline":
	fc.fail("inline after the bad records: %r %r" % (err, res))
other_ok("bad records")

# A corrupt ring index: that connection is closed, nobody else's.
mm[0:8] = struct.pack("<Q", req.pos + 12345)
c.queue(fc.raw_request(300, "echo", ext(len(params))))
try:
	got = c.pump(None, 10)
except fc.Timeout:
	fc.fail("the connection with a corrupt ring was not closed")
if not c.closed:
	fc.fail("the connection with a corrupt ring is open")
print("corrupt ring index: closed after %r" % [m for m, _ in got])
c.close()
mm.close()
other_ok("a corrupt ring")

# 100 descriptors with one request: two wait, the rest are closed and
# counted; the connection goes on.
before = fc.stats(sock)["fds_dropped"]
c = fc.Conn(sock)
fds = [os.open("/dev/null", os.O_RDONLY) for i in range(100)]
send_with_fds(c, fc.request_bytes(1, "forkpool.ping", []), fds)
for f in fds:
	os.close(f)
(m, _), = c.pump(1, 10)
if m[2] is not None:
	fc.fail("ping with 100 descriptors: %r" % (m[2],))
err, res = attach(c, memfd(S), S, fds=[])
fc.expect_err(err, "invalid_params", "attach takes the oldest waiting fd")
if "memfd" not in err["message"]:
	fc.fail("attach took something else than /dev/null: %r" % err)
after = fc.stats(sock)["fds_dropped"]
if after - before < 1:
	fc.fail("fds_dropped %d -> %d" % (before, after))
c.close()
other_ok("100 descriptors")
print("100 descriptors: fds_dropped %d -> %d" % (before, after))
PY
# The daemon held no descriptor of ours past the connections: its fds are
# back to what it had (the listening socket, epoll, workers' ...).
fp_stop_clean
