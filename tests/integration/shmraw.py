"""shmraw.py -- a raw client's side of a connection's shared-memory arena
(forkpool-rpc(7), Shared memory), for the shm_*.sh scenarios: the memfd,
forkpool.shm_attach with the descriptor, the ext 70 that points into it,
and one ring as fpshm lays it out, written and read by hand."""

import array, fcntl, os, socket, struct
import fpclient as fc

CTL = 256
SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL


def memfd(size, seal=True, length=None, flags=0):
	fd = os.memfd_create("t", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING | flags)
	os.ftruncate(fd, length if length is not None else 2 * (size + CTL))
	if seal:
		fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
	return fd


def send_with_fds(c, data, fds):
	c.flush()
	c.sock.setblocking(True)
	c.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
	    array.array("i", fds))])
	c.sock.setblocking(False)


def attach(c, fd, size, fds=None):
	mid = c.new_id()
	send_with_fds(c, fc.request_bytes(mid, "forkpool.shm_attach", [size]),
	    [fd] if fds is None else fds)
	(m, _), = c.pump(1, 10)
	if m[1] != mid:
		fc.fail("attach: answer to msgid %r, not %r" % (m[1], mid))
	return m[2], m[3]


def ext(n):
	"""The params (or result) of n bytes are in the arena."""
	return b"\xd6\x46" + struct.pack(">I", n)


class Ring:
	"""Our side of one ring of an arena mapping: as fpshm lays it out."""
	def __init__(self, mm, off, size):
		self.mm, self.off, self.size, self.pos = mm, off, size, 0
	def put(self, typ, rid, payload):
		"""Write and publish a record; returns the offset of its
		payload in the mapping."""
		need = 16 + (len(payload) + 7) // 8 * 8
		o = self.off + CTL + (self.pos % self.size)
		self.mm[o:o + 16] = struct.pack("<IHHQ", len(payload), typ, 0, rid)
		self.mm[o + 16:o + 16 + len(payload)] = payload
		self.pos += need
		self.mm[self.off:self.off + 8] = struct.pack("<Q", self.pos)
		return o + 16
	def peek(self):
		head, = struct.unpack("<Q", self.mm[self.off:self.off + 8])
		if head == self.pos:
			return None
		o = self.off + CTL + (self.pos % self.size)
		n, typ, _, rid = struct.unpack("<IHHQ", self.mm[o:o + 16])
		if typ == 0:		# PAD: the writer went back to 0
			self.pos += n
			return self.peek()
		data = bytes(self.mm[o + 16:o + 16 + n])
		self.pos += 16 + (n + 7) // 8 * 8
		self.mm[self.off + 128:self.off + 136] = struct.pack("<Q", self.pos)
		return typ, rid, data
	def tail(self):
		"""The reader's index: what it has handed back."""
		return struct.unpack("<Q", self.mm[self.off + 128:
		    self.off + 136])[0]


class Bystander:
	"""Another client of the same daemon, which must be served throughout
	whatever the client under test does."""
	def __init__(self, sock):
		self.c = fc.Conn(sock)
	def ok(self, what):
		err, res = self.c.call("echo", [b"still here"], timeout=10)
		if err is not None or res != b"still here":
			fc.fail("another client after %s: %r %r" % (what, err,
			    res))
