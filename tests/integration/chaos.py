"""chaos.py -- the three parts of the chaos scenarios (chaos_*.sh), run
by fp_chaos of tests/lib.sh with fpclient importable and FP_SOCK, FP_PID,
T, FP_CHAOS_SECONDS, FP_CHAOS_SEED and FP_CHAOS_RSS_KIB in the
environment:

    chaos.py load            eight connections of mixed load for
                             FP_CHAOS_SECONDS, judged from the client's own
                             records (every request answered exactly once,
                             every error explained by a fault)
    chaos.py faults KILL HUP SIGKILL a random worker every 50-200 ms (KILL
                             1) and SIGHUP the daemon every second (HUP 1)
                             for FP_CHAOS_SECONDS; records the workers seen
    chaos.py after           the state once the load has stopped: no
                             zombie, no orphan, the workers back, nothing
                             queued, the supervisor's RSS bounded
"""

import collections
import os
import random
import select
import signal
import sys
import time

import fpclient as fc


def load():
	sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
	DUR = float(os.environ["FP_CHAOS_SECONDS"])
	SEED = int(os.environ["FP_CHAOS_SEED"])
	T = os.environ["T"]
	NCONN, DEPTH, DRAIN, LINGER = 8, 8, 40.0, 1.0
	rng = random.Random(SEED)

	class Req:
		__slots__ = ("method", "params", "retries", "deadline", "expect",
		    "kind", "sent")

	last = {"crash": 0.0, "hang": 0.0}

	def make(cid, mid, now):
		"""A random request: (method to send, its params, Req)."""
		r = Req()
		x = rng.random()
		if x < 0.06 and now - last["crash"] >= 0.25:
			last["crash"] = now
			r.method, r.params, r.expect = "crash", [], None
		elif x < 0.12 and now - last["hang"] >= 0.34:
			last["hang"] = now
			r.method, r.params, r.expect = "hang", [], None
		elif x < 0.62:
			pad = b""
			if rng.random() < 0.01:
				pad = os.urandom(rng.randint(100000, 300000))
			elif rng.random() < 0.5:
				pad = os.urandom(rng.randint(0, 2000))
			payload = {"id": "%d-%d-%08x" % (cid, mid, rng.getrandbits(32)),
			    "pad": pad}
			r.method, r.params, r.expect = "echo", [payload], payload
		elif x < 0.81:
			us = rng.randint(200, 2000)
			r.method, r.params, r.expect = "spin", [us], us
		else:
			ms = rng.randint(0, 20)
			r.method, r.params, r.expect = "sleep", [ms], ms
		r.retries, r.deadline = 0, r.method == "hang"
		opts = None
		if rng.random() < 0.4:
			opts = {}
			if rng.random() < 0.75:
				r.retries = rng.randint(1, 2)
				opts["retries"] = r.retries
			if r.method == "echo" and rng.random() < 0.15:
				opts["timeout_ms"] = 3000
				r.deadline = True
			if rng.random() < 0.2:
				opts["id"] = "chaos-%d-%d" % (cid, mid)
		r.kind = r.method + ("+call" if opts is not None else "") + \
		    ("+retries" if r.retries else "") + \
		    ("+deadline" if "timeout_ms" in (opts or {}) else "")
		if opts is None:
			return r.method, r.params, r
		return "forkpool.call", [r.method, r.params, opts], r

	problems = collections.OrderedDict()	# kind -> [count, examples]
	def problem(kind, msg):
		p = problems.setdefault(kind, [0, []])
		p[0] += 1
		if len(p[1]) < 5:
			p[1].append(msg)

	def judge(cid, r, m):
		"""The code of response m to request r, noting what no fault explains."""
		err, res = m[2], m[3]
		what = "conn %d msgid %d %s %s retries %d" % (cid, m[1], r.kind,
		    repr(r.params)[:60], r.retries)
		if err is None:
			if r.method in ("crash", "hang"):
				problem("crash or hang succeeded", "%s: %r" % (what, res))
			elif res != r.expect:
				problem("wrong result", "%s: %s" % (what, repr(res)[:200]))
			return "ok"
		c = err.get("code")
		if c == "worker_crashed":
			sig = err.get("signal")
			if sig not in ((9, 11) if r.method == "crash" else (9,)):
				problem("worker_crashed that no fault explains",
				    "%s: %r" % (what, err))
			if err.get("attempts") != r.retries + 1:
				problem("worker_crashed with attempts != retries + 1",
				    "%s: %r" % (what, err))
		elif c == "timeout":
			if not r.deadline:
				problem("timeout without a deadline", "%s: %r" %
				    (what, err))
			elif err.get("attempts", 0) > r.retries + 1:
				problem("timeout after more attempts than allowed",
				    "%s: %r" % (what, err))
		else:
			problem("unexpected error code %s" % c, "%s: %r" % (what, err))
		return c

	conns = [fc.Conn(sock) for _ in range(NCONN)]
	pending = [dict() for _ in range(NCONN)]
	answered = [dict() for _ in range(NCONN)]
	counts = collections.Counter()
	nsent = 0
	t_start = time.monotonic()
	stop_at = t_start + DUR
	warm = None
	fdmap = {c.sock.fileno(): i for i, c in enumerate(conns)}

	def receive(i):
		c = conns[i]
		c._read_some()
		for m in c.unp:
			try:
				fc.check_response(m)
			except AssertionError as e:
				problem("malformed response", "conn %d: %s" % (i, e))
				continue
			r = pending[i].pop(m[1], None)
			if r is None:
				if m[1] in answered[i]:
					problem("answered twice", "conn %d msgid %d: first "
					    "%s, then %s" % (i, m[1], answered[i][m[1]],
					    repr(m)[:200]))
				else:
					problem("answer to a msgid never sent", "conn %d: "
					    "%s" % (i, repr(m)[:200]))
				continue
			code = judge(i, r, m)
			answered[i][m[1]] = code
			counts[(r.kind, code)] += 1
		if c.closed:
			fc.fail("the daemon closed connection %d (%d requests pending); "
			    "problems so far: %r" % (i, len(pending[i]),
			    list(problems.items())[:5]))

	while True:
		now = time.monotonic()
		if warm is None and now - t_start >= 3.0:
			warm = fc.vmrss_kib(dpid)
			with open(os.path.join(T, "rss_warm"), "w") as f:
				f.write("%d\n" % warm)
		sending = now < stop_at
		if sending:
			for i, c in enumerate(conns):
				while len(pending[i]) < DEPTH:
					mid = c.new_id()
					method, params, r = make(i, mid, now)
					r.sent = now
					c.queue_request(method, params, msgid=mid)
					pending[i][mid] = r
					nsent += 1
		elif not any(pending):
			break
		elif now > stop_at + DRAIN:
			miss = [(i, mid, r.kind, round(now - r.sent, 1))
			    for i in range(NCONN) for mid, r in pending[i].items()]
			problem("never answered", "%d requests, %g s after the load "
			    "stopped: %r" % (len(miss), DRAIN, miss[:20]))
			break
		rl = [c.sock for c in conns]
		wl = [c.sock for c in conns if c.out]
		r, w, _ = select.select(rl, wl, [], 0.05)
		for s in w:
			c = conns[fdmap[s.fileno()]]
			try:
				n = s.send(c.out[:1 << 20])
				del c.out[:n]
			except BlockingIOError:
				pass
		for s in r:
			receive(fdmap[s.fileno()])
	t_drained = time.monotonic()

	# Anything answered twice would arrive now.
	end = time.monotonic() + LINGER
	while time.monotonic() < end:
		r, _, _ = select.select([c.sock for c in conns], [], [], 0.05)
		for s in r:
			receive(fdmap[s.fileno()])
	for c in conns:
		c.close()

	byk = collections.defaultdict(dict)
	for (k, code), n in counts.items():
		byk[k][code] = n
	left = sum(len(p) for p in pending)
	print("chaos: %d requests on %d connections in %.1f s (seed %d); %s %.2f s "
	    "after the load stopped" % (nsent, NCONN, DUR, SEED, "%d unanswered" %
	    left if left else "all answered", t_drained - stop_at))
	for k in sorted(byk):
		print("  %-28s %s" % (k, " ".join("%s=%d" % kv for kv in
		    sorted(byk[k].items()))))
	tot = collections.Counter()
	for (k, code), n in counts.items():
		tot[code] += n
	print("  %-28s %s" % ("total", " ".join("%s=%d" % kv for kv in
	    sorted(tot.items()))))
	if sum(tot.values()) != nsent:
		problem("answers != requests", "%d requests sent, %d answered" %
		    (nsent, sum(tot.values())))
	if tot["ok"] < nsent // 2:
		problem("the pool hardly served", "only %d of %d requests succeeded"
		    % (tot["ok"], nsent))
	if problems:
		out = []
		for kind, (n, ex) in problems.items():
			out.append("%s: %d, e.g.\n    %s" % (kind, n, "\n    ".join(ex)))
		fc.fail("the clients' records show:\n  %s" % "\n  ".join(out))


