#!/bin/sh
# worker_violation.sh -- a worker that breaks the protocol cannot freeze
# the pool (issue 8, item 2).  max-request-size 512K: a result may hold
# 2 MB (4 x max-request-size); ring-size 16M, so that a record holds up to
# 4 MB and an oversized result comes both as one record and in fragments.
#
# (a) Two 5 KB json.encode notifications of a 5,000-deep array with
#     pretty 16 (400 MB of text), then the same as requests: the requests
#     are answered too_large by the worker itself (no worker killed, no
#     protocol error counted); a bystander's echo calls on another
#     connection are all answered within their 3 s deadline meanwhile;
#     after the sender disconnects the pool is quiet (no worker starts in
#     a 1.5 s window, the same two workers as at the start).
# (b) A 300 KB request whose text would pass 4 GB: too_large, fast; with
#     truncate the text is cut at the limit and `size' is the exact length
#     of the whole text (counted, not built).
# (c) The test handler violate makes the worker break the protocol: an
#     oversized result (one record, then fragments) is answered too_large,
#     a spoofed result id, a malformed result, a bad error record and a
#     corrupt ring index are answered internal naming the violation; each
#     ran once although retries 5 was asked, each is counted in
#     worker_protocol_errors and as a failure in violate's breaker, and
#     the killed workers back off like crashed ones (worker_backoff).  A
#     notification that does it is dropped with a task_dropped line.
# (d) A worker that clears `running' in its stats block and dies (violate
#     lie) with retries 2: the task runs exactly 3 times and is answered
#     worker_crashed; it is never requeued for free.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
max-request-size 512K
ring-size 16M
min-worker-age 1s
respawn-backoff-max 400ms
breaker-threshold 1000
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "worker violations (see above)"
import os, re, threading, time
import msgpack
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
LIMIT = 4 * 512 * 1024

def raw_call(msgid, method, params):
	"""A request whose params are already MessagePack bytes."""
	return b"\x94" + fc.pack(0) + fc.pack(msgid) + fc.pack(method) + params

def raw_notify(method, params):
	return b"\x93" + fc.pack(2) + fc.pack(method) + params

def deep(n):
	return b"\x91" * (n - 1) + b"\x90"

def enc_params(value, opts):
	return b"\x92" + value + fc.pack(opts)

def nlines(regex):
	return len(fc.log_lines(regex))

workers0 = fc.wait_children(dpid, 2)
st0 = fc.stats(sock)

# ---- (a) the repro, with a bystander ----
stop = threading.Event()
bys = {"n": 0, "bad": []}

def bystander():
	b = fc.Conn(sock)
	while not stop.is_set():
		t0 = time.monotonic()
		try:
			msgid = b.queue_request("echo", ["bystander"])
			(m, _), = b.pump(1, 5)
		except (fc.Timeout, fc.Closed) as e:
			bys["bad"].append("no answer: %s" % e)
			return
		dt = time.monotonic() - t0
		if m[2] is not None or m[3] != "bystander" or dt > 3.0:
			bys["bad"].append("%r after %.2f s" % (m, dt))
		bys["n"] += 1
		time.sleep(0.01)
	b.close()

th = threading.Thread(target=bystander)
th.start()
p = enc_params(deep(5000), {"pretty": 16, "max_depth": 100000})
if len(p) > 5200:
	fc.fail("test bug: the notification is %d bytes" % len(p))
s = fc.Conn(sock)
s.queue(raw_notify("json.encode", p))
s.queue(raw_notify("json.encode", p))
ids = list(range(1, 5))
for i in ids:
	s.queue(raw_call(i, "json.encode", p))
t0 = time.monotonic()
got = fc.collect(s, ids, 20, "the sender's requests")
for i in ids:
	m = got[i][0]
	fc.expect_err(m[2], "too_large", "json.encode pretty 16 of a 5,000-deep "
	    "array, request %d" % i)
	if "may hold" not in m[2]["message"]:
		fc.fail("too_large message: %r" % (m[2],))
print("sender's 4 requests answered too_large in %.2f s: %s" %
    (time.monotonic() - t0, got[1][0][2]["message"]))
time.sleep(1.0)
s.close()
stop.set()
th.join(10)
if th.is_alive() or bys["bad"] or bys["n"] < 10:
	fc.fail("bystander: %d calls, problems %r" % (bys["n"], bys["bad"][:5]))
print("bystander: %d echo calls, all answered within 3 s" % bys["n"])
starts = nlines(r"event=worker_start ")
time.sleep(1.5)
if nlines(r"event=worker_start ") != starts:
	fc.fail("workers restart after the sender left: %r" %
	    fc.log_lines(r"event=worker_(start|exit|protocol) ")[-6:])
now = fc.children(dpid)
if sorted(now) != sorted(workers0):
	fc.fail("workers changed: %r -> %r" % (workers0, now))
st = fc.stats(sock)
if st["worker_protocol_errors"] != 0 or st["worker_crashes"] != 0:
	fc.fail("no worker should have been killed: %r" % (st,))
