#!/bin/sh
# too_large.sh -- max-request-size 1K: a well-formed request over the limit
# is answered too_large with its msgid (its size is known from MessagePack
# headers, so the stream can be resynchronised); requests under the limit,
# on the same connection or a new one, still work; forkpool(1) reports
# too_large with exit status 1.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
max-request-size 1K
CONF
fp_start -w 2
fp_py <<'PY' || fp_fail "max-request-size 1K (see above)"
import os
import fpclient as fc
sock = os.environ["FP_SOCK"]

def size(method, params):
	return len(fc.request_bytes(1, method, params))

def ok(c, params, what):
	err, res = c.call("echo", params)
	if err is not None or res != params[0]:
		fc.fail("%s (%d bytes): expected success, got %r" %
		    (what, size("echo", params), err))

def too_large(c, params, what, msgid=77):
	"""Send one oversized request; it must get too_large (with its msgid).
	Returns True if the connection is still open."""
	c.queue_request("echo", params, msgid)
	try:
		(m, _), = c.pump(1, 10)
	except fc.Closed:
		fc.fail("%s (%d bytes): connection closed without a too_large "
		    "answer" % (what, size("echo", params)))
	fc.check_response(m)
	if m[1] != msgid or fc.code(m[2]) != "too_large":
		fc.fail("%s (%d bytes): expected too_large for msgid %d, got %r" %
		    (what, size("echo", params), msgid, m))

c = fc.Conn(sock)
ok(c, ["x" * 500], "a 500-byte string")
ok(c, ["y" * 1000], "a request just under 1K")
if size("echo", ["y" * 1000]) > 1024:
	fc.fail("test bug: request not under 1K")
too_large(c, ["x" * 2000], "a 2000-byte string")
# The stream was resynchronised: the connection goes on.
ok(c, ["after"], "the next request on the same connection")
too_large(c, [list(range(100)) * 20], "an array of 2000 small integers", 78)
ok(c, ["after 2"], "the request after the big array")
too_large(c, [b"\0" * 100000], "a 100 KB bin", 79)
ok(c, ["after 3"], "the request after the 100 KB bin")
# Nested maps and strings over the limit, many small messages around it.
c.queue(fc.request_bytes(1, "echo", ["a"]))
c.queue(fc.request_bytes(80, "echo", [{"k%d" % i: "v" * 20 for i in
    range(60)}]))
c.queue(fc.request_bytes(2, "echo", ["b"]))
got = {m[1]: m for m, _ in c.pump(3, 10)}
if fc.code(got.get(80, [0, 0, None])[2]) != "too_large" or \
    got.get(1, [0] * 4)[3] != "a" or got.get(2, [0] * 4)[3] != "b":
	fc.fail("oversized map between two small requests: %r" % (got,))
c.close()
c = fc.Conn(sock)
ok(c, ["new connection"], "a small request on a new connection")
PY

big=$(head -c 2000 /dev/zero | tr '\0' x)
fp_cli call echo "\"$big\""
assert_status 1 "forkpool call echo with a 2000-byte string"
assert_grep '^forkpool: too_large: ' "$T/err" "forkpool call with too_large"
fp_cli ping
assert_out pong "ping after too_large"
fp_stop_clean
