#!/bin/sh
# cli_json_same.sh -- forkpool(1) prints a result as exactly the text
# json.encode gives for the same MessagePack bytes, byte for byte, with
# the defaults and with -P, -S and -A (json.encode's pretty, sort_keys and
# ascii), and refuses what json.encode refuses with the same message.
# Floats (1.0, 1e17, -0.0, float32, NaN), 64-bit integers and non-minimal
# encodings, strings with escapes, non-ASCII and invalid UTF-8, bin,
# timestamps, other ext, non-str map keys, nesting.  The CLI gets each
# value from a fake daemon in the test (so that any MessagePack can be a
# result); json.encode runs in the real one, fed the value's raw bytes.
# Values JSON can write also go through `call echo V` and `call
# json.encode V` on the real daemon.  In a sanitizer build (FP_BUILD's
# name has "san" in it) only two flag sets of the five, none and -APS: the
# sanitizers look for memory errors, which the options' code meets in
# -APS all together, and each CLI run there costs a sanitizer start-up
# (the exact text of each flag set is compared in the normal build).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 1
_bd=${FP_BUILD:-$(dirname "$FORKPOOLD")}
case ${_bd##*/} in
*san*)	FP_FLAGSETS=2 ;;
*)	FP_FLAGSETS=5 ;;
esac
export FP_FLAGSETS

fp_py "$FORKPOOL" "$T/fake.sock" <<'PY' || fp_fail "CLI and json.encode differ (see above)"
import json, os, socket, subprocess, sys, threading
import msgpack
import fpclient as fc

cli, fake = sys.argv[1], sys.argv[2]
real = os.environ["FP_SOCK"]
pk = fc.pack

def fake_daemon(lsn):
	"""Answer each connection's one request [0, id, m, [hex]] with the
	MessagePack bytes hex names, as the result."""
	while True:
		s, _ = lsn.accept()
		with s:
			u = msgpack.Unpacker(raw=False)
			while True:
				d = s.recv(65536)
				if not d:
					break
				u.feed(d)
				m = next(u, None)
				if m is not None:
					raw = bytes.fromhex(m[3][0])
					s.sendall(b"\x94\x01" + pk(m[1]) + b"\xc0" +
					    raw)
					break

lsn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
lsn.bind(fake)
lsn.listen(8)
threading.Thread(target=fake_daemon, args=(lsn,), daemon=True).start()

conn = fc.Conn(real)

def encode(raw, opts):
	"""json.encode of the raw bytes in the real daemon: (error, text)."""
	msgid = conn.new_id()
	params = (b"\x92" + raw + pk(opts)) if opts else (b"\x91" + raw)
	conn.queue(b"\x94\x00" + pk(msgid) + pk("json.encode") + params)
	(m, _), = conn.pump(1, 10)
	fc.check_response(m)
	if m[2] is not None:
		return m[2], None
	return None, m[3]["text"]

def run_cli(*args):
	p = subprocess.run([cli, *args], capture_output=True, timeout=20)
	return p.returncode, p.stdout, p.stderr

FLAGS = (((), {}), (("-P",), {"pretty": True}),
    (("-S",), {"sort_keys": True}), (("-A",), {"ascii": True}),
    (("-APS",), {"pretty": True, "sort_keys": True, "ascii": True}))
if os.environ["FP_FLAGSETS"] == "2":
	FLAGS = (FLAGS[0], FLAGS[4])

def ext(t, data):
	"""An ext of type t (msgpack-python refuses types below 0)."""
	fix = {1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}
	tb = (t & 0xff).to_bytes(1, "big")
	if len(data) in fix:
		return bytes([fix[len(data)]]) + tb + data
	return b"\xc7" + bytes([len(data)]) + tb + data

