"""fpstream.py -- producer and checker of the Redis Streams tests (issue 13).

Produces task entries as forkpool's Redis sources read them, and checks the
answers forkpoold gives (entry and answer formats: forkpool.conf(5), the
`source' block).  A command, `python3 fpstream.py [CONNECTION] SUBCOMMAND
[OPTION...]', and a module (PYTHONPATH is set by tests/redis.sh).

Connection (before the subcommand): --host HOST (default 127.0.0.1),
--port PORT (default 6379), or --cluster PORT,PORT,... (a Redis Cluster
reached through those nodes on HOST); --password PASSWORD and --user
USER (ACL) to authenticate.

Subcommands:

  produce --stream S [-n N] [--method M] [--params JSON] [--cid PREFIX]
          [--cid-param] [--timeout MS] [--retries N] [--v V]
          [--reply-to R | --no-reply] [--field K=V]... [--params-hex HEX]
          [--maxlen N [--approx]] [--rate PER_S] [--ids FILE]
      XADD N entries to S: method M (default echo; "" leaves the field
      out), params the MessagePack of the JSON array (default [])
      or the raw bytes HEX, cid PREFIX-I (I from 0) with --cid, the cid
      appended to the params with --cid-param (so that echo answers it),
      reply_to R (default S ":reply"; none with --no-reply), MAXLEN = N
      (~ N with --approx) on every XADD, at most PER_S entries a second
      (default: as fast as pipelining goes).  Appends `ID' or `ID CID' per
      entry to FILE.  Prints {"produced", "stream", "reply_to", "first",
      "last", "seconds"}.

  verify --ids FILE... [--reply R...] [--stream S... --group G]
         [--check LIST] [--codes JSON] [--by-min N] [--wait S] [--linger S]
         [--out FILE]
      Reads the reply streams (default: S ":reply" of each --stream) from
      the start until every id of the ids files has an answer, or --wait
      seconds (default 30) have passed, then --linger seconds more (default
      0) for late duplicates.  Checks (--check, comma-separated; default
      dups,missing,unexpected):
        dups        no entry id answered twice
        missing     every entry id answered
        unexpected  no answer to an id that is not in the ids files
        pending     XPENDING of G on every S ends at 0 (polled until
                    --wait is over)
        cid         each answer's cid is the one its entry had
        res-cid     each result of an entry with a cid equals that cid
                    (echo with --cid-param: no result went to another
                    entry)
      --codes JSON: the answers per code are exactly these ({"ok": 10});
      --by-min N: at least N distinct consumers answered.  --out FILE:
      every answer as a JSON line.  Prints one line of JSON: answered,
      answers, duplicates, dup_ids, missing, missing_ids, unexpected,
      codes (ok and each error code; "malformed" for an answer with
      neither res nor err, or undecodable), by, dc (answers per
      delivery count), pending (null if not checked), cid_mismatch,
      res_mismatch, reply_trimmed, seconds, failed (the checks that
      failed).  Exit status 0 only if every check asked for passes.
      reply_trimmed counts the entries gone from the reply streams (the
      daemon trims them to MAXLEN ~ reply-maxlen): with answers missing,
      make reply-maxlen larger than the entries of a reply stream, or
      verify while the answers come.

  pending --stream S --group G [--consumer C [--ids-out FILE]]
      XPENDING summary as JSON: {"count", "min", "max", "consumers":
      {C: N}}; with --consumer also "ids" (C's pending entries, with
      idle ms and delivery count) and FILE gets them one per line.

  wait-pending --stream S --group G [--consumer C] (--at-most N |
               --at-least N) [--timeout S]
      Polls XPENDING (every 20 ms, at most S seconds, default 30) until
      the group's (or C's) pending count is at most / at least N.  Prints
      {"elapsed_ms", "count", "consumers"}; exit status 1 on timeout.

  wait-taken --stream S --group G --consumer C [--ids FILE] [--timeout S]
      Polls until C holds none of the entries listed in FILE (as pending
      --ids-out writes them; without --ids: until C holds nothing): each
      is acked or pending under another consumer.  Prints {"elapsed_ms",
      "ids", "acked", "owners": {CONSUMER: N}}; exit status 1 on timeout.

  watch --stream S --group G [--interval MS] [--duration S]
        [--stop-file F] [--limit N]
      Samples XPENDING every MS (default 20), at least once, until F
      exists, SIGTERM, or S seconds (default 120) have passed; prints
      {"samples", "max": {CONSUMER: most pending seen}, "max_total",
      "over": {CONSUMER: N above the limit}}; with --limit, exit status 1
      if a consumer was seen holding more than N.

  dump --stream S [--count N]
      The entries of S (e.g. a dead-letter stream) as JSON lines, with
      params, res and err decoded from MessagePack.

Usage errors exit 64; an unreachable Redis exits 2.
"""

