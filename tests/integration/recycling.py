"""recycling.py -- for the recycle_*.sh scenarios: the PIDs named by
worker_recycle lines, and a bounded wait until the pool is whole again
without any of them (FP_SOCK, FP_PID and T from tests/lib.sh)."""

import os, re, time
import fpclient as fc

sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
LOG = os.path.join(os.environ["T"], "daemon.log")

def recycled(reason=None):
	"""The PIDs of the worker_recycle lines of the running daemon (the
	log of each start begins with a `===' line)."""
	out = []
	with open(LOG, errors="replace") as f:
		for line in f:
			if line.startswith("=== "):
				out = []
			if "event=worker_recycle " not in line:
				continue
			p = int(re.search(r" pid=(\d+)", line).group(1))
			r = re.search(r" reason=(\S+)", line).group(1)
			if reason is None or r == reason:
				out.append(p)
	return out

def retired():
	"""The PIDs of the worker_retired lines of the running daemon: workers
	stopped after they had finished every task they held."""
	out = []
	with open(LOG, errors="replace") as f:
		for line in f:
			if line.startswith("=== "):
				out = []
			if "event=worker_retired " in line:
				out.append(int(re.search(r" pid=(\d+)", line).group(1)))
	return out

def is_child(pid):
	"""pid is a child of the daemon, alive or zombie."""
	st = fc._stat(pid)
	return st is not None and int(st[1]) == dpid

def wait_whole(n, gone, timeout=15.0):
	"""Bounded wait: n workers, none retiring, none of `gone' a child."""
	deadline = time.monotonic() + timeout
	while True:
		st = fc.stats(sock)
		kids = fc.children(dpid)
		left = [p for p in gone if is_child(p)]
		if len(kids) == n and not left and \
		    st.get("workers_retiring") == 0:
			if sorted(retired()) != sorted(gone):
				fc.fail("recycled workers %r, but only %r retired "
				    "holding no task" % (sorted(gone),
				    sorted(retired())))
			return st, kids
		if time.monotonic() > deadline:
			fc.fail("pool not whole after %g s: workers %r, retired "
			    "ones still children %r, stats %r" % (timeout, kids,
			    left, st))
		time.sleep(0.02)
