"""fpclient.py -- a tiny raw MessagePack-RPC client for the integration tests.

It speaks forkpool-rpc(7) over the Unix socket without libforkpool, so the
tests check the daemon against the protocol and not against our own client
library.  Used as a module by the scenario scripts (PYTHONPATH is set by
tests/lib.sh) and as a command:

    fpclient.py wait SOCKET PID TIMEOUT_S   exit 0 once SOCKET accepts a
                                            connection, 2 if PID died, 1 on
                                            timeout
    fpclient.py call SOCKET METHOD [JSON]   one request; prints the response
                                            as JSON {"error":..,"result":..}
    fpclient.py stat SOCKET KEY             one forkpool.stats field
    fpclient.py cancel-proxy LISTEN SOCKET  serve one client on LISTEN,
                                            relaying to SOCKET, and cancel
                                            each of its requests there
"""

import errno
import json
import os
import select
import socket
import sys
import time

import msgpack


class Closed(Exception):
	"""The daemon closed the connection."""


class Timeout(Exception):
	"""Nothing (or not enough) arrived in time."""


def pack(obj):
	return msgpack.packb(obj, use_bin_type=True)


def request_bytes(msgid, method, params):
	return pack([0, msgid, method, params])


def raw_request(msgid, method, params):
	"""A request whose params are already MessagePack bytes."""
	return b"\x94" + pack(0) + pack(msgid) + pack(method) + params


def raw_notification(method, params):
	"""A notification whose params are already MessagePack bytes."""
	return b"\x93" + pack(2) + pack(method) + params


def raw_params(value, opts):
	"""The params [value, opts] (json.encode's) with value already
	MessagePack bytes."""
	return b"\x92" + value + pack(opts)


class Conn:
	"""One connection.  Blocking connect, then non-blocking I/O with select."""

	def __init__(self, path, timeout=10.0):
		self.path = path
		self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		self.sock.settimeout(timeout)
		self.sock.connect(path)
		self.sock.setblocking(False)
		self.unp = msgpack.Unpacker(raw=False, strict_map_key=False,
		    max_buffer_size=1 << 30)
		self.next_id = 1
		self.closed = False
		self.out = bytearray()

	def close(self):
		self.sock.close()

	def new_id(self):
		i = self.next_id
		self.next_id = (self.next_id + 1) & 0xffffffff
		return i

	def queue(self, data):
		"""Queue raw bytes; they are written by pump()."""
		self.out += data

	def queue_request(self, method, params, msgid=None):
		if msgid is None:
			msgid = self.new_id()
		self.out += request_bytes(msgid, method, params)
		return msgid

	def queue_notify(self, method, params):
		self.out += pack([2, method, params])

	def _read_some(self):
		try:
			b = self.sock.recv(1 << 16)
		except BlockingIOError:
			return
		except ConnectionResetError:
			b = b""
		if not b:
			self.closed = True
			return
		self.unp.feed(b)

	def pump(self, want, timeout):
		"""Write queued bytes and read messages until `want' messages have
		arrived (want=None: until the daemon closes the connection).
		Returns the list of (message, monotonic arrival time).  Raises
		Timeout (with .got set) or Closed (with .got set)."""
		got = []
		deadline = time.monotonic() + timeout
		while True:
			if want is not None and len(got) >= want:
				return got
			for m in self.unp:
				got.append((m, time.monotonic()))
				if want is not None and len(got) >= want:
					return got
			if self.closed:
				if want is None:
					return got
				e = Closed("connection closed after %d of %d "
				    "messages" % (len(got), want))
				e.got = got
				raise e
			left = deadline - time.monotonic()
			if left <= 0:
				e = Timeout("timeout: %d of %s messages" %
				    (len(got), want))
				e.got = got
				raise e
			wl = [self.sock] if self.out else []
			r, w, _ = select.select([self.sock], wl, [], min(left, 0.5))
			if w:
				try:
					n = self.sock.send(self.out[:1 << 20])
					del self.out[:n]
				except BlockingIOError:
					pass
				except (BrokenPipeError, ConnectionResetError):
					self.out.clear()
					self.closed = True
			if r:
				self._read_some()

	def call(self, method, params, timeout=30.0):
		"""One request; returns (error, result).  Other responses that
		arrive first are an error: use it only on a quiet connection."""
		msgid = self.queue_request(method, params)
		(m, _), = self.pump(1, timeout)
		check_response(m)
		if m[1] != msgid:
			raise AssertionError("response msgid %r, expected %r" %
			    (m[1], msgid))
		return m[2], m[3]

	def flush(self, timeout=10.0):
		"""Write everything queued, buffering what arrives meanwhile."""
		deadline = time.monotonic() + timeout
		while self.out and not self.closed:
			left = deadline - time.monotonic()
			if left <= 0:
				raise Timeout("flush: %d bytes unwritten" %
				    len(self.out))
			r, w, _ = select.select([self.sock], [self.sock], [],
			    min(left, 0.5))
			if w:
				try:
					n = self.sock.send(self.out[:1 << 20])
					del self.out[:n]
				except BlockingIOError:
					pass
				except (BrokenPipeError, ConnectionResetError):
					self.out.clear()
					self.closed = True
			if r:
				self._read_some()

	def shutdown_write(self):
		self.flush()
		try:
			self.sock.shutdown(socket.SHUT_WR)
		except OSError:
			self.closed = True