VALUES = [
	b"\xcb" + bytes.fromhex("3ff0000000000000"),		# 1.0
	pk(1e17), pk(-0.0), pk(0.1), pk(1e21), pk(5e-324), pk(1.5e300),
	b"\xca" + bytes.fromhex("3dcccccd"),			# float32 0.1
	b"\xca" + bytes.fromhex("7f7fffff"),			# float32 max
	pk(float("nan")), pk(float("inf")), pk(float("-inf")),
	pk([1.0, 1e17, -0.0]),
	pk(2**64 - 1), pk(-2**63), pk(0), pk(-1), pk(-33),
	bytes.fromhex("cf0000000000000005"),			# non-minimal 5
	bytes.fromhex("d0ff"),					# int8 -1
	pk(None), pk(True), pk(False),
	pk(""), pk("h\u00e9llo \"q\" \\ / \n\t\r\b\f\x01\x1f\x7f"),
	pk("\u20ac \U0001f600 \u2028\u2029 \ufeff"),
	b"\xa4a\xffb\x80",					# invalid UTF-8
	b"\xa3\xed\xa0\x80",					# a surrogate
	b"\xa2\xc0\xaf",					# overlong
	pk(b""), pk(b"\x00\x01\x02"), pk(bytes(range(256))),
	ext(-1, b"\x00\x00\x00\x00"),
	ext(-1, (1 << 34 | 1).to_bytes(8, "big")),
	ext(-1, (500000000).to_bytes(4, "big") +
	    (253402300800).to_bytes(8, "big")),
	ext(-1, b"\x00" * 4 + (-62167219201).to_bytes(8, "big",
	    signed=True)),
	pk({"b": 1, "a": [1, {"z": None, "\u00e9": "x"}], "": {}}),
	pk({1: "one", None: "nil", True: "t", 0.5: "half", b"k": "bin",
	    -2: "neg"}),
	b"\x82\xa1b\x01\xa1b\x02",				# duplicate key
	pk([[], {}, [[]], [{}], {"a": []}]),
	b"\x91" * 40 + b"\xc0",					# deep
	pk(list(range(20))), pk({str(i): i for i in range(20)}),
	# refused by json.encode: other ext, an array key, a map key, depth
	ext(5, b"\x01"), b"\x81\x91\x01\x02", b"\x81\x80\x01",
	b"\x91" * 600 + b"\xc0",
	ext(-1, b"\x00" * 3),				# bad timestamp
]

bad = 0
for raw in VALUES:
	for flags, opts in FLAGS:
		err, text = encode(raw, opts)
		rc, out, errout = run_cli("-s", fake, "call", *flags, "v",
		    '"%s"' % raw.hex())
		what = "%s %s" % (" ".join(flags) or "(no flag)", raw[:40].hex())
		if err is None:
			want = (text + "\n").encode()
			if rc != 0 or out != want or errout:
				print("%s: CLI exit %d out %r err %r; json.encode "
				    "%r" % (what, rc, out, errout, want))
				bad += 1
			continue
		# json.encode: "json.encode: offset N: ..."; the CLI: "forkpool:
		# result: offset N: ...", exit 1, nothing on stdout.
		msg = err["message"]
		if not msg.startswith("json.encode: "):
			print("%s: json.encode error %r" % (what, err))
			bad += 1
			continue
		want = ("forkpool: result: " + msg[len("json.encode: "):] +
		    "\n").encode()
		if rc != 1 or out or errout != want:
			print("%s: CLI exit %d out %r err %r; wanted exit 1 and "
			    "%r" % (what, rc, out, errout, want))
			bad += 1

# JSON arguments: `call echo V` prints json.encode's text of what
# json.decode made of V.
ARGS = ["[1.0, 1e17, -0.0]", "1.0", "1e17", "-0", "-0.0", "0.1", "1e-7",
    "123456789012345678901234567890", "18446744073709551615",
    "-9223372036854775808", "18446744073709551616", "2.5e-324", "\"h\\u00e9llo \\ud83d\\ude00 \\u2028 \\/ \\u0000\"",
    "{\"b\": [1, {\"a\": null}], \"a\": {}, \"a\": true}",
    "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", "  \"\u00e9\"  "]
for a in ARGS:
	for flags, opts in FLAGS:
		rc, out, errout = run_cli("-s", real, "call", *flags, "echo", a)
		rc2, out2, err2 = run_cli("-s", real, "call", "json.encode", a,
		    json.dumps(opts) if opts else "null")
		what = "%s echo %s" % (" ".join(flags) or "(no flag)", a)
		if rc != 0 or errout or rc2 != 0 or err2:
			print("%s: exit %d %r, json.encode exit %d %r" % (what, rc,
			    errout, rc2, err2))
			bad += 1
			continue
		want = (json.loads(out2)["text"] + "\n").encode()
		if out != want:
			print("%s: CLI %r, json.encode %r" % (what, out, want))
			bad += 1
print("%d values x %d flag sets, %d arguments: %d differences" %
    (len(VALUES), len(FLAGS), len(ARGS), bad))
sys.exit(1 if bad else 0)
PY

fp_stop_clean
