#!/usr/bin/env python3
"""producer.py -- give forkpoold a task through Redis Streams, and wait for
its answer.  An example, in Python with redis-py and msgpack (Debian:
apt-get install python3-redis python3-msgpack):

    python3 producer.py [--host H] [--port P] [--stream S] [--cid CID]
        [--timeout MS] [--retries N] [--wait SECONDS] [--no-reply]
        METHOD [PARAMS_JSON]

    python3 tools/streams/producer.py --port 6379 --stream '{jobs}:tasks' \\
        echo '["hello"]'

forkpoold consumes the stream S (default {jobs}:tasks) when its
configuration has a `source' block for it (forkpool.conf(5)); producers
need nothing but a Redis client.  (For a Redis Cluster, make the client
with redis.cluster.RedisCluster instead of redis.Redis; nothing else
changes.)

A task is one entry XADDed to the stream, with the fields:

    method    the handler's name (required)
    params    the MessagePack encoding of the params array (absent: [])
    timeout   milliseconds, in decimal (optional; it can only shorten the
              handler's configured timeout); the deadline counts from the
              entry id's time, which is Redis's clock
    retries   in decimal (optional): runs again after a worker crash
    cid       a correlation id (optional), copied into the answer and logs
    reply_to  the stream to answer on (optional; absent or empty: nobody
              is answered).  In a Redis Cluster it must carry the task
              stream's hash tag ({jobs} here), as every name this program
              derives from the stream name does.
    v         the format version, "1" (optional)

The answer is one entry XADDed to reply_to, with the fields:

    re        the task entry's id
    cid       the task's cid (if it had one)
    res       the MessagePack encoding of the result -- or --
    err       the MessagePack encoding of an error map {"code": ...,
              "message": ...} with the codes of forkpool-rpc(7) (timeout,
              worker_crashed, invalid_params, ...), and dead_lettered for a
              task that was delivered max-deliveries times without an
              answer (its daemons died or lost Redis each time)
    dc        how many times the task was delivered (decimal)
    by        the consumer (daemon) that answered

Each task is answered at most once, and exactly once unless Redis loses
it.  This program uses a reply stream of its own, STREAM ":reply:" a
random suffix, which it deletes at the end (the daemon also expires reply
streams after reply-ttl).  Prints the result as JSON and exits 0; an error
answer is printed as `producer.py: CODE: MESSAGE' on stderr, exit status 1;
no answer within --wait seconds (default 30): exit status 2.
"""

import argparse
import json
import sys
import time
import uuid

import msgpack
import redis


def main():
	p = argparse.ArgumentParser(description="Give forkpoold a task "
	    "through a Redis stream and print its answer.")
	p.add_argument("--host", default="127.0.0.1")
	p.add_argument("--port", type=int, default=6379)
	p.add_argument("--stream", default="{jobs}:tasks")
	p.add_argument("--cid", help="correlation id (default: random)")
	p.add_argument("--timeout", type=int, help="deadline in ms")
	p.add_argument("--retries", type=int)
	p.add_argument("--wait", type=float, default=30.0,
	    help="seconds to wait for the answer (default 30)")
	p.add_argument("--no-reply", action="store_true",
	    help="fire and forget: ask for no answer")
	p.add_argument("method")
	p.add_argument("params", nargs="?", default="[]",
	    help="the params array, in JSON (default [])")
	a = p.parse_args()
	params = json.loads(a.params)
	if not isinstance(params, list):
		p.error("PARAMS_JSON must be a JSON array")

	r = redis.Redis(host=a.host, port=a.port)
	cid = a.cid or uuid.uuid4().hex
	reply = None if a.no_reply else \
	    "%s:reply:%s" % (a.stream, uuid.uuid4().hex)
	entry = {"method": a.method,
	    "params": msgpack.packb(params, use_bin_type=True),
	    "cid": cid, "v": "1"}
	if a.timeout is not None:
		entry["timeout"] = str(a.timeout)
	if a.retries is not None:
		entry["retries"] = str(a.retries)
	if reply:
		entry["reply_to"] = reply
	eid = r.xadd(a.stream, entry).decode()
	print("task %s (cid %s) added to %s" % (eid, cid, a.stream),
	    file=sys.stderr)
	if not reply:
		return 0

	try:
		deadline = time.monotonic() + a.wait
		last = "0"
		while True:
			left = deadline - time.monotonic()
			if left <= 0:
				print("producer.py: no answer within %g s" % a.wait,
				    file=sys.stderr)
				return 2
			got = r.xread({reply: last}, count=10,
			    block=max(1, int(left * 1000)))
			for _, entries in got or []:
				for aid, f in entries:
					last = aid
					if f.get(b"re", b"").decode() == eid:
						return answer(f)
	finally:
		r.delete(reply)


def answer(f):
	"""Print an answer's result, or its error; the exit status."""
	by = f.get(b"by", b"?").decode()
	dc = f.get(b"dc", b"?").decode()
	if b"res" in f:
		res = msgpack.unpackb(f[b"res"], raw=False)
		print("answered by %s (delivery %s)" % (by, dc), file=sys.stderr)
		print(json.dumps(res, default=repr))
		return 0
	err = msgpack.unpackb(f[b"err"], raw=False)
	print("producer.py: %s: %s (answered by %s, delivery %s)" % (
	    err.get("code"), err.get("message"), by, dc), file=sys.stderr)
	return 1


if __name__ == "__main__":
	sys.exit(main())
