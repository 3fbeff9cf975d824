"""fphttp.py -- raw HTTP and Prometheus text helpers for the metrics-listen
tests (metrics_*.sh).  Raw sockets, not urllib, so that the tests can send
what a broken or hostile client sends.  As a command:

    fphttp.py port                 print a free TCP port of 127.0.0.1
"""

import re
import socket
import sys
import time


def free_port(host="127.0.0.1"):
	"""A port nobody listens on now (the kernel's pick for port 0)."""
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	try:
		s.bind((host, 0))
		return s.getsockname()[1]
	finally:
		s.close()


def connect(port, host="127.0.0.1", timeout=5.0):
	s = socket.create_connection((host, port), timeout=timeout)
	s.settimeout(timeout)
	return s


def read_all(s, timeout=5.0):
	"""Read until the peer closes; a reset counts as a close.  Raises
	socket.timeout if it does not close within `timeout' seconds."""
	out = bytearray()
	deadline = time.monotonic() + timeout
	while True:
		left = deadline - time.monotonic()
		if left <= 0:
			raise socket.timeout("no close within %.1f s" % timeout)
		s.settimeout(left)
		try:
			b = s.recv(1 << 16)
		except ConnectionResetError:
			return bytes(out), True
		if not b:
			return bytes(out), False
		out += b


def exchange(port, data, timeout=5.0):
	"""Send data, read the whole answer: (bytes, reset)."""
	s = connect(port, timeout=timeout)
	try:
		s.sendall(data)
		return read_all(s, timeout)
	finally:
		s.close()


def parse(resp):
	"""An HTTP/1.1 answer: (status, {lowercase name: value}, body)."""
	head, sep, body = resp.partition(b"\r\n\r\n")
	if not sep:
		raise AssertionError("no end of head in %r" % resp[:300])
	lines = head.decode("latin-1").split("\r\n")
	m = re.match(r"HTTP/1\.1 (\d{3}) [ -~]+$", lines[0])
	if m is None:
		raise AssertionError("bad status line %r" % lines[0])
	hdrs = {}
	for ln in lines[1:]:
		k, c, v = ln.partition(":")
		if not c:
			raise AssertionError("bad header line %r" % ln)
		hdrs[k.strip().lower()] = v.strip()
	return int(m.group(1)), hdrs, body


def get(port, path="/metrics", method="GET", extra=b"", timeout=5.0):
	"""One request: (status, headers, body).  Checks Content-Length."""
	req = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" %
	    (method, path, port)).encode() + extra + b"\r\n"
	resp, _ = exchange(port, req, timeout)
	st, h, body = parse(resp)
	if h.get("connection") != "close":
		raise AssertionError("no Connection: close in %r" % h)
	n = int(h["content-length"])
	if method != "HEAD" and n != len(body):
		raise AssertionError("Content-Length %d, body of %d bytes" %
		    (n, len(body)))
	if method == "HEAD" and body:
		raise AssertionError("a body after HEAD: %r" % body[:100])
	return st, h, body


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def samples(text):
	"""The samples of an exposition: {name{labels}: value string}, and
	the families of its # TYPE lines {name: type}, in order."""
	vals = {}
	fams = {}
	for ln in text.splitlines():
		if ln.startswith("# TYPE "):
			_, _, name, typ = ln.split(" ")
			if name in fams:
				raise AssertionError("family %s twice" % name)
			fams[name] = typ
			continue
		if ln.startswith("#") or not ln:
			continue
		m = SAMPLE.match(ln)
		if m is None:
			raise AssertionError("not a sample line: %r" % ln)
		key = m.group(1) + (m.group(2) or "")
		if key in vals:
			raise AssertionError("sample %s twice" % key)
		vals[key] = m.group(3)
	return vals, fams


if __name__ == "__main__":
	if sys.argv[1:] == ["port"]:
		print(free_port())
	else:
		sys.exit("usage: fphttp.py port")
