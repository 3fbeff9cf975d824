#!/bin/sh
# queue_full.sh -- workers 1, prefetch 1, queue-limit 5: while a sleep
# holds the only worker, of 10 more requests written at once the first 5
# are queued (and succeed) and the last 5 are answered queue_full at once,
# before the sleep ends.  The queue's capacity comes back afterwards.
# With queue-limit 0 a request is accepted only if a worker is free.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 1
prefetch 1
queue-limit 5
CONF
fp_start
fp_py 5 <<'PY' || fp_fail "queue-limit 5 (see above)"
import os, sys, time
import fpclient as fc
sock = os.environ["FP_SOCK"]
LIMIT = int(sys.argv[1])

def wait_dispatched(c):
	"""Bounded wait until the sleep is with the worker, the queue empty."""
	deadline = time.monotonic() + 10
	while True:
		st = fc.stats(sock)
		if st.get("queued") == 0 and st.get("running") == 1:
			return
		try:
			(m, _), = c.pump(1, 0.02)
			fc.fail("a sleep sent to an idle worker was answered %r" %
			    (m,))
		except fc.Timeout:
			pass
		if time.monotonic() > deadline:
			fc.fail("the sleep was not handed to the worker: stats %r" %
			    (st,))

def one_round(n):
	c = fc.Conn(sock)
	sleep_id = c.queue_request("sleep", [1000])
	c.flush()
	wait_dispatched(c)
	ids = [c.queue_request("echo", [i]) for i in range(n)]
	got = c.pump(n + 1, 30)
	order = [m[1] for m, _ in got]
	for m, _ in got:
		fc.check_response(m)
	res = {m[1]: m for m, _ in got}
	if len(res) != n + 1:
		fc.fail("duplicate responses: %r" % (order,))
	full = [i for i in ids if fc.code(res[i][2]) == "queue_full"]
	ok = [i for i in ids if res[i][2] is None]
	if full != ids[LIMIT:] or ok != ids[:LIMIT]:
		fc.fail("of %d requests behind a busy worker with queue-limit %d "
		    "expected the first %d to succeed and the rest queue_full; "
		    "got %r" % (n, LIMIT, LIMIT,
		    [(i, res[i][2], res[i][3]) for i in ids]))
	for i in ok:
		if res[i][3] != ids.index(i):
			fc.fail("echo result %r" % (res[i],))
	if res[sleep_id][2] is not None:
		fc.fail("the blocking sleep failed: %r" % (res[sleep_id],))
	# queue_full is answered at once: before the sleep completes.
	pos = order.index(sleep_id)
	late = [i for i in full if order.index(i) > pos]
	if late:
		fc.fail("queue_full for %r came after the sleep finished: not at "
		    "once (order %r)" % (late, order))
	c.close()

one_round(10)
one_round(10)	# the first round's queue_full left no capacity behind
one_round(LIMIT)	# exactly at the limit: nothing refused
PY
fp_stop_clean

# queue-limit 0: only what a free worker can take at once is accepted.
cat >"$FP_CONF" <<'CONF'
workers 1
prefetch 1
queue-limit 0
CONF
fp_start
fp_py 0 <<'PY' || fp_fail "queue-limit 0 (see above)"
import os, time
import fpclient as fc
sock = os.environ["FP_SOCK"]
c = fc.Conn(sock)
sleep_id = c.queue_request("sleep", [500])
c.flush()
deadline = time.monotonic() + 10
while fc.stats(sock).get("running") != 1:
	try:
		(m, _), = c.pump(1, 0.02)
		fc.fail("queue-limit 0: a sleep sent to an idle worker was "
		    "answered %r" % (m,))
	except fc.Timeout:
		pass
	if time.monotonic() > deadline:
		fc.fail("the sleep was not handed to the worker")
e = c.queue_request("echo", ["refused"])
(m, _), = c.pump(1, 5)
if m[1] != e or fc.code(m[2]) != "queue_full":
	fc.fail("queue-limit 0, worker busy: expected queue_full for %r, got "
	    "%r" % (e, m))
(m, _), = c.pump(1, 10)
if m[1] != sleep_id or m[2] is not None:
	fc.fail("sleep: %r" % (m,))
err, res = c.call("echo", ["idle"])
if err is not None or res != "idle":
	fc.fail("queue-limit 0, worker idle: %r %r" % (err, res))
PY
fp_stop_clean
