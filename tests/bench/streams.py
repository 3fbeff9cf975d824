"""streams.py -- the measurements of tests/bench/streams.sh: forkpoold's
Redis Streams path (forkpool-streams(7)) against its socket, and the
summary table of the whole benchmark (BullMQ's rows come from
tests/bench/bullmq/bench.js in the same format).

    /usr/bin/python3 tests/bench/streams.py [--host H] [--port P] CMD ...

  throughput --stream S --reply R -n N --variant V [--group G]
             [--cpu-pid PID]...
      XADD N echo entries (params [I], reply_to R) in one pipelined write
      (encoded before the clock starts, so that the producer costs next to
      nothing), wait until R holds N answers, then check them: one answer
      per entry id, each the echo of its I, nothing pending in G, no late
      answer.  The time is Redis's: from the id of the first entry to the
      id of the last answer.  CPU time per entry: of Redis (INFO cpu), of
      the processes PID and their children (the daemons: supervisor and
      workers), and of this producer (encoding included); Redis's
      used_memory growth per entry (the entry, its answer, its done
      marker).
  latency --stream S --reply R -n N --warmup W --depth D --variant V
      D entries in flight (1: one at a time): XADD, then XREAD BLOCK on
      R until the answer comes; a new entry for each answer.  Round trip
      of each entry, p50/p99, and us per entry (elapsed / N).
  redis-rt -n N --warmup W
      The producer's own cost in the latency loop, with no daemon: XADD
      to a scratch stream and XREAD of an answer already there.
  socket --socket PATH -n N --warmup W --depth D --variant V
      The same echo tasks through forkpoold's socket with the Python
      client (tools/python): BlockingClient for D = 1, asyncio Client
      with D calls in flight otherwise.
  cbench --forkpool CLI --socket PATH -n N --warmup W --depth D
      The same through `forkpool bench -m echo -z 8' (the C client), as a
      row.
  wait-up --socket PATH... [--timeout S]
      Waits until every source of every daemon is up.
  free-port
      Prints a free loopback TCP port.
  srcstats --socket PATH... --label L
      The sources' counters of each daemon (forkpool.stats): prints the
      ones that show trouble (claimed, recovered, suppressed, lost,
      dead_lettered, leases_lost, answers_dropped, reconnects, inflight,
      errors) and exits 1 if any is not 0.
  summary FILE
      The table: per case and variant, the median [min-max] of the runs
      in FILE (JSON lines), then forkpool's ratios and differences, then
      the command of each row.

Each measuring command prints one JSON line: case, variant, n, the
metrics, "anomalies" (a map, empty when all is well) and "cmd".  Exit
status 1 if an anomaly was seen (the row is printed all the same), 2 if
Redis or the daemon cannot be reached, 64 on a usage error.
"""

import argparse
import asyncio
import json
import os
import shlex
import socket
import statistics
import sys
import time

import msgpack
import redis

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "python"))


def cmdline():
	"""This process's command, for the table's list of commands."""
	prog = os.path.relpath(os.path.abspath(sys.argv[0]))
	return " ".join(shlex.quote(a) for a in
	    [os.path.basename(sys.executable), prog] + sys.argv[1:])


def emit(row, anomalies):
	row["anomalies"] = anomalies
	row["cmd"] = cmdline()
	print(json.dumps(row), flush=True)
	return 1 if anomalies else 0


def pct(xs, p):
	"""The p-th percentile (nearest rank) of xs, sorted."""
	if not xs:
		return 0.0
	k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
	return xs[k]


def idms(eid):
	"""The millisecond part of a stream id (bytes or str)."""
	if isinstance(eid, bytes):
		eid = eid.decode()
	return int(eid.split("-")[0])


def connect(a):
	return redis.Redis(host=a.host, port=a.port, socket_timeout=30)


# ---- throughput --------------------------------------------------------

def resp(*args):
	"""One command in RESP, the Redis protocol."""
	out = [b"*%d\r\n" % len(args)]
	for x in args:
		if isinstance(x, str):
			x = x.encode()
		out.append(b"$%d\r\n%s\r\n" % (len(x), x))
	return b"".join(out)


def read_replies(f, n):
	"""n replies of XADD (bulk strings) from the buffered socket file f;
	an error reply raises."""
	ids = []
	for _ in range(n):
		line = f.readline()
		if not line.startswith(b"$"):
			raise RuntimeError("XADD: %r" % line.strip())
		size = int(line[1:])
		ids.append(f.read(size + 2)[:-2].decode())
	return ids


