#!/bin/sh
# shm_hold.sh -- a handler's params in a connection's arena are read where
# they are (forkpool-rpc(7), Shared memory): the daemon hands each ring 0
# record back only once its request is answered and those before it are
# (the reader index stays put while an earlier request runs, even after a
# later one is answered); a client that rewrites its params while its
# request waits in the queue gets bad_request from the worker, which
# checks its own copy, and nobody else notices; json.encode, which checks
# its raw params itself, answers invalid_params; the slow-task log does
# not parse them ("(N bytes in shared memory)"); a client that hangs up
# while its requests hold params in its arena leaves the daemon running,
# and the arena is unmapped at once, while those requests still run; a
# notification with params in the arena is dropped; a worker forked while
# an arena is attached (a respawn) does not map it.
# 2 workers, prefetch 1: a request waits in the daemon's queue, not in a
# worker's ring.
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
test-handlers yes
workers 2
prefetch 1
max-shm-size 1M
slowlog-threshold 100ms
CONF
fp_start
fp_py <<'PY' || fp_fail "params held in the arena (see above)"
import mmap, os, struct, time
import fpclient as fc
import msgpack
from shmraw import CTL, memfd, attach, ext, Ring, Bystander
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
fc.wait_children(dpid, 2)
S = 256 << 10

other = Bystander(sock)
other_ok = other.ok

def arena(c):
	fd = memfd(S)
	mm = mmap.mmap(fd, 2 * (S + CTL))
	err, res = attach(c, fd, S)
	os.close(fd)
	if err is not None or res is not True:
		fc.fail("attach: %r %r" % (err, res))
	return mm, Ring(mm, 0, S)

def send(c, req, msgid, method, value):
	params = fc.pack(value)
	off = req.put(1, msgid, params)
	c.queue(fc.raw_request(msgid, method, ext(len(params))))
	c.flush()
	return off, req.pos

def answers(c, n, what):
	got = {}
	for m, _ in c.pump(n, 15):
		got[m[1]] = m
	if len(got) != n:
		fc.fail("%s: answers %r" % (what, got))
	return got

def tail_stays(req, want, secs, what):
	end = time.monotonic() + secs
	while time.monotonic() < end:
		if req.tail() != want:
			fc.fail("%s: ring 0 handed back up to %d, expected %d" %
			    (what, req.tail(), want))
		time.sleep(0.01)

# 1. In order: A (sleep 400, via the arena) then B (echo, via the arena)
# on the other worker.  B is answered first; A's record, before B's, is
# not handed back, so neither is B's, until A is answered.
c = fc.Conn(sock)
mm, req = arena(c)
send(c, req, 10, "sleep", [400])
_, end_b = send(c, req, 11, "echo", [b"b" * 1000])
(m, _), = c.pump(1, 10)
if m[1] != 11 or m[2] is not None or m[3] != b"b" * 1000:
	fc.fail("B first: %r" % (m,))
tail_stays(req, 0, 0.15, "B answered, A running")
(m, _), = c.pump(1, 10)
if m[1] != 10 or m[2] is not None:
	fc.fail("A: %r" % (m,))
if not fc.wait_for(lambda: req.tail() == end_b, 5):
	fc.fail("after A and B: ring 0 handed back up to %d, not %d" %
	    (req.tail(), end_b))
print("held in order: handed back up to %d once A and B were answered" %
    end_b)

# 2. Params rewritten while queued: both workers sleep (inline), C waits
# in the daemon's queue, held in the arena; the client then breaks its
# bytes.  The worker's copy is checked: bad_request, not run.
t0 = req.pos
c.queue(fc.raw_request(20, "sleep", fc.pack([300])))
c.queue(fc.raw_request(21, "sleep", fc.pack([300])))
off_c, end_c = send(c, req, 22, "echo", [b"c" * 5000])
fc.wait_stats(sock, lambda s: s["running"] == 2 and s["queued"] == 1,
    "two sleeps running, the echo queued")
tail_stays(req, t0, 0.05, "the echo queued")
mm[off_c] = 0xc1		# was 0x91, its array
got = answers(c, 3, "the sleeps and the rewritten echo")
fc.expect_err(got[22][2], "bad_request", "params rewritten while queued")
if "not one MessagePack array" not in got[22][2]["message"]:
	fc.fail("rewritten params: %r" % (got[22][2],))
if got[20][2] is not None or got[21][2] is not None:
	fc.fail("the sleeps: %r %r" % (got[20], got[21]))
if not fc.wait_for(lambda: req.tail() == end_c, 5):
	fc.fail("after the rewritten echo: handed back up to %d, not %d" %
	    (req.tail(), end_c))