import argparse
import json
import logging
import os
import signal
import sys
import time

import msgpack
import redis

POLL = 0.02


# ---- connection and decoding ------------------------------------------

def connect(host="127.0.0.1", port=6379, cluster=None, password=None,
    user=None):
	"""A redis-py client: RedisCluster through the nodes on the ports
	of cluster (a list), else Redis on host:port.  Bytes in and out."""
	if cluster:
		from redis.cluster import ClusterNode, RedisCluster
		# redis.cluster logs every error reply with a traceback
		# (log.exception): the caller reports errors itself.
		logging.getLogger("redis").addHandler(logging.NullHandler())
		return RedisCluster(startup_nodes=[ClusterNode(host, int(p))
		    for p in cluster], password=password, username=user,
		    require_full_coverage=True, socket_timeout=10)
	return redis.Redis(host=host, port=port, password=password,
	    username=user, socket_timeout=10)


def s(b):
	"""bytes to str (None stays None)."""
	return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


def unpack(b):
	return msgpack.unpackb(b, raw=False, strict_map_key=False)


def jsonable(v):
	if isinstance(v, bytes):
		try:
			return v.decode("utf-8")
		except UnicodeDecodeError:
			return {"hex": v.hex()}
	if isinstance(v, dict):
		return {str(jsonable(k)): jsonable(x) for k, x in v.items()}
	if isinstance(v, (list, tuple)):
		return [jsonable(x) for x in v]
	return v


def decode_answer(eid, fields):
	"""An answer entry as a dict: id, re, cid, dc, by, code, and res or
	err (decoded); code is "ok", the error's code, or "malformed"."""
	f = {s(k): v for k, v in fields.items()}
	a = {"id": s(eid), "re": s(f.get("re")), "cid": s(f.get("cid")),
	    "by": s(f.get("by")), "dc": s(f.get("dc")), "code": "malformed"}
	try:
		if "res" in f and "err" not in f:
			a["res"] = unpack(f["res"])
			a["code"] = "ok"
		elif "err" in f and "res" not in f:
			a["err"] = unpack(f["err"])
			if isinstance(a["err"], dict) and \
			    isinstance(a["err"].get("code"), str):
				a["code"] = a["err"]["code"]
	except (ValueError, msgpack.UnpackException):
		a["code"] = "malformed"
	return a


def read_ids(paths):
	"""The ids files: {id: cid or None}, in order."""
	ids = {}
	for p in paths:
		with open(p) as f:
			for line in f:
				w = line.split()
				if w:
					ids[w[0]] = w[1] if len(w) > 1 else None
	return ids


def pending_summary(r, stream, group):
	"""XPENDING summary: {"count", "min", "max", "consumers": {C: N}}."""
	p = r.xpending(stream, group)
	return {"count": p["pending"], "min": s(p["min"]), "max": s(p["max"]),
	    "consumers": {s(c["name"]): int(c["pending"])
	    for c in p["consumers"] or []}}


def pending_of(r, stream, group, consumer, n):
	"""Up to n entries pending for consumer: [{"id", "idle", "dc"}]."""
	if n <= 0:
		return []
	return [{"id": s(e["message_id"]), "idle": e["time_since_delivered"],
	    "dc": e["times_delivered"]} for e in r.xpending_range(stream,
	    group, min="-", max="+", count=n, consumername=consumer)]


