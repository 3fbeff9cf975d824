#!/bin/sh
# json_encode_flood.sh -- json.encode asked for 400 MB of text cannot
# freeze the pool (issue 8, item 2; the daemon of fp_start_violation in
# tests/lib.sh).  Two 5 KB json.encode notifications of a 5,000-deep array
# with pretty 16, then the same as requests: the requests are answered
# too_large by the worker itself (no worker killed, no protocol error
# counted); a bystander's echo calls on another connection are all
# answered within their 3 s deadline meanwhile; after the sender
# disconnects the pool is quiet (no worker starts in a 1.5 s window, the
# same two workers as at the start).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start_violation
fp_py <<'PY' || fp_fail "json.encode flood (see above)"
import os
import threading, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
workers0 = fc.wait_children(dpid, 2)

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
p = fc.raw_params(b"\x91" * 4999 + b"\x90", {"pretty": 16, "max_depth": 100000})
if len(p) > 5200:
	fc.fail("test bug: the notification is %d bytes" % len(p))
s = fc.Conn(sock)
s.queue(fc.raw_notification("json.encode", p))
s.queue(fc.raw_notification("json.encode", p))
ids = list(range(1, 5))
for i in ids:
	s.queue(fc.raw_request(i, "json.encode", p))
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
starts = fc.nlog(r"event=worker_start ")
time.sleep(1.5)
if fc.nlog(r"event=worker_start ") != starts:
	fc.fail("workers restart after the sender left: %r" %
	    fc.log_lines(r"event=worker_(start|exit|protocol) ")[-6:])
now = fc.children(dpid)
if sorted(now) != sorted(workers0):
	fc.fail("workers changed: %r -> %r" % (workers0, now))
st = fc.stats(sock)
if st["worker_protocol_errors"] != 0 or st["worker_crashes"] != 0:
	fc.fail("no worker should have been killed: %r" % (st,))
print("pool quiet: same workers %r, no protocol error" % (sorted(now),))
PY
fp_stop_clean
