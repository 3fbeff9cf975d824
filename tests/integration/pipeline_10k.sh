#!/bin/sh
# pipeline_10k.sh -- one connection, 10,000 requests written in one go
# (sleeps of 0-20 ms, most 0-2, and echos; msgids spread over the whole
# uint32 range): every request is answered exactly once, with the right
# result, and some answers come out of order.  Then max-outstanding.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 8
fp_py <<'PY' || fp_fail "pipelined requests (see above)"
import os, random, time
import fpclient as fc

N = 10000
rnd = random.Random(20261122)
ids = rnd.sample(range(1, 0xffffffff), N - 2) + [0, 0xffffffff]
rnd.shuffle(ids)
expect = {}
sendpos = {}
c = fc.Conn(os.environ["FP_SOCK"])
for i, msgid in enumerate(ids):
	if i % 10 == 3:
		v = [i, "s%d" % i, {"k": i, "f": i / 4.0}, None, True,
		    bytes([i % 256]) * (i % 50), -i]
		c.queue_request("echo", [v], msgid)
		expect[msgid] = v
	else:
		r = rnd.random()
		ms = 0 if r < 0.6 else 1 if r < 0.8 else 2 if r < 0.95 else \
		    rnd.randint(3, 20)
		c.queue_request("sleep", [ms], msgid)
		expect[msgid] = ms
	sendpos[msgid] = i
t0 = time.monotonic()
try:
	got = c.pump(N, 90)
except (fc.Timeout, fc.Closed) as e:
	seen = {m[1] for m, _ in e.got if isinstance(m, list) and len(m) > 1}
	missing = [i for i in ids if i not in seen][:10]
	fc.fail("%s; first unanswered msgids: %r" % (e, missing))
seen = set()
for m, _ in got:
	fc.check_response(m)
	msgid = m[1]
	if msgid not in expect:
		fc.fail("response for unknown msgid %r: %r" % (msgid, m))
	if msgid in seen:
		fc.fail("second response for msgid %r: %r" % (msgid, m))
	seen.add(msgid)
	if m[2] is not None:
		fc.fail("request %r failed: %r" % (msgid, m))
	if m[3] != expect[msgid]:
		fc.fail("msgid %r: expected result %r, got %r" %
		    (msgid, expect[msgid], m[3]))
order = [sendpos[m[1]] for m, _ in got]
ooo = sum(1 for a, b in zip(order, order[1:]) if b < a)
if ooo == 0:
	fc.fail("all 10000 responses in request order: completion order "
	    "expected with 8 workers and varied sleeps")
# Nothing more may arrive: a final call is the very next message.
err, res = c.call("echo", ["end"])
if err is not None or res != "end":
	fc.fail("final echo: %r %r" % (err, res))
print("pipeline_10k: %d responses in %.2f s, %d out of order" %
    (len(got), time.monotonic() - t0, ooo))
PY
fp_stop_clean

# max-outstanding 4: the daemon stops reading the connection at 4 requests
# not yet answered; 2,000 requests written at once still all get answered
# (flow control, not an error), and at no time are more than 4 of them in
# the daemon (queued + running, sampled from another connection).
cat >"$FP_CONF" <<'CONF'
max-outstanding 4
CONF
fp_start -w 2
fp_py <<'PY' || fp_fail "max-outstanding 4 (see above)"
import os, threading, time
import fpclient as fc
sock = os.environ["FP_SOCK"]
N = 2000
c = fc.Conn(sock)
expect = {}
for i in range(N):
	if i % 50 == 0:
		expect[c.queue_request("sleep", [20])] = 20
	else:
		expect[c.queue_request("echo", [i])] = i
samples, done = [], threading.Event()
def sample():
	s = fc.Conn(sock)
	while not done.is_set():
		err, st = s.call("forkpool.stats", [])
		samples.append(st["queued"] + st["running"])
		time.sleep(0.01)
th = threading.Thread(target=sample)
th.start()
try:
	got = c.pump(N, 60)
finally:
	done.set()
	th.join()
seen = set()
for m, _ in got:
	fc.check_response(m)
	if m[1] in seen or m[2] is not None or m[3] != expect.get(m[1]):
		fc.fail("max-outstanding 4: unexpected %r" % (m,))
	seen.add(m[1])
if not samples or max(samples) > 4:
	fc.fail("max-outstanding 4: queued + running reached %s" %
	    (max(samples) if samples else "(no samples)"))
print("max-outstanding 4: %d answers, %d samples, at most %d in the daemon"
    % (len(got), len(samples), max(samples)))
PY
fp_stop_clean