def proc_cpu(pid):
	"""CPU seconds (user + system) of pid and of its live children
	(a forkpoold supervisor and its workers); 0 if it is gone."""
	tck = os.sysconf("SC_CLK_TCK")
	total = 0.0
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read().rsplit(")", 1)[1].split()
		total += (int(st[11]) + int(st[12])) / tck
		with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
			kids = [int(k) for k in f.read().split()]
	except (OSError, ValueError, IndexError):
		return total
	return total + sum(proc_cpu(k) for k in kids)


def redis_cpu(r):
	c = r.info("cpu")
	return float(c["used_cpu_user"]) + float(c["used_cpu_sys"])


def cmd_throughput(a):
	r = connect(a)
	p0 = time.process_time()
	payload = b"".join(resp("XADD", a.stream, "*", "method", "echo",
	    "params", msgpack.packb([i]), "reply_to", a.reply)
	    for i in range(a.n))
	r.delete(a.reply)
	s = socket.create_connection((a.host, a.port))
	s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	f = s.makefile("rb")
	mem0 = r.info("memory")["used_memory"]
	cpu0 = (redis_cpu(r), sum(proc_cpu(p) for p in a.cpu_pid))
	t0 = time.perf_counter()
	s.sendall(payload)
	ids = read_replies(f, a.n)
	t_added = time.perf_counter()
	s.close()
	# Wait for the answers: XLEN is cheap and leaves the CPU to the
	# daemons; the time measured is Redis's anyway.
	deadline = time.monotonic() + a.wait
	while r.xlen(a.reply) < a.n and time.monotonic() < deadline:
		time.sleep(0.005)
	t_wall = time.perf_counter() - t0
	cpu1 = (redis_cpu(r), sum(proc_cpu(p) for p in a.cpu_pid),
	    time.process_time())
	mem1 = r.info("memory")["used_memory"]
	answers = r.xrange(a.reply, "-", "+")
	want = {eid: i for i, eid in enumerate(ids)}
	seen = {}
	anomalies = {}
	by = {}
	bad = 0
	errs = {}
	for aid, fld in answers:
		re = fld.get(b"re", b"").decode()
		seen[re] = seen.get(re, 0) + 1
		c = fld.get(b"by", b"?").decode()
		by[c] = by.get(c, 0) + 1
		if b"err" in fld:
			e = msgpack.unpackb(fld[b"err"], raw=False)
			code = e.get("code", "?") if isinstance(e, dict) else "?"
			errs[code] = errs.get(code, 0) + 1
		elif re in want and msgpack.unpackb(fld.get(b"res", b"\xc0"),
		    raw=False) != want[re]:
			bad += 1
	dups = sum(1 for v in seen.values() if v > 1)
	missing = sum(1 for eid in want if eid not in seen)
	unexpected = sum(1 for eid in seen if eid not in want)
	for k, v in (("duplicates", dups), ("missing", missing),
	    ("unexpected", unexpected), ("wrong_result", bad)):
		if v:
			anomalies[k] = v
	if errs:
		anomalies["errors"] = errs
	pend = pending_after(r, a.stream, a.group)
	if pend:
		anomalies["pending"] = pend
	late = r.xlen(a.reply) - len(answers)
	if late:
		anomalies["late_answers"] = late
	rt = 0.0
	if answers:
		rt = (idms(answers[-1][0]) - idms(ids[0])) / 1000.0
	row = {"case": "throughput", "variant": a.variant, "n": a.n,
	    "entries_s": a.n / rt if rt > 0 else 0.0, "seconds": rt,
	    "add_s": t_added - t0, "wall_s": t_wall, "by": by,
	    "redis_us": (cpu1[0] - cpu0[0]) * 1e6 / a.n,
	    "producer_us": (cpu1[2] - p0) * 1e6 / a.n,
	    "mem_b": (mem1 - mem0) / a.n}
	if a.cpu_pid:
		row["consumers_us"] = (cpu1[1] - cpu0[1]) * 1e6 / a.n
	r.delete(a.reply)
	return emit(row, anomalies)


def pending_after(r, stream, group, wait=2.0):
	"""The group's pending count, polled for up to wait seconds until 0
	(answers and acks are one script, so it should be 0 at once)."""
	deadline = time.monotonic() + wait
	while True:
		try:
			n = r.xpending(stream, group)["pending"]
		except redis.ResponseError:
			return 0
		if n == 0 or time.monotonic() > deadline:
			return n
		time.sleep(0.02)


