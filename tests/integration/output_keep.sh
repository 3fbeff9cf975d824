#!/bin/sh
# output_keep.sh -- the output buffers that busy connections keep for their
# next large answers (max-connection-output in forkpool.conf(5)) stay
# within half of max-buffered: 6 clients each read a 4 MiB echo (the
# socket, no arena) with a long sleep still outstanding behind it, which
# would keep 6 x 4 MiB of empty buffers against a max-buffered of 16M; a
# 7th client's request is still taken, not answered queue_full, and the
# daemon holds less than max-buffered.  The buffers go once the sleeps
# are answered.
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
test-handlers yes
workers 2
max-buffered 16M
CONF
fp_start
fp_py <<'PY' || fp_fail "output buffers kept by busy connections (see above)"
import os
import fpclient as fc
sock = os.environ["FP_SOCK"]
MAXB = 16 << 20
big = bytes(range(256)) * (4 << 12)		# 4 MiB
conns = []
for i in range(6):
	c = fc.Conn(sock)
	eid = c.queue_request("echo", [big])
	sid = c.queue_request("sleep", [1500])
	(m, _), = c.pump(1, 30)
	if m[1] != eid or m[2] is not None or m[3] != big:
		fc.fail("client %d: the 4 MiB echo: %r" % (i, m[2]))
	conns.append((c, sid))
st = fc.stats(sock)
print("6 busy clients after their 4 MiB answers: buffered_bytes %d" %
    st["buffered_bytes"])
if st["buffered_bytes"] > MAXB:
	fc.fail("buffered_bytes %d past max-buffered" % st["buffered_bytes"])
other = fc.Conn(sock)
err, res = other.call("echo", [b"room"], timeout=10)
if err is not None or res != b"room":
	fc.fail("another client's request with 6 busy clients: %r %r" %
	    (err, res))
if fc.stats(sock)["rejected_buffered"] != 0:
	fc.fail("requests refused for max-buffered")
for c, sid in conns:
	(m, _), = c.pump(1, 30)
	if m[1] != sid or m[2] is not None:
		fc.fail("the sleep: %r" % (m,))
fc.wait_stats(sock, lambda s: s["buffered_bytes"] < (1 << 20),
    "the kept buffers released once the sleeps are answered")
print("kept buffers released: buffered_bytes %d" %
    fc.stats(sock)["buffered_bytes"])
PY
fp_stop_clean