def nogroup(e):
	return "NOGROUP" in str(e) or "no such key" in str(e).lower()


# ---- produce -----------------------------------------------------------

def produce(r, stream, n=1, method="echo", params=(), cid=None,
    cid_param=False, timeout=None, retries=None, v=None, reply_to=None,
    fields=(), params_raw=None, maxlen=None, approx=False, rate=None,
    ids_path=None):
	"""XADD n entries; returns [(id, cid)]."""
	made = []
	out = open(ids_path, "a") if ids_path else None
	t0 = time.monotonic()
	batch = 1 if rate else 500
	i = 0
	while i < n:
		pipe = r.pipeline(transaction=False)
		cids = []
		for j in range(i, min(n, i + batch)):
			e = {}
			if method:
				e["method"] = method
			c = "%s-%d" % (cid, j) if cid is not None else None
			cids.append(c)
			if params_raw is not None:
				e["params"] = params_raw
			else:
				p = list(params) + ([c] if cid_param else [])
				e["params"] = msgpack.packb(p, use_bin_type=True)
			if timeout is not None:
				e["timeout"] = str(timeout)
			if retries is not None:
				e["retries"] = str(retries)
			if c is not None:
				e["cid"] = c
			if reply_to:
				e["reply_to"] = reply_to
			if v is not None:
				e["v"] = v
			for kv in fields:
				k, _, val = kv.partition("=")
				e[k] = val
			if rate:
				delay = t0 + j / rate - time.monotonic()
				if delay > 0:
					time.sleep(delay)	# pacing
			pipe.xadd(stream, e, maxlen=maxlen, approximate=approx)
		for eid, c in zip(pipe.execute(), cids):
			made.append((s(eid), c))
			if out:
				out.write(s(eid) + (" " + c if c else "") + "\n")
		i += len(cids)
	if out:
		out.close()
	return made


def cmd_produce(r, a):
	params = json.loads(a.params)
	if not isinstance(params, list):
		raise Usage("--params must be a JSON array")
	if a.cid_param and a.cid is None:
		raise Usage("--cid-param needs --cid")
	reply = None if a.no_reply else (a.reply_to or a.stream + ":reply")
	t0 = time.monotonic()
	made = produce(r, a.stream, a.n, a.method, params, a.cid, a.cid_param,
	    a.timeout, a.retries, a.v, reply, a.field,
	    bytes.fromhex(a.params_hex) if a.params_hex is not None else None,
	    a.maxlen, a.approx, a.rate, a.ids)
	print(json.dumps({"produced": len(made), "stream": a.stream,
	    "reply_to": reply, "first": made[0][0] if made else None,
	    "last": made[-1][0] if made else None,
	    "seconds": round(time.monotonic() - t0, 3)}))
	return 0


# ---- verify ------------------------------------------------------------

def collect(r, replies, want, wait, linger, cluster):
	"""Read the reply streams from the start until every id in want is
	answered or wait seconds passed, then linger seconds more; the
	answers, decoded, in the order read."""
	last = {x: "0" for x in replies}
	answers, seen = [], set()
	t0 = time.monotonic()
	deadline, until = t0 + wait, None
	while True:
		now = time.monotonic()
		if until is None and want <= seen:
			until = now + linger
		if now >= (until if until is not None else deadline):
			break
		got = 0
		for x in replies:
			for _, entries in r.xread({x: last[x]}, count=1000) or []:
				for eid, fields in entries:
					last[x] = s(eid)
					a = decode_answer(eid, fields)
					answers.append(a)
					seen.add(a["re"])
					got += 1
		if got:
			continue
		left = (until if until is not None else deadline) - \
		    time.monotonic()
		ms = max(1, min(100, int(left * 1000)))
		# Only a wait: what comes is read again in the next round.
		if cluster or len(replies) == 1:
			r.xread({replies[0]: last[replies[0]]}, count=1, block=ms)
		else:
			r.xread(dict(last), count=1, block=ms)
	return answers