# ---- round trips -------------------------------------------------------

def cmd_latency(a):
	r = connect(a)
	r.delete(a.reply)
	total = a.warmup + a.n
	sent = {}		# entry id -> (index, time sent)
	lat = []
	anomalies = {}
	errs = {}
	last = "0-0"
	nsent = 0
	answered = 0
	t_first = []	# the time the first measured entry was sent

	def send(k):
		nonlocal nsent
		p = r.pipeline(transaction=False)
		idx = []
		for _ in range(k):
			p.xadd(a.stream, {"method": "echo",
			    "params": msgpack.packb([nsent]), "reply_to": a.reply})
			idx.append(nsent)
			nsent += 1
		now = time.perf_counter()
		for i, eid in zip(idx, p.execute()):
			sent[eid] = (i, now)
			if i == a.warmup:
				t_first.append(now)

	send(min(a.depth, total))
	now = time.perf_counter()
	while answered < total:
		got = r.xread({a.reply: last}, count=1000, block=5000)
		if not got:
			anomalies["no_answer_5s"] = len(sent)
			break
		now = time.perf_counter()
		n = 0
		for aid, fld in got[0][1]:
			last = aid
			re = fld.get(b"re")
			if re not in sent:	# a duplicate, or not ours
				anomalies["unexpected_or_dup"] = anomalies.get(
				    "unexpected_or_dup", 0) + 1
				continue
			i, ts = sent.pop(re)
			if b"err" in fld:
				e = msgpack.unpackb(fld[b"err"], raw=False)
				code = e.get("code", "?") if isinstance(e, dict) \
				    else "?"
				errs[code] = errs.get(code, 0) + 1
			elif msgpack.unpackb(fld[b"res"], raw=False) != i:
				anomalies["wrong_result"] = anomalies.get(
				    "wrong_result", 0) + 1
			answered += 1
			n += 1
			if i >= a.warmup:
				lat.append((now - ts) * 1e6)
		if n and nsent < total:
			send(min(n, total - nsent))
	t_end = now
	if errs:
		anomalies["errors"] = errs
	pend = pending_after(r, a.stream, a.group)
	if pend:
		anomalies["pending"] = pend
	# Late duplicates: anything after the last answer read.
	extra = r.xread({a.reply: last}, count=1000, block=50)
	if extra:
		anomalies["duplicates"] = len(extra[0][1])
	r.delete(a.reply)
	lat.sort()
	el = t_end - t_first[0] if t_first else 0.0
	row = {"case": "rt-d%d" % a.depth, "variant": a.variant, "n": len(lat),
	    "us_task": el * 1e6 / max(1, len(lat)), "p50_us": pct(lat, 50),
	    "p99_us": pct(lat, 99), "tasks_s": len(lat) / el if el else 0}
	return emit(row, anomalies)


def cmd_redis_rt(a):
	r = connect(a)
	scratch = "{fpb}:bench:scratch"
	r.delete(scratch, scratch + ":reply")
	r.xadd(scratch + ":reply", {"re": "0-1", "res": msgpack.packb(0)})
	lat = []
	for k in range(a.warmup + a.n):
		t = time.perf_counter()
		r.xadd(scratch, {"method": "echo", "params": msgpack.packb([k]),
		    "reply_to": scratch + ":reply"}, maxlen=1000)
		r.xread({scratch + ":reply": "0-0"}, count=1, block=1000)
		if k >= a.warmup:
			lat.append((time.perf_counter() - t) * 1e6)
	r.delete(scratch, scratch + ":reply")
	el = sum(lat) / 1e6
	lat.sort()
	row = {"case": "rt-d1", "variant": "redis alone", "n": len(lat),
	    "us_task": el * 1e6 / len(lat), "p50_us": pct(lat, 50),
	    "p99_us": pct(lat, 99), "tasks_s": len(lat) / el}
	return emit(row, {})


# ---- the socket --------------------------------------------------------

def cmd_socket(a):
	import forkpool
	anomalies = {}
	lat = []
	if a.depth == 1:
		with forkpool.BlockingClient(a.socket) as fp:
			for i in range(a.warmup):
				fp.call("echo", i)
			t0 = time.perf_counter()
			for i in range(a.n):
				t = time.perf_counter()
				if fp.call("echo", i) != i:
					anomalies["wrong_result"] = anomalies.get(
					    "wrong_result", 0) + 1
				lat.append((time.perf_counter() - t) * 1e6)
			el = time.perf_counter() - t0
	else:
		el = asyncio.run(socket_async(a, lat, anomalies))
	lat.sort()
	row = {"case": "rt-d%d" % a.depth, "variant": a.variant, "n": len(lat),
	    "us_task": el * 1e6 / len(lat), "p50_us": pct(lat, 50),
	    "p99_us": pct(lat, 99), "tasks_s": len(lat) / el}
	return emit(row, anomalies)


