#!/bin/sh
# hol_blob.sh -- hol_sleep.sh with echoes of 64 KiB: their params go
# through the blob rings (forkpool.conf(5) blob-size), and the ones taken
# back from the worker that runs the sleep must leave its blob ring in
# step (the worker drops a taken-back task's params with it): every echo
# answered intact within 300 ms (1.3 MB cross the socket twice: the
# latency bound is hol_sleep.sh's), long before the sleep's 1 s,
# tasks_revoked
# counted, no worker killed for a protocol error (hol.py).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start -T
fp_py <<'PY' || fp_fail "large echoes behind a sleep (see above)"
import hol
import fpclient as fc
st = hol.long_then_echoes("sleep", [1000], 20, 1.0, 64 * 1024, 0.3)
if st["worker_protocol_errors"] != 0 or st["worker_crashes"] != 0:
	fc.fail("a worker was killed or crashed: %r" % (st,))
# The worker that held the blobs taken back runs large tasks again.
c = fc.Conn(hol.sock)
for k in range(8):
	err, res = c.call("echo", [bytes([k]) * 100000])
	if err is not None or res != bytes([k]) * 100000:
		fc.fail("echo after the take-back: %r" % (err,))
PY
fp_stop_clean