other_ok("params rewritten while queued")
print("rewritten while queued: %s" % got[22][2]["message"])

# 3. json.encode checks its raw params itself: a value cut short.
bad = b"\x91\xde\x00\x05"	# [map of 5 pairs, none there]
off = req.put(1, 30, bad)
c.queue(fc.raw_request(30, "json.encode", ext(len(bad))))
(m, _), = c.pump(1, 10)
fc.expect_err(m[2], "invalid_params", "json.encode of a cut value")
other_ok("json.encode of a cut value")

# 4. The slow-task log names the size, without parsing the params.
send(c, req, 40, "sleep", [150])
(m, _), = c.pump(1, 10)
if m[2] is not None:
	fc.fail("sleep 150: %r" % (m,))
err, sl = other.c.call("forkpool.slowlog", [10])
if err is not None:
	fc.fail("forkpool.slowlog: %r" % (err,))
ent = [e for e in sl if e.get("handler") == "sleep" and
    "shared memory" in str(e.get("params"))]
if not ent:
	fc.fail("no slowlog entry naming shared memory: %r" % (sl,))
print("slowlog: %r" % (ent[0]["params"],))
c.close()
mm.close()

# 5. A client hangs up while its requests hold params in its arena: the
# daemon carries on, and the arena goes at once: the queued request is
# dropped, the running ones were handed over in full and are never run
# again, so nothing holds it while they still run.
def mapped():
	with open("/proc/%d/maps" % dpid) as f:
		return sum(1 for l in f if "memfd:t " in l)
if not fc.wait_for(lambda: mapped() == 0, 10):
	fc.fail("the first client's arena still mapped after it left")
c = fc.Conn(sock)
mm, req = arena(c)
send(c, req, 50, "sleep", [2000])
send(c, req, 51, "sleep", [2000])
send(c, req, 52, "echo", [b"e" * 2000])
fc.wait_stats(sock, lambda s: s["running"] == 2 and s["queued"] == 1,
    "the hung-up client's requests taken")
if mapped() == 0:
	fc.fail("the arena not mapped while the client is there")
c.close()
mm.close()
if not fc.wait_for(lambda: mapped() == 0, 5):
	fc.fail("the arena still mapped after its client left")
st = fc.stats(sock)
if st["workers_busy"] != 2:
	fc.fail("unmapped only once the sleeps were over: workers_busy %d" %
	    st["workers_busy"])
other_ok("a hang-up with params held")
print("hang-up with params held: the arena unmapped while its sleeps ran")

# 6. A notification may not hold params in an arena (it is on no
# connection's list): dropped, its record left where it is.
c = fc.Conn(sock)
mm, req = arena(c)
params = fc.pack([b"n" * 100])
req.put(1, 0, params)
before = fc.stats(sock)
c.queue(fc.raw_notification("echo", ext(len(params))))
err, res = c.call("forkpool.ping", [])
if err is not None:
	fc.fail("ping after the notification: %r" % (err,))
after = fc.stats(sock)
if after["tasks_ok"] + after["tasks_failed"] + after["queued"] != \
    before["tasks_ok"] + before["tasks_failed"] + before["queued"]:
	fc.fail("a notification with params in the arena was taken: %r %r" %
	    (before, after))
if req.tail() != 0:
	fc.fail("its record was consumed: tail %d" % req.tail())
c.close()
mm.close()
other_ok("a notification with params in the arena")

# 7. No worker maps a client's arena, not even one forked while it is
# attached (a respawn after a crash).
c = fc.Conn(sock)
mm, req = arena(c)
old = fc.children(dpid)
err, res = other.c.call("crash", [], timeout=10)
fc.expect_err(err, "worker_crashed", "crash")
new = fc.wait_children(dpid, 2, avoid=[p for p in old if p not in
    fc.children(dpid)] + [], timeout=15)
born = [p for p in new if p not in old]
if not born:
	fc.fail("no worker was forked after the crash: %r -> %r" % (old, new))
def maps_arena(pid):
	with open("/proc/%d/maps" % pid) as f:
		return sum(1 for l in f if "memfd:t " in l)
if maps_arena(dpid) == 0:
	fc.fail("the supervisor does not map the arena it uses")
for p in new:
	if maps_arena(p) != 0:
		fc.fail("worker %d (forked %s the attach) maps a client's arena" %
		    (p, "after" if p in born else "before"))
c.close()
mm.close()
print("workers %r map no arena (%r forked while one was attached)" %
    (new, born))
PY
fp_stop_clean