print("pool quiet: same workers %r, no protocol error" % (sorted(now),))

# ---- (b) 300 KB that would be more than 4 GB ----
D, N = 1000, 299000
v = b"\x91" * D + b"\xdd" + N.to_bytes(4, "big") + b"\x00" * N
c = fc.Conn(sock)
c.queue(raw_call(10, "json.encode", enc_params(v, {"pretty": 16,
    "max_depth": 100000})))
t0 = time.monotonic()
(m, _), = c.pump(1, 20)
dt = time.monotonic() - t0
fc.check_response(m)
fc.expect_err(m[2], "too_large", "a %d-byte request expanding past 4 GB" %
    len(v))
if dt > 5:
	fc.fail("too_large took %.1f s" % dt)
print("300 KB -> 4.8 GB: too_large in %.2f s" % dt)
full = sum(4 + 32 * k + 16 for k in range(D)) + \
    3 + N * (2 + 16 * (D + 1)) + (N - 1) + 16 * D
c.queue(raw_call(11, "json.encode", enc_params(v, {"pretty": 16,
    "max_depth": 100000, "truncate": True})))
t0 = time.monotonic()
(m, _), = c.pump(1, 20)
dt = time.monotonic() - t0
fc.check_response(m)
r = m[3]
if m[2] is not None or not r["truncated"] or r["size"] != full or \
    len(r["text"].encode()) > LIMIT or dt > 5:
	fc.fail("truncate: expected the text cut under %d and size %d, got "
	    "%r size %r text %d bytes in %.1f s" % (LIMIT, full, m[2],
	    r and r.get("size"), r and len(r["text"]), dt))
print("truncate: %d bytes of text, size %d, in %.2f s" % (len(r["text"]),
    r["size"], dt))
st = fc.stats(sock)
if st["worker_protocol_errors"] != 0 or st["worker_crashes"] != 0:
	fc.fail("no worker should have been killed: %r" % (st,))

# ---- (c) violations ----
cases = [
	(["oversize", 1000], "too_large", "may hold"),
	(["oversize", 3 << 20], "too_large", "may hold"),
	(["spoof"], "internal", "result for a task it does not hold"),
	(["malformed"], "internal", "malformed result"),
	(["bad-error"], "internal", "bad error record"),
	(["corrupt"], "internal", "result ring corrupt"),
]
nviol = 0
for params, want, text in cases:
	runs = nlines(r"event=test_violate ")
	err, res = c.call("forkpool.call", ["violate", params, {"retries": 5}],
	    20)
	fc.expect_err(err, want, "violate %r" % (params,))
	if text not in err["message"]:
		fc.fail("violate %r: message %r should name %r" % (params, err,
		    text))
	nviol += 1
	st = fc.wait_stats(sock, lambda s: s["worker_protocol_errors"] == nviol,
	    "worker_protocol_errors %d" % nviol)
	fc.wait_stats(sock, lambda s: s["workers_ready"] == 2 or
	    s["respawn_backoff_ms"] > 0, "the killed worker replaced")
	n = nlines(r"event=test_violate ") - runs
	if n != 1:
		fc.fail("violate %r ran %d times, expected once" % (params, n))
	print("violate %r: %s %r (ran once)" % (params, err["code"],
	    err["message"]))
b = fc.breakers(sock)["violate"]
if b["failures"] != nviol:
	fc.fail("violate's breaker: expected %d failures, got %r" % (nviol, b))
if not fc.log_lines(r"event=worker_backoff "):
	fc.fail("workers killed for violations did not back off")
if st["worker_crashes"] != 0:
	fc.fail("violations are not counted as crashes: %r" % (st,))
print("breaker failures %d, worker_backoff seen" % b["failures"])

# A notification: dropped, with a log line.
c.queue(fc.pack([2, "violate", ["spoof"]]))
c.flush()
nviol += 1
fc.wait_stats(sock, lambda s: s["worker_protocol_errors"] == nviol,
    "worker_protocol_errors %d" % nviol)
if not fc.log_lines(r"event=task_dropped .*handler=violate .*error=internal"):
	fc.fail("no task_dropped line for the notification")

# ---- (d) a worker that lies in its stats block ----
fc.wait_stats(sock, lambda s: s["workers_ready"] == 2, "2 workers ready",
    15)
runs = nlines(r"event=test_violate ")
err, res = c.call("forkpool.call", ["violate", ["lie"], {"retries": 2}], 30)
fc.expect_err(err, "worker_crashed", "violate lie, retries 2")
n = nlines(r"event=test_violate ") - runs
if n != 3:
	fc.fail("violate lie with retries 2 ran %d times, expected 3" % n)
if err.get("attempts") != 3:
	fc.fail("attempts in the error: %r" % (err,))
print("lie: ran 3 times, %r" % (err,))
err, res = c.call("echo", ["still serving"], 20)
if err is not None or res != "still serving":
	fc.fail("echo at the end: %r %r" % (err, res))
PY
fp_stop_clean