def faults(kill, hup):
	dpid = int(os.environ["FP_PID"])
	DUR = float(os.environ["FP_CHAOS_SECONDS"])
	rng = random.Random(int(os.environ["FP_CHAOS_SEED"]) + 1)
	seen = set()
	kills = hups = 0
	t0 = time.monotonic()
	next_hup = t0 + 1.0
	while time.monotonic() < t0 + DUR:
		kids = fc.children(dpid)
		for k in kids:
			s = fc.starttime(k)
			if s is not None:
				seen.add((k, s))
		if kill and kids:
			v = rng.choice(kids)
			# Still the daemon's child (not a reused PID)?
			f = fc._stat(v)
			if f is not None and int(f[1]) == dpid:
				try:
					os.kill(v, signal.SIGKILL)
					kills += 1
				except ProcessLookupError:
					pass
		if hup and time.monotonic() >= next_hup:
			os.kill(dpid, signal.SIGHUP)
			hups += 1
			next_hup += 1.0
		time.sleep(rng.uniform(0.05, 0.2))
	with open(os.path.join(os.environ["T"], "seen"), "w") as f:
		for p, s in sorted(seen):
			f.write("%d %d\n" % (p, s))
	print("chaos: %d workers SIGKILLed, %d SIGHUPs, %d worker processes seen" %
	    (kills, hups, len(seen)))