def check_response(m):
	"""Raise AssertionError unless m is a well-formed response."""
	if not isinstance(m, list) or len(m) != 4 or m[0] != 1:
		raise AssertionError("not a response: %r" % (m,))
	if not isinstance(m[1], int) or not 0 <= m[1] <= 0xffffffff:
		raise AssertionError("bad msgid in response: %r" % (m,))
	err = m[2]
	if err is not None:
		if not isinstance(err, dict) or not isinstance(err.get("code"),
		    str) or not isinstance(err.get("message"), str):
			raise AssertionError("bad error object: %r" % (m,))
		if m[3] is not None:
			raise AssertionError("error response with a result: %r"
			    % (m,))


def code(err):
	return None if err is None else err.get("code")


def stats(path, timeout=10.0):
	c = Conn(path, timeout)
	try:
		err, res = c.call("forkpool.stats", [], timeout)
	finally:
		c.close()
	if err is not None:
		raise AssertionError("forkpool.stats: %r" % (err,))
	return res


def fail(msg):
	sys.stderr.write("FAIL: %s\n" % msg)
	sys.exit(1)


def _jsonable(o):
	if isinstance(o, bytes):
		return {"$bin": o.hex()}
	if isinstance(o, dict):
		return {str(k): _jsonable(v) for k, v in o.items()}
	if isinstance(o, (list, tuple)):
		return [_jsonable(v) for v in o]
	return o


def _stat(pid):
	"""Fields of /proc/PID/stat after the command name (state first),
	or None."""
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read()
	except OSError:
		return None
	return st[st.rindex(")") + 2:].split()


def children(ppid):
	"""The live (not zombie) children of ppid, sorted."""
	kids = []
	for d in os.listdir("/proc"):
		if not d.isdigit():
			continue
		f = _stat(int(d))
		if f is not None and f[0] not in "ZX" and int(f[1]) == ppid:
			kids.append(int(d))
	return sorted(kids)


def cputicks(pid):
	"""utime + stime of pid in clock ticks (0 if it is gone)."""
	f = _stat(pid)
	return 0 if f is None else int(f[11]) + int(f[12])


def wait_children(ppid, n, avoid=(), timeout=15.0):
	"""Bounded wait until ppid has n live children, none in avoid."""
	deadline = time.monotonic() + timeout
	while True:
		k = children(ppid)
		if len(k) == n and not set(k) & set(avoid):
			return k
		if time.monotonic() > deadline:
			fail("expected %d workers (not %r), have %r after %g s" %
			    (n, sorted(avoid), k, timeout))
		time.sleep(0.02)


def pid_alive(pid):
	"""pid exists and is not a zombie."""
	return _pid_alive(pid)


def starttime(pid):
	"""Field 22 of /proc/PID/stat (to tell a PID from a reuse), or None."""
	f = _stat(pid)
	return None if f is None else int(f[19])