def verify(r, ids, replies, streams=(), group=None, checks=("dups",
    "missing", "unexpected"), codes=None, by_min=None, wait=30.0,
    linger=0.0, out_path=None, cluster=False):
	"""Collect and check; the summary dict (failed: the checks that
	failed)."""
	t0 = time.monotonic()
	answers = collect(r, replies, set(ids), wait, linger, cluster)
	per, code_n, by_n, dc_n = {}, {}, {}, {}
	unexpected = cid_bad = res_bad = 0
	for a in answers:
		per[a["re"]] = per.get(a["re"], 0) + 1
		code_n[a["code"]] = code_n.get(a["code"], 0) + 1
		by_n[str(a["by"])] = by_n.get(str(a["by"]), 0) + 1
		dc_n[str(a["dc"])] = dc_n.get(str(a["dc"]), 0) + 1
		if a["re"] not in ids:
			unexpected += 1
			continue
		if a["cid"] != ids[a["re"]]:
			cid_bad += 1
		if a["code"] == "ok" and ids[a["re"]] is not None and \
		    a["res"] != ids[a["re"]]:
			res_bad += 1
	dups = [x for x in ids if per.get(x, 0) > 1]
	missing = [x for x in ids if x not in per]
	pending = None
	if "pending" in checks:
		deadline = t0 + wait
		while True:
			try:
				pending = sum(pending_summary(r, x, group)["count"]
				    for x in streams)
			except redis.ResponseError as e:
				if not nogroup(e):
					raise
				pending = "nogroup"
			if pending == 0 or time.monotonic() >= deadline:
				break
			time.sleep(POLL)
	trimmed = 0
	for x in replies:
		try:
			info = r.xinfo_stream(x)
			trimmed += info["entries-added"] - info["length"]
		except redis.ResponseError:
			pass		# no such stream: nothing was answered
	failed = []
	for name, bad in (("dups", dups), ("missing", missing),
	    ("unexpected", unexpected), ("pending", pending != 0),
	    ("cid", cid_bad), ("res-cid", res_bad)):
		if name in checks and bad:
			failed.append(name)
	if codes is not None and codes != code_n:
		failed.append("codes")
	if by_min is not None and len(by_n) < by_min:
		failed.append("by-min")
	if out_path:
		with open(out_path, "w") as f:
			for a in answers:
				f.write(json.dumps(jsonable(a)) + "\n")
	return {"answered": sum(1 for x in ids if x in per),
	    "answers": len(answers),
	    "duplicates": sum(per[x] - 1 for x in dups),
	    "dup_ids": dups[:10], "missing": len(missing),
	    "missing_ids": missing[:10], "unexpected": unexpected,
	    "codes": code_n, "by": by_n, "dc": dc_n, "pending": pending,
	    "cid_mismatch": cid_bad, "res_mismatch": res_bad,
	    "reply_trimmed": trimmed,
	    "seconds": round(time.monotonic() - t0, 3), "failed": failed}


CHECKS = ("dups", "missing", "unexpected", "pending", "cid", "res-cid")


def cmd_verify(r, a):
	checks = [c for c in a.check.split(",") if c]
	for c in checks:
		if c not in CHECKS:
			raise Usage("unknown check %r (%s)" % (c,
			    ", ".join(CHECKS)))
	if "pending" in checks and not (a.stream and a.group):
		raise Usage("the pending check needs --stream and --group")
	replies = a.reply or [x + ":reply" for x in a.stream]
	if not replies:
		raise Usage("no reply stream: give --reply or --stream")
	codes = json.loads(a.codes) if a.codes is not None else None
	summary = verify(r, read_ids(a.ids), replies, a.stream, a.group, checks,
	    codes, a.by_min, a.wait, a.linger, a.out, bool(a.cluster))
	print(json.dumps(summary, sort_keys=True))
	return 1 if summary["failed"] else 0


# ---- pending and waiting -----------------------------------------------

