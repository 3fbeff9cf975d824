#!/bin/sh
# hol_late_corrupt.sh -- a worker that answers its task, then breaks the
# protocol while the next task is in its ring but not claimed (violate
# late-corrupt) is killed; that next task, which it held but had not
# started, is not blamed: not answered internal, not counted against its
# handler's breaker (issue 11 attack finding 4: one plug-in could push a
# built-in handler's breaker open).  It asks for a retry, as the
# supervisor charges a task handed over in full an attempt when it stops
# its worker.  1 worker.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\nmin-worker-age 0\n' >"$FP_CONF"
fp_start -T
fp_py <<'PY' || fp_fail "a violation between two tasks (see above)"
import os
import fpclient as fc
sock = os.environ["FP_SOCK"]

c = fc.Conn(sock)
vid = c.queue_request("violate", ["late-corrupt", 5000])
eid = c.queue_request("forkpool.call", ["echo", ["next"], {"retries": 1}])
c.flush()
got = fc.collect(c, [vid, eid], 15, "late-corrupt and echo")
m = got[vid][0]
if m[2] is not None:
	fc.fail("violate late-corrupt answered %r, expected nil" % (m,))
m = got[eid][0]
if m[2] is not None or m[3] != "next":
	fc.fail("the echo behind it answered %r: it was blamed" % (m,))
st = fc.wait_stats(sock, lambda s: s["worker_protocol_errors"] == 1,
    "the worker killed for its result ring")
b = fc.breakers(sock).get("echo", {})
if b.get("failures", 0) != 0:
	fc.fail("echo's breaker counts a failure: %r" % (b,))
if fc.log_lines(r"event=worker_protocol .*handler=echo"):
	fc.fail("the violation was charged to echo")
print("late-corrupt: worker killed, the echo behind it not blamed")
PY
fp_stop_clean
