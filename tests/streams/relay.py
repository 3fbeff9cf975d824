"""relay.py -- a TCP relay for the Redis Streams tests (partitions).

    relay.py [--port-file FILE] [--target-host HOST] TARGET_PORT

Listens on a free loopback port (the kernel picks it), prints that port on
stdout once it accepts connections (and writes it to FILE, atomically, with
--port-file), and forwards every accepted connection to HOST:TARGET_PORT
(default host 127.0.0.1), both ways (TCP_NODELAY, a half-close passed
on), until both sides have closed.  A connection the target refuses is
closed at once.

A partition is simulated by stopping the relay (kill -STOP PID): the
daemon's connection stays up, even a new connection completes (the kernel
accepts it into the listen backlog), but no byte moves until kill -CONT.
SIGTERM ends it (the default action), even while it is stopped: Linux
kills a stopped process for a fatal signal.  Standard library only; one thread,
selectors; at most 256 KiB is buffered per direction (the relay stops
reading from a side while the other side does not take its bytes).
"""

import os
import selectors
import socket
import sys

BUFMAX = 256 * 1024


class Half:
	"""One direction of a connection: bytes read from src, for dst."""

	def __init__(self, src, dst):
		self.src, self.dst = src, dst
		self.buf = bytearray()
		self.eof = False	# src sent EOF (or failed)
		self.shut = False	# EOF passed on to dst


class Pair:
	"""A client connection and its connection to the target."""

	def __init__(self, sel, client, upstream):
		self.sel = sel
		self.socks = (client, upstream)
		self.halves = (Half(client, upstream), Half(upstream, client))
		self.reg = {}		# socket -> the events it is registered for
		for s in self.socks:
			s.setblocking(False)
			s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		self.closed = False
		self.rearm()

	def close(self):
		if self.closed:
			return
		self.closed = True
		for s in self.socks:
			if self.reg.get(s):
				self.sel.unregister(s)
			s.close()

	def step(self, sock, events):
		"""Move what can move for sock, then re-arm both sockets."""
		if self.closed:		# closed earlier in this round of events
			return
		for h in self.halves:
			if h.src is sock and events & selectors.EVENT_READ:
				try:
					data = h.src.recv(65536)
				except (BlockingIOError, InterruptedError):
					data = None
				except OSError:
					data = b""
				if data == b"":
					h.eof = True
				elif data:
					h.buf += data
			if h.dst is sock and h.buf and \
			    events & selectors.EVENT_WRITE:
				try:
					del h.buf[:h.dst.send(h.buf)]
				except (BlockingIOError, InterruptedError):
					pass
				except OSError:
					self.close()
					return
		for h in self.halves:
			if h.eof and not h.buf and not h.shut:
				h.shut = True
				try:
					h.dst.shutdown(socket.SHUT_WR)
				except OSError:
					pass
		if all(h.shut for h in self.halves):
			self.close()
		else:
			self.rearm()

	def rearm(self):
		"""Wait for reading where there is room, writing where there
		are bytes; a socket with neither is unregistered."""
		for s in self.socks:
			ev = 0
			for h in self.halves:
				if h.src is s and not h.eof and \
				    len(h.buf) < BUFMAX:
					ev |= selectors.EVENT_READ
				if h.dst is s and h.buf:
					ev |= selectors.EVENT_WRITE
			cur = self.reg.get(s, 0)
			if ev == cur:
				continue
			if not cur:
				self.sel.register(s, ev, self)
			elif not ev:
				self.sel.unregister(s)
			else:
				self.sel.modify(s, ev, self)
			self.reg[s] = ev


def main(argv):
	args = argv[1:]
	port_file, host = None, "127.0.0.1"
	while args and args[0].startswith("--"):
		if args[0] == "--port-file" and len(args) > 1:
			port_file = args[1]
		elif args[0] == "--target-host" and len(args) > 1:
			host = args[1]
		else:
			break
		args = args[2:]
	if len(args) != 1 or not args[0].isdigit():
		sys.stderr.write(__doc__)
		return 64
	target = (host, int(args[0]))

	lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	lsock.bind(("127.0.0.1", 0))
	lsock.listen(64)
	lsock.setblocking(False)
	port = lsock.getsockname()[1]
	sel = selectors.DefaultSelector()
	sel.register(lsock, selectors.EVENT_READ, None)
	if port_file:
		with open(port_file + ".tmp", "w") as f:
			f.write("%d\n" % port)
		os.rename(port_file + ".tmp", port_file)
	print(port, flush=True)

	while True:
		for key, events in sel.select():
			if key.data is None:
				try:
					client, _ = lsock.accept()
				except (BlockingIOError, InterruptedError):
					continue
				up = socket.socket()
				up.settimeout(5)
				try:
					up.connect(target)
				except OSError:
					up.close()
					client.close()
					continue
				Pair(sel, client, up)
			else:
				key.data.step(key.fileobj, events)


if __name__ == "__main__":
	sys.exit(main(sys.argv))