def cmd_pending(r, a):
	p = pending_summary(r, a.stream, a.group)
	if a.consumer is not None:
		p["ids"] = pending_of(r, a.stream, a.group, a.consumer,
		    p["consumers"].get(a.consumer, 0))
		if a.ids_out:
			with open(a.ids_out, "w") as f:
				for e in p["ids"]:
					f.write(e["id"] + "\n")
	print(json.dumps(p, sort_keys=True))
	return 0


def poll(timeout, fn):
	"""Call fn every POLL s until it returns a true value or timeout s
	passed; (value, elapsed ms, True if it came in time)."""
	t0 = time.monotonic()
	while True:
		v = fn()
		ms = int((time.monotonic() - t0) * 1000)
		if v:
			return v, ms, True
		if ms >= timeout * 1000:
			return v, ms, False
		time.sleep(POLL)


def cmd_wait_pending(r, a):
	if (a.at_most is None) == (a.at_least is None):
		raise Usage("give one of --at-most and --at-least")
	last = {}

	def check():
		try:
			p = pending_summary(r, a.stream, a.group)
		except redis.ResponseError as e:
			if not nogroup(e):
				raise
			return False
		n = p["consumers"].get(a.consumer, 0) if a.consumer else p["count"]
		last.update(count=n, consumers=p["consumers"])
		if a.at_most is not None:
			return n <= a.at_most
		return n >= a.at_least

	_, ms, ok = poll(a.timeout, check)
	print(json.dumps({"elapsed_ms": ms, "count": last.get("count"),
	    "consumers": last.get("consumers")}, sort_keys=True))
	return 0 if ok else 1


def cmd_wait_taken(r, a):
	ids = list(read_ids([a.ids])) if a.ids else None
	state = {}

	def check():
		if ids is None:
			p = pending_summary(r, a.stream, a.group)
			state.update(ids=None, acked=None, owners=p["consumers"])
			return a.consumer not in p["consumers"]
		pipe = r.pipeline(transaction=False)
		for x in ids:
			pipe.xpending_range(a.stream, a.group, min=x, max=x,
			    count=1)
		owners, acked = {}, 0
		for rows in pipe.execute():
			if not rows:
				acked += 1
				continue
			c = s(rows[0]["consumer"])
			owners[c] = owners.get(c, 0) + 1
		state.update(ids=len(ids), acked=acked, owners=owners)
		return a.consumer not in owners

	_, ms, ok = poll(a.timeout, check)
	print(json.dumps(dict(state, elapsed_ms=ms), sort_keys=True))
	return 0 if ok else 1


def cmd_watch(r, a):
	stop = []
	signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
	end = time.monotonic() + a.duration
	most, most_total, n = {}, 0, 0
	while True:
		try:
			p = pending_summary(r, a.stream, a.group)
		except redis.ResponseError as e:
			if not nogroup(e):
				raise
			p = {"count": 0, "consumers": {}}
		n += 1
		most_total = max(most_total, p["count"])
		for c, k in p["consumers"].items():
			most[c] = max(most.get(c, 0), k)
		if stop or time.monotonic() >= end or \
		    (a.stop_file and os.path.exists(a.stop_file)):
			break
		time.sleep(a.interval / 1000.0)
	over = {c: k for c, k in most.items()
	    if a.limit is not None and k > a.limit}
	print(json.dumps({"samples": n, "max": most, "max_total": most_total,
	    "over": over}, sort_keys=True), flush=True)
	return 1 if over else 0


def cmd_dump(r, a):
	for eid, fields in r.xrange(a.stream, count=a.count):
		e = {"id": s(eid)}
		for k, v in fields.items():
			k = s(k)
			if k in ("params", "res", "err"):
				try:
					v = unpack(v)
				except (ValueError, msgpack.UnpackException):
					pass
			e[k] = jsonable(v)
		print(json.dumps(e, sort_keys=True))
	return 0


# ---- command line ------------------------------------------------------

class Usage(Exception):
	pass


class Parser(argparse.ArgumentParser):
	def error(self, message):
		self.print_usage(sys.stderr)
		sys.stderr.write("fpstream.py: %s\n" % message)
		sys.exit(64)