async def socket_async(a, lat, anomalies):
	import forkpool
	async with forkpool.Client(a.socket) as fp:
		nxt = 0

		async def loop(limit, record):
			nonlocal nxt
			while nxt < limit:
				i = nxt
				nxt += 1
				t = time.perf_counter()
				if await fp.call("echo", i) != i:
					anomalies["wrong_result"] = anomalies.get(
					    "wrong_result", 0) + 1
				if record:
					lat.append((time.perf_counter() - t) * 1e6)
		await asyncio.gather(*(loop(a.warmup, False)
		    for _ in range(a.depth)))
		t0 = time.perf_counter()
		await asyncio.gather(*(loop(a.warmup + a.n, True)
		    for _ in range(a.depth)))
		return time.perf_counter() - t0


def cmd_cbench(a):
	"""forkpool bench (the C client) as a row: echo of a 8-byte payload
	(the smallest that carries its sequence number)."""
	import re
	import subprocess
	argv = [a.forkpool, "-s", a.socket, "bench", "-m", "echo", "-z", "8",
	    "-d", str(a.depth), "-n", str(a.n), "-W", str(a.warmup)]
	out = subprocess.run(argv, capture_output=True, text=True)
	f = dict(re.findall(r"(\w+)=([0-9.]+)", out.stdout))
	if out.returncode != 0 or "elapsed" not in f:
		print("streams.py: %s: %s%s" % (" ".join(argv), out.stdout,
		    out.stderr), file=sys.stderr)
		return 2
	anomalies = {"errors": int(f["errors"])} if int(f["errors"]) else {}
	n = int(f["tasks"])
	row = {"case": "rt-d%d" % a.depth, "variant": "socket (forkpool bench)",
	    "n": n, "us_task": 1e6 / float(f["rate"]),
	    "p50_us": float(f["p50"]), "p99_us": float(f["p99"]),
	    "tasks_s": float(f["rate"]), "anomalies": anomalies,
	    "cmd": " ".join(shlex.quote(x) for x in
	    [os.path.relpath(a.forkpool)] + argv[1:])}
	print(json.dumps(row), flush=True)
	return 1 if anomalies else 0


# ---- the daemons ------------------------------------------------------

def sources_of(path):
	import forkpool
	with forkpool.BlockingClient(path) as fp:
		return fp.stats().get("sources") or []


def cmd_wait_up(a):
	"""Wait (at most --timeout s) until every source of every daemon is
	up."""
	deadline = time.monotonic() + a.timeout
	while True:
		states = {}
		for path in a.socket:
			try:
				for src in sources_of(path):
					states["%s %s" % (path, src.get("name"))] = \
					    src.get("state")
			except Exception as e:	# noqa: BLE001 (retried, then shown)
				states[path] = str(e)
		if states and all(v == "up" for v in states.values()):
			return 0
		if time.monotonic() > deadline:
			print("streams.py: sources not up after %g s: %s" % (
			    a.timeout, json.dumps(states)), file=sys.stderr)
			return 1
		time.sleep(0.05)


def cmd_free_port(a):
	"""A loopback TCP port nothing listens on, below the ephemeral
	range (free at the time of the check only: the caller retries)."""
	import random
	lo, hi = 10000, 32767
	try:
		with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
			eph = int(f.read().split()[0])
		if eph > lo + 1000:
			hi = eph - 1
	except (OSError, ValueError, IndexError):
		pass
	rnd = random.SystemRandom()
	for _ in range(200):
		port = rnd.randint(lo, hi)
		s = socket.socket()
		try:
			s.bind(("127.0.0.1", port))
		except OSError:
			continue
		finally:
			s.close()
		print(port)
		return 0
	print("streams.py: no free port in %d-%d" % (lo, hi), file=sys.stderr)
	return 1


# ---- the daemons' own counters ----------------------------------------

TROUBLE = ("claimed", "recovered", "suppressed", "lost", "dead_lettered",
    "leases_lost", "answers_dropped", "reconnects", "inflight",
    "answers_buffered")


