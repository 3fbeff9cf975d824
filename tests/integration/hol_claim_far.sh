#!/bin/sh
# hol_claim_far.sh -- a worker that writes its claim word past the tasks
# it was sent (violate claim-far: every task to come looks claimed and
# taken back, so its loop would skip them all while the supervisor counts
# them as the worker's) is killed within a tick for breaking the protocol
# (worker_protocol "claim word past the tasks sent"), and the echoes
# pipelined behind it are answered, each once, by its replacement: none
# waits for a deadline, and none is answered internal (a claim it could
# not have made names no culprit).  They ask for a retry: the first one
# was handed over in full, so the supervisor charges it an attempt, as for
# any worker it stops (issue 11 attack finding 5).  1 worker.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 1\nmin-worker-age 0\n' >"$FP_CONF"
fp_start -T
fp_py <<'PY' || fp_fail "a claim word past the tasks sent (see above)"
import os, time
import fpclient as fc
sock = os.environ["FP_SOCK"]

c = fc.Conn(sock)
vid = c.queue_request("violate", ["claim-far"])
ids = [c.queue_request("forkpool.call", ["echo", [k], {"retries": 1}])
    for k in range(10)]
t0 = time.monotonic()
c.flush()
got = fc.collect(c, ids + [vid], 10, "claim-far and echoes")
for k, msgid in enumerate(ids):
	m, t = got[msgid]
	if m[2] is not None or m[3] != k:
		fc.fail("echo %d answered %r" % (k, m))
	if t - t0 > 5:
		fc.fail("echo %d answered after %.1f s: it waited for a "
		    "deadline" % (k, t - t0))
st = fc.wait_stats(sock, lambda s: s["worker_protocol_errors"] == 1,
    "the worker killed for its claim word")
if not fc.log_lines(r"event=worker_protocol .*claim word past the tasks"):
	fc.fail("no worker_protocol line naming the claim word")
print("claim-far: killed, %d echoes answered by its replacement" % len(ids))
PY
fp_stop_clean
