#!/bin/sh
# json_encode_4gb.sh -- a 300 KB json.encode request whose text would pass
# 4 GB (the daemon of fp_start_violation in tests/lib.sh, results up to
# 2 MB): answered too_large, fast; with truncate the text is cut at the
# limit and `size' is the exact length of the whole text (counted, not
# built); no worker is killed.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start_violation
fp_py <<'PY' || fp_fail "json.encode past 4 GB (see above)"
import os
import time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
LIMIT = 4 * 512 * 1024
fc.wait_children(dpid, 2)

D, N = 1000, 299000
v = b"\x91" * D + b"\xdd" + N.to_bytes(4, "big") + b"\x00" * N
c = fc.Conn(sock)
c.queue(fc.raw_request(10, "json.encode", fc.raw_params(v, {"pretty": 16,
    "max_depth": 100000})))
t0 = time.monotonic()
(m, _), = c.pump(1, 20)
dt = time.monotonic() - t0
fc.check_response(m)
fc.expect_err(m[2], "too_large", "a %d-byte request expanding past 4 GB" %
    len(v))
if dt > 5:
	fc.fail("too_large took %.1f s" % dt)
print("300 KB -> 4.8 GB: too_large in %.2f s" % dt)
full = sum(4 + 32 * k + 16 for k in range(D)) + \
    3 + N * (2 + 16 * (D + 1)) + (N - 1) + 16 * D
c.queue(fc.raw_request(11, "json.encode", fc.raw_params(v, {"pretty": 16,
    "max_depth": 100000, "truncate": True})))
t0 = time.monotonic()
(m, _), = c.pump(1, 20)
dt = time.monotonic() - t0
fc.check_response(m)
r = m[3]
if m[2] is not None or not r["truncated"] or r["size"] != full or \
    len(r["text"].encode()) > LIMIT or dt > 5:
	fc.fail("truncate: expected the text cut under %d and size %d, got "
	    "%r size %r text %d bytes in %.1f s" % (LIMIT, full, m[2],
	    r and r.get("size"), r and len(r["text"]), dt))
print("truncate: %d bytes of text, size %d, in %.2f s" % (len(r["text"]),
    r["size"], dt))
st = fc.stats(sock)
if st["worker_protocol_errors"] != 0 or st["worker_crashes"] != 0:
	fc.fail("no worker should have been killed: %r" % (st,))
PY
fp_stop_clean