def cmd_srcstats(a):
	import forkpool
	bad = {}
	for path in a.socket:
		try:
			with forkpool.BlockingClient(path) as fp:
				st = fp.stats()
		except Exception as e:	# noqa: BLE001 (reported, not hidden)
			bad[path] = "stats: %s" % e
			continue
		for src in st.get("sources") or []:
			who = "%s/%s" % (src.get("consumer"), src.get("name"))
			b = {k: src[k] for k in TROUBLE if src.get(k)}
			errs = {k: v for k, v in (src.get("answered") or {}).items()
			    if k != "ok" and v}
			if errs:
				b["answered_errors"] = errs
			if not src.get("up"):
				b["state"] = src.get("state")
			if b:
				bad[who] = b
	if bad:
		print("%s: the sources' counters show trouble: %s" % (a.label,
		    json.dumps(bad, sort_keys=True)))
		return 1
	return 0


# ---- the summary -------------------------------------------------------

TABLES = (
    ("throughput", "N entries (jobs) added at once; time to the last answer;"
     " CPU us per entry", (("entries_s", "entries/s", "%.0f"),
     ("add_s", "add s", "%.3f"), ("redis_us", "redis us", "%.1f"),
     ("consumers_us", "consumers us", "%.1f"),
     ("producer_us", "producer us", "%.1f"),
     ("mem_b", "redis B/entry", "%.0f"))),
    ("rt-", "round trips, 1 or 64 in flight", (("tasks_s", "tasks/s", "%.0f"),
     ("us_task", "us/task", "%.1f"), ("p50_us", "p50 us", "%.0f"),
     ("p99_us", "p99 us", "%.0f"))),
)


def cmd_summary(a):
	rows = []
	with open(a.file) as f:
		for line in f:
			line = line.strip()
			if line.startswith("{"):
				rows.append(json.loads(line))
	order = []
	runs = {}
	for r in rows:
		k = (r["case"], r["variant"])
		if k not in runs:
			runs[k] = []
			order.append(k)
		runs[k].append(r)
	m = {}
	for prefix, title, cols in TABLES:
		keys = [k for k in order if k[0].startswith(prefix)]
		keys.sort(key=lambda k: (k[0], order.index(k)))
		if not keys:
			continue
		print("%s:" % title)
		print(("%-11s %-24s %4s  %s" % ("case", "variant", "runs",
		    "  ".join("%-22s" % c[1] for c in cols))).rstrip())
		for k in keys:
			rs = runs[k]
			cells = []
			for key, _, fmt in cols:
				xs = [r[key] for r in rs if key in r]
				if not xs:
					cells.append("%-22s" % "-")
					continue
				m[k + (key,)] = statistics.median(xs)
				cells.append("%-22s" % ("%s [%s-%s]" % (fmt %
				    statistics.median(xs), fmt % min(xs),
				    fmt % max(xs))))
			print("%-11s %-24s %4d  %s" % (k[0], k[1], len(rs),
			    "  ".join(cells).rstrip()))
		print()
	for k in order:
		if "by" in runs[k][-1]:
			print("%s, answers per consumer (last run): %s" % (k[1],
			    json.dumps(runs[k][-1]["by"], sort_keys=True)))
	bad = [(k, r["anomalies"]) for k in order for r in runs[k]
	    if r.get("anomalies")]
	if bad:
		print("anomalies (the runs that had any):")
		for k, an in bad:
			print("  %s %s: %s" % (k[0], k[1], json.dumps(an)))
	else:
		print("anomalies: none (every answer checked in every run)")
	print()
	print("ratios and differences (medians of this run):")

	def get(case, variant, key):
		return m.get((case, variant, key))

	def ratio(case, v1, v2, key, what):
		x, y = get(case, v1, key), get(case, v2, key)
		if x is not None and y:
			print("  %-11s %s / %s: %.2fx %s" % (case, v1, v2, x / y,
			    what))

	def diff(case, v1, v2, key, what):
		x, y = get(case, v1, key), get(case, v2, key)
		if x is not None and y is not None:
			print("  %-11s %s - %s: %+.1f us %s" % (case, v1, v2,
			    x - y, what))
	ratio("throughput", "forkpool x2", "forkpool x1", "entries_s",
	    "entries/s (2 daemons / 1)")
	ratio("throughput", "forkpool x3", "forkpool x1", "entries_s",
	    "entries/s (3 daemons / 1)")
	for n in (1, 3):
		ratio("throughput", "forkpool x%d" % n, "bullmq x%d" % n,
		    "entries_s", "entries/s (as many consumers, 1 task each)")
	ratio("throughput", "forkpool x1", "bullmq x1 c64", "entries_s",
	    "entries/s (BullMQ with 64 jobs at once)")
	for v in ("forkpool x1", "bullmq x1 c64"):
		x = get("throughput", v, "redis_us")
		if x:
			print("  %-11s %s: Redis spends %.1f us of CPU per entry: "
			    "one Redis core (one stream) serves at most ~%.0f "
			    "entries/s" % ("throughput", v, x, 1e6 / x))
	for d in sorted({k[0] for k in order if k[0].startswith("rt-d")},
	    key=lambda c: int(c[4:])):
		diff(d, "stream", "socket (python)", "us_task",
		    "per task: the stream path over the socket, both from "
		    "Python")
		diff(d, "stream", "socket (forkpool bench)", "us_task",
		    "per task: over the socket from C")
		diff(d, "stream", "redis alone", "us_task",
		    "per task: the stream path less the producer's own XADD "
		    "and XREAD")
		if d == "rt-d1":	# the mean suffers from a loaded machine
			diff(d, "stream", "socket (python)", "p50_us",
			    "at p50 (the mean suffers most from other load)")
			diff(d, "stream", "redis alone", "p50_us",
			    "at p50 (the mean suffers most from other load)")
		ratio(d, "stream", "bullmq", "p50_us", "p50 (forkpool stream / "
		    "BullMQ)")
		ratio(d, "stream", "bullmq", "p99_us", "p99 (forkpool stream / "
		    "BullMQ)")
	print()
	print("commands (one run of each row):")
	for k in order:
		print("  %-11s %-24s %s" % (k[0], k[1], runs[k][0]["cmd"]))
	return 0