def after():
	sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
	T = os.environ["T"]
	bound = int(os.environ["FP_CHAOS_RSS_KIB"])

	# Zombies: every dead worker is reaped (bounded wait for the last one).
	deadline = time.monotonic() + 5
	while fc.zombies(dpid):
		if time.monotonic() > deadline:
			fc.fail("zombie children of the daemon: %r" % (fc.zombies(dpid),))
		time.sleep(0.02)
	# Orphans: each worker ever seen is dead or still the daemon's child; no
	# forkpoold process of this test's process group is outside its tree.
	kids = fc.children(dpid)
	orphans = []
	with open(os.path.join(T, "seen")) as f:
		for line in f:
			p, s = map(int, line.split())
			st = fc._stat(p)
			if st is None or st[0] in "ZX" or int(st[19]) != s:
				continue
			if int(st[1]) != dpid:
				orphans.append((p, "ppid %s" % st[1]))
	mypg = os.getpgid(0)
	for d in os.listdir("/proc"):
		if not d.isdigit() or int(d) in (dpid,) or int(d) in kids:
			continue
		try:
			with open("/proc/%s/stat" % d) as f:
				raw = f.read()
		except OSError:
			continue
		comm = raw[raw.index("(") + 1:raw.rindex(")")]
		st = raw[raw.rindex(")") + 2:].split()
		if comm.startswith("forkpoold") and st[0] not in "ZX" and \
		    int(st[2]) == mypg:
			orphans.append((int(d), "forkpoold outside the daemon's tree, "
			    "ppid %s" % st[1]))
	if orphans:
		fc.fail("orphaned worker processes: %r" % (orphans,))
	if len(kids) != 3:
		fc.fail("workers after the load: %r" % (kids,))
	st = fc.stats(sock)
	if st.get("queued") != 0 or st.get("running") != 0:
		fc.fail("tasks left after every request was answered: %r" % (st,))
	with open(os.path.join(T, "rss_warm")) as f:
		warm = int(f.read())
	rss = fc.vmrss_kib(dpid)
	print("chaos: workers %r, no zombie, no orphan; supervisor RSS %d KiB after "
	    "warm-up, %d KiB after the run (bound +%d KiB); stats %r" % (kids,
	    warm, rss, bound, {k: st.get(k) for k in ("tasks_ok", "tasks_failed",
	    "worker_crashes", "tasks_timeout", "tasks_retried", "generation")}))
	with open("/proc/%d/maps" % dpid) as f:
		asan = "libasan" in f.read()
	if asan or os.environ.get("FP_WRAP"):
		# AddressSanitizer's quarantine, or valgrind, owns that memory.
		print("chaos: RSS bound not checked under %s" %
		    ("AddressSanitizer" if asan else os.environ["FP_WRAP"]))
	elif rss > warm + bound:
		fc.fail("supervisor RSS grew from %d KiB after warm-up to %d KiB after "
		    "the run (bound +%d KiB)" % (warm, rss, bound))


if __name__ == "__main__":
	if len(sys.argv) == 2 and sys.argv[1] == "load":
		load()
	elif len(sys.argv) == 4 and sys.argv[1] == "faults":
		faults(sys.argv[2] == "1", sys.argv[3] == "1")
	elif len(sys.argv) == 2 and sys.argv[1] == "after":
		after()
	else:
		sys.exit(__doc__)