def _status_kib(pid, key):
	"""Field `key' of /proc/pid/status in KiB (None if pid is gone)."""
	try:
		with open("/proc/%d/status" % pid) as f:
			for line in f:
				if line.startswith(key + ":"):
					return int(line.split()[1])
	except OSError:
		pass
	return None


def vmrss_kib(pid):
	"""VmRSS of pid in KiB (None if it is gone)."""
	return _status_kib(pid, "VmRSS")


def rssanon_kib(pid):
	"""RssAnon of pid in KiB: its private memory, without the pages of
	the shared segments it has touched (None if it is gone)."""
	return _status_kib(pid, "RssAnon")


def zombies(ppid):
	"""The zombie children of ppid."""
	z = []
	for d in os.listdir("/proc"):
		if d.isdigit():
			f = _stat(int(d))
			if f is not None and f[0] == "Z" and int(f[1]) == ppid:
				z.append(int(d))
	return sorted(z)


def until(cond, what, timeout=15.0, pid=None, detail=None):
	"""Bounded polling: cond() every 20 ms until it is true (returned) or
	timeout seconds have passed (fail, with detail() if given); with pid,
	fail at once when that process is gone."""
	deadline = time.monotonic() + timeout
	while True:
		v = cond()
		if v:
			return v
		if pid is not None and not pid_alive(pid):
			fail("the daemon died while waiting for %s" % what)
		if time.monotonic() > deadline:
			fail("waited %g s for %s%s" % (timeout, what,
			    "; " + detail() if detail else ""))
		time.sleep(0.02)


def wait_for(pred, timeout):
	"""Bounded wait until pred() holds; whether it did."""
	deadline = time.monotonic() + timeout
	while not pred():
		if time.monotonic() > deadline:
			return False
		time.sleep(0.01)
	return True


def wait_stats(path, pred, what, timeout=10.0):
	"""Bounded wait until pred(forkpool.stats) holds; returns the stats."""
	deadline = time.monotonic() + timeout
	while True:
		st = stats(path)
		if pred(st):
			return st
		if time.monotonic() > deadline:
			fail("waiting %g s for %s: stats %r" % (timeout, what, st))
		time.sleep(0.02)


def wait_cpu(pids, secs, base=None, timeout=15.0):
	"""Bounded wait until one of pids has used secs of CPU since base (a
	dict of cputicks, default now); returns that pid: the worker running
	a `spin'."""
	tck = os.sysconf("SC_CLK_TCK")
	if base is None:
		base = {p: cputicks(p) for p in pids}
	deadline = time.monotonic() + timeout
	while True:
		for p in pids:
			if cputicks(p) - base[p] >= secs * tck:
				return p
		if time.monotonic() > deadline:
			fail("none of %r used %g s of CPU in %g s" % (pids, secs,
			    timeout))
		time.sleep(0.01)


def breakers(path, timeout=10.0):
	"""forkpool.breakers as a dict handler -> its map."""
	c = Conn(path, timeout)
	try:
		err, res = c.call("forkpool.breakers", [], timeout)
	finally:
		c.close()
	if err is not None or not isinstance(res, list):
		raise AssertionError("forkpool.breakers: %r %r" % (err, res))
	return {b["handler"]: b for b in res}


def log_lines(regex, path=None, current=True):
	"""Lines of the daemon log (default $T/daemon.log) matching regex;
	with current, only those of the daemon started last (after the last
	`=== ' line that tests/lib.sh writes at each start)."""
	import re
	if path is None:
		path = os.path.join(os.environ["T"], "daemon.log")
	with open(path, errors="replace") as f:
		lines = f.read().splitlines()
	if current:
		for i in range(len(lines) - 1, -1, -1):
			if lines[i].startswith("=== "):
				lines = lines[i + 1:]
				break
	return [l for l in lines if re.search(regex, l)]


def nlog(regex, path=None, current=True):
	"""How many lines of the daemon log match (as log_lines)."""
	return len(log_lines(regex, path, current))