def main():
	p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	p.add_argument("--host", default="127.0.0.1")
	p.add_argument("--port", type=int, default=6379)
	sub = p.add_subparsers(dest="cmd", required=True)
	t = sub.add_parser("throughput")
	t.add_argument("--stream", required=True)
	t.add_argument("--reply", required=True)
	t.add_argument("--group", default="forkpool")
	t.add_argument("-n", type=int, default=20000)
	t.add_argument("--wait", type=float, default=60.0)
	t.add_argument("--variant", required=True)
	t.add_argument("--cpu-pid", type=int, action="append", default=[])
	t = sub.add_parser("latency")
	t.add_argument("--stream", required=True)
	t.add_argument("--reply", required=True)
	t.add_argument("--group", default="forkpool")
	t.add_argument("-n", type=int, default=2000)
	t.add_argument("--warmup", type=int, default=200)
	t.add_argument("--depth", type=int, default=1)
	t.add_argument("--variant", default="stream")
	t = sub.add_parser("redis-rt")
	t.add_argument("-n", type=int, default=2000)
	t.add_argument("--warmup", type=int, default=200)
	t = sub.add_parser("socket")
	t.add_argument("--socket", required=True)
	t.add_argument("-n", type=int, default=2000)
	t.add_argument("--warmup", type=int, default=200)
	t.add_argument("--depth", type=int, default=1)
	t.add_argument("--variant", default="socket (python)")
	t = sub.add_parser("cbench")
	t.add_argument("--forkpool", required=True)
	t.add_argument("--socket", required=True)
	t.add_argument("-n", type=int, default=2000)
	t.add_argument("--warmup", type=int, default=200)
	t.add_argument("--depth", type=int, default=1)
	t = sub.add_parser("wait-up")
	t.add_argument("--socket", action="append", required=True)
	t.add_argument("--timeout", type=float, default=10.0)
	sub.add_parser("free-port")
	t = sub.add_parser("srcstats")
	t.add_argument("--socket", action="append", required=True)
	t.add_argument("--label", default="forkpoold")
	t = sub.add_parser("summary")
	t.add_argument("file")
	a = p.parse_args()
	if a.cmd in ("latency", "socket") and a.warmup < 1:
		p.error("--warmup must be at least 1")
	try:
		return {"throughput": cmd_throughput, "latency": cmd_latency,
		    "redis-rt": cmd_redis_rt, "socket": cmd_socket,
		    "cbench": cmd_cbench, "wait-up": cmd_wait_up,
		    "free-port": cmd_free_port,
		    "srcstats": cmd_srcstats, "summary": cmd_summary}[a.cmd](a)
	except (redis.ConnectionError, ConnectionError, OSError) as e:
		print("streams.py: %s: %s" % (a.cmd, e), file=sys.stderr)
		return 2


if __name__ == "__main__":
	sys.exit(main())
