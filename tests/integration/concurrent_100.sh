#!/bin/sh
# concurrent_100.sh -- 100 connections open at once, each making several
# calls in turn (echo, sleep, spin, forkpool.ping): all succeed; the stats
# count the connections.  Then max-connections: a connection beyond the
# limit is accepted and closed at once, and one below it is served again
# once a connection has gone.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2
fp_py <<'PY' || fp_fail "100 concurrent connections (see above)"
import os, selectors, time
import fpclient as fc

NCONN, NCALLS = 100, 6
sock = os.environ["FP_SOCK"]

def plan(ci, k):
	"""The k-th call of connection ci: (method, params, expected)."""
	j = k % 4
	if j == 0:
		v = {"conn": ci, "call": k, "pad": "x" * (ci * 7 % 300)}
		return "echo", [v], v
	if j == 1:
		ms = (ci + k) % 3
		return "sleep", [ms], ms
	if j == 2:
		return "spin", [50], 50
	return "forkpool.ping", [], "pong"

conns = [fc.Conn(sock) for _ in range(NCONN)]
sel = selectors.DefaultSelector()
for ci, c in enumerate(conns):
	c.ci, c.k, c.want = ci, 0, None
	sel.register(c.sock, selectors.EVENT_READ, c)

def send_next(c):
	m, p, e = plan(c.ci, c.k)
	c.want = (c.queue_request(m, p), m, p, e)
	c.flush()

for c in conns:
	send_next(c)
done = 0
deadline = time.monotonic() + 60
while done < NCONN:
	if time.monotonic() > deadline:
		fc.fail("timeout: %d of %d connections finished" % (done, NCONN))
	for key, _ in sel.select(0.5):
		c = key.data
		c._read_some()
		for m in c.unp:
			fc.check_response(m)
			if c.want is None:
				fc.fail("conn %d: unexpected %r" % (c.ci, m))
			msgid, meth, params, exp = c.want
			if m[1] != msgid:
				fc.fail("conn %d: response %r, expected msgid %r" %
				    (c.ci, m, msgid))
			if m[2] is not None or m[3] != exp:
				fc.fail("conn %d: %s%r: expected %r, got %r" %
				    (c.ci, meth, params, exp, m))
			c.k += 1
			if c.k == NCALLS:
				done += 1
				c.want = None
			else:
				send_next(c)
		if c.closed:
			fc.fail("conn %d closed by the daemon after %d calls" %
			    (c.ci, c.k))
		if c.want is None:
			sel.unregister(c.sock)

# All 100 are still open: the stats see them and one more (the stats one).
st = fc.stats(sock)
if st.get("connections") != NCONN + 1:
	fc.fail("forkpool.stats connections: expected %d, got %r" %
	    (NCONN + 1, st.get("connections")))
for c in conns:
	c.close()
print("concurrent_100: %d connections x %d calls ok" % (NCONN, NCALLS))
PY
fp_stop_clean

# max-connections 10: the eleventh connection is closed at once.
cat >"$FP_CONF" <<'CONF'
max-connections 10
CONF
fp_start -w 1
fp_py <<'PY' || fp_fail "max-connections (see above)"
import os, time
import fpclient as fc
sock = os.environ["FP_SOCK"]
conns = [fc.Conn(sock) for _ in range(10)]
for i, c in enumerate(conns):
	err, res = c.call("echo", [i])
	if err is not None or res != i:
		fc.fail("connection %d of 10: %r %r" % (i, err, res))
extra = fc.Conn(sock)
extra.queue_request("echo", ["extra"])
try:
	got = extra.pump(None, 10)
except fc.Timeout as e:
	fc.fail("connection 11 of max-connections 10 not closed in 10 s; "
	    "got %r" % ([m for m, _ in e.got],))
if got:
	fc.fail("connection 11 of max-connections 10 got %r before it was "
	    "closed" % ([m for m, _ in got],))
# The ten are unaffected.
for i, c in enumerate(conns):
	err, res = c.call("echo", [i])
	if err is not None or res != i:
		fc.fail("connection %d after the refused one: %r %r" %
		    (i, err, res))
# Once one goes, a new connection is served (bounded polling: the daemon
# notices the close in its own time).
conns.pop().close()
deadline = time.monotonic() + 10
while True:
	c = fc.Conn(sock)
	c.queue_request("echo", ["again"])
	try:
		got = c.pump(1, 2)
	except (fc.Timeout, fc.Closed):
		got = []
	if got and got[0][0][2] is None and got[0][0][3] == "again":
		break
	c.close()
	if time.monotonic() > deadline:
		fc.fail("no connection served after one of 10 closed")
	time.sleep(0.02)
PY
fp_stop_clean
