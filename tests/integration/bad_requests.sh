#!/bin/sh
# bad_requests.sh -- valid MessagePack that is not a valid request
# (forkpool-rpc(7)), on one connection that then carries on: bad_request
# where the msgid is readable (method not a string or bin, three or five
# elements, params not an array), else dropped (msgid not a 32-bit
# unsigned integer, not an array, an empty array, a string); notifications
# are not answered; a good echo and an unknown method among them are
# answered as usual, and nothing else is answered.  (Bytes that are not
# MessagePack, while a good client runs: bad_bytes.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2
fp_py <<'PY' || fp_fail "not-a-request messages (see above)"
import os
import fpclient as fc
sock = os.environ["FP_SOCK"]

c = fc.Conn(sock)
P = fc.pack
c.queue(P([0, 1, 5, []]))			# method not a string
c.queue(P([0, 2, "echo"]))			# three elements
c.queue(P([0, 3, "echo", 5]))			# params not an array
c.queue(P([0, 4, "echo", [1], "extra"]))	# five elements
c.queue(P([0, "x", "echo", []]))		# msgid not an integer: dropped
c.queue(P([0, -1, "echo", []]))			# negative msgid: dropped
c.queue(P([0, 1 << 32, "echo", []]))		# msgid over 32 bits: dropped
c.queue(P(42))					# not an array: dropped
c.queue(P({"a": 1}))				# not an array: dropped
c.queue(P([]))					# empty array: dropped
c.queue(P("echo"))				# a string: dropped
c.queue(P([2, "no.such.notification", []]))	# ignored
c.queue(P([2, "echo", [1]]))			# notification: no answer
c.queue(P([0, 6, "echo", [["nested", {"m": b"\x00\x01"}]]]))
c.queue(P([0, 7, "no_such_method", []]))
c.queue(P([0, 8, b"echo", ["bin method"]]))	# method is bin, not str
want = {1: "bad_request", 2: "bad_request", 3: "bad_request",
    4: "bad_request", 6: None, 7: "no_such_method", 8: "bad_request"}
sent = {1: "[0, 1, 5, []]", 2: '[0, 2, "echo"]', 3: '[0, 3, "echo", 5]',
    4: '[0, 4, "echo", [1], "extra"]', 6: '[0, 6, "echo", [...]]',
    7: '[0, 7, "no_such_method", []]', 8: '[0, 8, b"echo", [...]]'}
try:
	got = c.pump(len(want), 10)
except (fc.Timeout, fc.Closed) as e:
	seen = {m[1] for m, _ in e.got}
	fc.fail("not-a-request messages: %s; no answer to %s; got %r" %
	    (e, ", ".join("%s (expected %s)" % (sent[i], want[i] or "success")
	    for i in sorted(want) if i not in seen),
	    [m for m, _ in e.got]))
for m, _ in got:
	fc.check_response(m)
	if m[1] not in want or fc.code(m[2]) != want[m[1]]:
		fc.fail("not-a-request messages: unexpected %r (expected codes "
		    "%r)" % (m, want))
	if m[1] == 6 and m[3] != ["nested", {"m": b"\x00\x01"}]:
		fc.fail("echo among bad messages: %r" % (m,))
	del want[m[1]]
# Nothing else was answered: the next call's answer is the next message.
err, res = c.call("echo", ["still here"])
if err is not None or res != "still here":
	fc.fail("connection after bad requests: %r %r" % (err, res))
c.close()

PY
fp_stop_clean