def parser():
	p = Parser(prog="fpstream.py", description="Producer and checker "
	    "of the Redis Streams tests; see the module docstring.")
	p.add_argument("--host", default="127.0.0.1")
	p.add_argument("--port", type=int, default=6379)
	p.add_argument("--cluster", help="PORT,PORT,... of cluster nodes")
	p.add_argument("--password")
	p.add_argument("--user")
	sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)

	c = sub.add_parser("produce")
	c.add_argument("--stream", required=True)
	c.add_argument("-n", type=int, default=1)
	c.add_argument("--method", default="echo")
	c.add_argument("--params", default="[]")
	c.add_argument("--params-hex")
	c.add_argument("--cid")
	c.add_argument("--cid-param", action="store_true")
	c.add_argument("--timeout", type=int)
	c.add_argument("--retries", type=int)
	c.add_argument("--v")
	g = c.add_mutually_exclusive_group()
	g.add_argument("--reply-to")
	g.add_argument("--no-reply", action="store_true")
	c.add_argument("--field", action="append", default=[])
	c.add_argument("--maxlen", type=int)
	c.add_argument("--approx", action="store_true")
	c.add_argument("--rate", type=float)
	c.add_argument("--ids")
	c.set_defaults(fn=cmd_produce)

	c = sub.add_parser("verify")
	c.add_argument("--ids", action="append", required=True)
	c.add_argument("--reply", action="append", default=[])
	c.add_argument("--stream", action="append", default=[])
	c.add_argument("--group")
	c.add_argument("--check", default="dups,missing,unexpected")
	c.add_argument("--codes")
	c.add_argument("--by-min", type=int)
	c.add_argument("--wait", type=float, default=30.0)
	c.add_argument("--linger", type=float, default=0.0)
	c.add_argument("--out")
	c.set_defaults(fn=cmd_verify)

	c = sub.add_parser("pending")
	c.add_argument("--stream", required=True)
	c.add_argument("--group", required=True)
	c.add_argument("--consumer")
	c.add_argument("--ids-out")
	c.set_defaults(fn=cmd_pending)

	c = sub.add_parser("wait-pending")
	c.add_argument("--stream", required=True)
	c.add_argument("--group", required=True)
	c.add_argument("--consumer")
	c.add_argument("--at-most", type=int)
	c.add_argument("--at-least", type=int)
	c.add_argument("--timeout", type=float, default=30.0)
	c.set_defaults(fn=cmd_wait_pending)

	c = sub.add_parser("wait-taken")
	c.add_argument("--stream", required=True)
	c.add_argument("--group", required=True)
	c.add_argument("--consumer", required=True)
	c.add_argument("--ids")
	c.add_argument("--timeout", type=float, default=30.0)
	c.set_defaults(fn=cmd_wait_taken)

	c = sub.add_parser("watch")
	c.add_argument("--stream", required=True)
	c.add_argument("--group", required=True)
	c.add_argument("--interval", type=float, default=20.0)
	c.add_argument("--duration", type=float, default=120.0)
	c.add_argument("--stop-file")
	c.add_argument("--limit", type=int)
	c.set_defaults(fn=cmd_watch)

	c = sub.add_parser("dump")
	c.add_argument("--stream", required=True)
	c.add_argument("--count", type=int)
	c.set_defaults(fn=cmd_dump)
	return p


def main(argv):
	a = parser().parse_args(argv[1:])
	ports = a.cluster.split(",") if a.cluster else None
	try:
		r = connect(a.host, a.port, ports, a.password, a.user)
		return a.fn(r, a)
	except Usage as e:
		sys.stderr.write("fpstream.py %s: %s\n" % (a.cmd, e))
		return 64
	except (redis.ConnectionError, redis.TimeoutError) as e:
		sys.stderr.write("fpstream.py %s: cannot reach Redis: %s\n" %
		    (a.cmd, e))
		return 2
	except redis.ResponseError as e:
		sys.stderr.write("fpstream.py %s: Redis: %s\n" % (a.cmd, e))
		return 2


if __name__ == "__main__":
	sys.exit(main(sys.argv))
