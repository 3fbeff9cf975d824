#!/bin/sh
# log_injection.sh -- a correlation id cannot forge a log line or a field.
# forkpool.call with an `id' holding a newline and a whole forged line
# (`ts=... level=error event=forged'), quotes, backslashes, `=', CR, TAB,
# ESC and other control bytes, invalid UTF-8, a C1 control and U+2028, for
# tasks whose events carry it: a crash with one retry (task_crashed,
# task_retry, task_crashed) and a deadline that kills the worker
# (task_timeout).  The daemon log must be valid UTF-8, every daemon line a
# well-formed logfmt line (ts= level= event= first, each key once), no line
# may carry event=forged, and each of those events must carry corr= whose
# unquoted bytes are exactly the id sent.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
min-worker-age 0
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "hostile correlation ids (see above)"
import os, re, time
import msgpack
import fpclient as fc
sock, T = os.environ["FP_SOCK"], os.environ["T"]
LOG = os.path.join(T, "daemon.log")

ID = (b'x\nts=2026-01-01T00:00:00.000Z level=error event=forged '
    b'msg="you were hacked" corr=\\ \r\t\x01\x1b[31m\x7f=eq '
    b'\xff\xfe\xc0\x80 \xc2\x85 \xe2\x80\xa8 \xc3\xa9')
assert len(ID) <= 128

def call_with_id(c, method, params, opts):
	"""forkpool.call whose `id' is ID as a MessagePack str (any bytes)."""
	msgid = c.new_id()
	o = dict(opts)
	o[b"id"] = ID
	# use_bin_type=False packs bytes as str: ID need not be UTF-8.
	c.queue(msgpack.packb([0, msgid, b"forkpool.call",
	    [method.encode(), params, o]], use_bin_type=False))
	(m, _), = c.pump(1, 30)
	fc.check_response(m)
	if m[1] != msgid:
		fc.fail("response msgid %r, expected %r" % (m[1], msgid))
	return m[2], m[3]

c = fc.Conn(sock)
err, res = call_with_id(c, "crash", [], {b"retries": 1})
if fc.code(err) != "worker_crashed":
	fc.fail("crash with a hostile id: %r %r" % (err, res))
err, res = call_with_id(c, "sleep", [20000], {b"timeout_ms": 300})
if fc.code(err) != "timeout":
	fc.fail("sleep past its deadline with a hostile id: %r %r" % (err, res))
err, res = c.call("echo", ["still serving"])
if err is not None or res != "still serving":
	fc.fail("echo after the hostile ids: %r %r" % (err, res))

# --- read the log back as a logfmt reader would ------------------------
PLAIN = re.compile(rb'[^\x00-\x20"=\\\x7f-\xff]+')
KEY = re.compile(rb'[A-Za-z0-9_.-]+')

def unquote(v):
	"""The bytes of a quoted value (Go string literal escapes)."""
	out, i = bytearray(), 1
	while True:
		ch = v[i:i + 1]
		if ch == b"":
			raise ValueError("unterminated quoted value")
		if ch == b'"':
			return bytes(out), i + 1
		if ch != b"\\":
			out += ch
			i += 1
			continue
		e = v[i + 1:i + 2]
		if e in (b'"', b"\\"):
			out += e
			i += 2
		elif e in (b"n", b"r", b"t"):
			out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}[e]
			i += 2
		elif e == b"x":
			out.append(int(v[i + 2:i + 4], 16))
			i += 4
		elif e == b"u":
			out += chr(int(v[i + 2:i + 6], 16)).encode()
			i += 6
		else:
			raise ValueError("unknown escape \\%r" % e)

def parse(line):
	"""[(key, value bytes)] of one logfmt line, or ValueError."""
	fields, i = [], 0
	while i < len(line):
		m = KEY.match(line, i)
		if not m or line[m.end():m.end() + 1] != b"=":
			raise ValueError("no key= at %d" % i)
		i = m.end() + 1
		if line[i:i + 1] == b'"':
			val, n = unquote(line[i:])
		else:
			pm = PLAIN.match(line, i)
			if not pm:
				raise ValueError("bad value at %d" % i)
			val, n = pm.group(0), pm.end() - i
		fields.append((m.group(0), val))
		i += n
		if i < len(line):
			if line[i:i + 1] != b" ":
				raise ValueError("no blank after a value at %d" % i)
			i += 1
	return fields

def wait_log(events, timeout=15.0):
	"""Bounded wait until each of events has a line with corr=."""
	deadline = time.monotonic() + timeout
	while True:
		with open(LOG, "rb") as f:
			data = f.read()
		have = {e: 0 for e in events}
		for l in data.split(b"\n"):
			for e in events:
				if b" event=%s " % e in l and b" corr=" in l:
					have[e] += 1
		if all(have[e] >= events[e] for e in events):
			return data
		if time.monotonic() > deadline:
			fc.fail("log lines with corr: %r, want %r" % (have, events))
		time.sleep(0.02)

data = wait_log({b"task_crashed": 2, b"task_retry": 1, b"task_timeout": 1})
lines = data.split(b"\n")
if lines[-1] != b"":
	fc.fail("the log does not end with a newline")
# The forged line (its time is in ID) first, as that is the attack.
for no, l in enumerate(lines[:-1], 1):
	if l.startswith(b"ts=2026-01-01T00:00:00.000Z "):
		fc.fail("line %d was forged by a client: %r" % (no, l))
seen = 0
for no, l in enumerate(lines[:-1], 1):
	if l.startswith(b"=== "):
		continue		# lib.sh's start markers
	if re.search(rb"[\x00-\x1f\x7f]", l):
		fc.fail("line %d has a raw control byte: %r" % (no, l))
	try:
		f = parse(l)
	except ValueError as e:
		fc.fail("line %d is not logfmt (%s): %r" % (no, e, l))
	keys = [k for k, _ in f]
	if keys[:3] != [b"ts", b"level", b"event"] or \
	    len(set(keys)) != len(keys):
		fc.fail("line %d: forged or repeated fields %r: %r" % (no,
		    keys, l))
	d = dict(f)
	if d[b"event"] == b"forged" or not d[b"ts"].startswith(b"20"):
		fc.fail("line %d is forged: %r" % (no, l))
	if d[b"event"] in (b"task_crashed", b"task_retry", b"task_timeout"):
		if d.get(b"corr") != ID:
			fc.fail("line %d: corr %r, sent %r" % (no, d.get(b"corr"),
			    ID))
		seen += 1
try:
	data.decode("utf-8")
except UnicodeDecodeError as e:
	fc.fail("the daemon log is not valid UTF-8: %s" % e)
if seen < 4:
	fc.fail("only %d task events with corr" % seen)
print("%d task events carry the hostile id intact, quoted" % seen)
PY
fp_stop_clean
