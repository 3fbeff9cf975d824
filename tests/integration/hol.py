"""hol.py -- for the hol_*.sh scenarios (issue 11, item 1): no task waits
behind another while a worker is idle.  The daemon of the script runs 2
workers with the test handlers and the default prefetch (32); FP_SOCK and
FP_PID come from tests/lib.sh.  A long task and echoes are sent; every
echo must be answered within LIMIT seconds of the moment its bytes were
handed to the socket, measured here with time.monotonic."""

import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
LIMIT = 0.050

fc.wait_children(dpid, 2)
fc.wait_stats(sock, lambda s: s["workers_ready"] == 2, "2 workers ready")


def burst(conns, n):
	"""n echoes spread over conns, each connection's requests written
	at once; returns {conn index: {msgid: time sent}}."""
	sent = {}
	for i, c in enumerate(conns):
		ids = [c.queue_request("echo", [[i, k]])
		    for k in range(i, n, len(conns))]
		t = time.monotonic()
		c.flush()
		sent[i] = dict((m, t) for m in ids)
	return sent


def check_burst(conns, sent, what):
	"""Every echo of the burst answered ok, each within LIMIT of being
	sent; returns the slowest answer in seconds."""
	worst = 0.0
	for i, c in enumerate(conns):
		got = fc.collect(c, list(sent[i]), 10, what)
		for msgid, (m, t) in got.items():
			if m[2] is not None:
				fc.fail("%s: echo %d answered %r" % (what, msgid, m))
			lat = t - sent[i][msgid]
			worst = max(worst, lat)
			if lat > LIMIT:
				fc.fail("%s: echo %d on connection %d answered "
				    "after %.1f ms (limit %.0f ms): it waited "
				    "behind the long task" % (what, msgid, i,
				    lat * 1e3, LIMIT * 1e3))
	return worst


def long_then_echoes(method, params, nechoes, wait_s, size=0, limit=LIMIT):
	"""On one connection: the long task, then nechoes echoes, pipelined
	in one write (of `size' bytes each if not 0: past 16K their params go
	through the blob rings).  The echoes are answered within `limit' and
	intact,
	the long task after wait_s (within a second more); returns
	forkpool.stats at the end."""
	c = fc.Conn(sock)
	lid = c.queue_request(method, params)
	val = [bytes([k % 256]) * size if size else k for k in range(nechoes)]
	ids = [c.queue_request("echo", [val[k]]) for k in range(nechoes)]
	t0 = time.monotonic()
	c.flush()
	got = fc.collect(c, ids + [lid], wait_s + 10, "%s and echoes" % method)
	worst = 0.0
	for k, msgid in enumerate(ids):
		m, t = got[msgid]
		if m[2] is not None or m[3] != val[k]:
			fc.fail("echo %d answered %r" % (msgid, m[2]))
		lat = t - t0
		worst = max(worst, lat)
		if lat > limit:
			fc.fail("echo %d answered %.1f ms after it was sent "
			    "(limit %.0f ms): it waited behind %s" % (msgid,
			    lat * 1e3, limit * 1e3, method))
	m, t = got[lid]
	if m[2] is not None:
		fc.fail("%s: answered %r" % (method, m))
	if t - t0 < wait_s * 0.9:
		fc.fail("%s answered after %.3f s, expected about %.1f" %
		    (method, t - t0, wait_s))
	print("%d echoes behind %s, all answered within %.0f ms" %
	    (nechoes, method, limit * 1e3))
	print("worst echo %.1f ms, %s %.2f s" % (worst * 1e3, method, t - t0))
	st = fc.stats(sock)
	if st["tasks_revoked"] < 1:
		fc.fail("tasks_revoked %r: no task was taken back" %
		    (st["tasks_revoked"],))
	if st["tasks_ok"] != nechoes + 1 or st["tasks_failed"] != 0:
		fc.fail("stats: %r" % (st,))
	print("tasks_revoked %d" % st["tasks_revoked"])
	return st