def collect(conn, ids, timeout, what="responses"):
	"""Read until every msgid in ids is answered (bounded); returns dict
	msgid -> (message, arrival time).  Fails on a second answer to a msgid
	or an answer to a msgid not in ids."""
	got = {}
	deadline = time.monotonic() + timeout
	while len(got) < len(ids):
		left = deadline - time.monotonic()
		try:
			ms = conn.pump(1, max(left, 0.001))
		except (Timeout, Closed) as e:
			fail("%s: %s; answered %r, missing %r" % (what, e,
			    sorted(got), sorted(set(ids) - set(got))))
		for m, t in ms:
			check_response(m)
			if m[1] in got:
				fail("%s: a second answer for msgid %r: %r (first "
				    "%r)" % (what, m[1], m, got[m[1]][0]))
			if m[1] not in ids:
				fail("%s: answer for an unexpected msgid: %r" %
				    (what, m,))
			got[m[1]] = (m, t)
	return got


def expect_err(err, want, what):
	"""Fail unless err is an error map with code want."""
	if code(err) != want:
		fail("%s: expected error %s, got %r" % (what, want, err))


def _pid_alive(pid):
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read()
	except OSError:
		return False
	return st[st.rindex(")") + 2] not in "ZX"


def cancel_proxy(listen, path, timeout=30.0):
	"""Relay one client connection accepted on listen to the daemon at
	path, and right after each request of the client (not a forkpool.
	method) send forkpool.cancel of its msgid on the same connection: the
	only way a client that sends one request per connection, such as
	forkpool(1), can be answered "cancelled".  The answers to the cancels
	are not relayed.  Returns when either side closes, or after timeout."""
	ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	ls.bind(listen + ".tmp")
	ls.listen(1)
	os.rename(listen + ".tmp", listen)	# ready once it has its name
	ls.settimeout(timeout)
	cl, _ = ls.accept()
	ls.close()
	os.unlink(listen)
	up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	up.connect(path)
	fromcl = msgpack.Unpacker(raw=False, strict_map_key=False)
	fromup = msgpack.Unpacker(raw=False, strict_map_key=False)
	ours = set()
	cancel_id = 1 << 31
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		r, _, _ = select.select([cl, up], [], [], 0.5)
		for s in r:
			data = s.recv(65536)
			if not data:
				cl.close()
				up.close()
				return
			if s is cl:
				up.sendall(data)
				fromcl.feed(data)
				for m in fromcl:
					if (isinstance(m, list) and len(m) == 4 and
					    m[0] == 0 and not str(m[2]).startswith(
					    "forkpool.")):
						cancel_id += 1
						ours.add(cancel_id)
						up.sendall(request_bytes(cancel_id,
						    "forkpool.cancel", [m[1]]))
				continue
			fromup.feed(data)
			for m in fromup:
				if m[0] == 1 and m[1] in ours:
					ours.discard(m[1])
					continue
				cl.sendall(pack(m))
	cl.close()
	up.close()


def main(argv):
	if len(argv) >= 5 and argv[1] == "wait":
		path, pid, tmo = argv[2], int(argv[3]), float(argv[4])
		deadline = time.monotonic() + tmo
		while True:
			if not _pid_alive(pid):
				return 2
			s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
			try:
				s.connect(path)
				return 0
			except OSError as e:
				if e.errno not in (errno.ENOENT, errno.ECONNREFUSED,
				    errno.EAGAIN):
					raise
			finally:
				s.close()
			if time.monotonic() > deadline:
				return 1
			time.sleep(0.02)
	if len(argv) in (4, 5) and argv[1] == "call":
		params = json.loads(argv[4]) if len(argv) == 5 else []
		c = Conn(argv[2])
		err, res = c.call(argv[3], params)
		print(json.dumps({"error": _jsonable(err),
		    "result": _jsonable(res)}))
		return 0
	if len(argv) == 4 and argv[1] == "stat":
		print(json.dumps(_jsonable(stats(argv[2])[argv[3]])))
		return 0
	if len(argv) == 4 and argv[1] == "cancel-proxy":
		cancel_proxy(argv[2], argv[3])
		return 0
	sys.stderr.write(__doc__)
	return 64


if __name__ == "__main__":
	sys.exit(main(sys.argv))
