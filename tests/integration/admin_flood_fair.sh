#!/bin/sh
# admin_flood_fair.sh -- one client pipelining administrative requests
# cannot freeze the supervisor for the others: a connection gets at most a
# few of them answered per loop pass, the rest wait in its input for the
# next pass (forkpool-rpc(7), Pipelining).  With 24 handlers (both
# plug-ins, test-handlers) and 8 workers, a flooder writes 8,000
# forkpool.stats ["5m"] and 2,000 forkpool.workers, reading nothing for
# its first second, then everything: meanwhile another client's echo calls
# are each answered within 500 ms (before the bound, one read of 256 KiB
# of such requests was answered in one go: seconds without an echo), and
# the flooder gets all 10,000 answers, in order.  The loop does not spin
# once the flood is answered (supervisor CPU while idle).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_plugins
cat >"$FP_CONF" <<CONF
workers 8
test-handlers yes
max-connection-output 64M
load "$AGG" "max-groups=50"
load "$TP"
CONF
fp_start
fp_wait_nworkers 8
fp_py <<'PY' || fp_fail "an administrative flood and a second client (see above)"
import os, socket, threading, time
import msgpack
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
NSTATS, NWORKERS = 8000, 2000
BOUND = 0.5

ec = fc.Conn(sock)
err, hs = ec.call("forkpool.handlers", [])
if err is not None or len(hs) < 20:
	fc.fail("handlers: %r %r" % (err, hs))
# Every handler with some history, so that the stats are not all zero.
for h in ("echo", "tp.ok", "json.encode"):
	err, res = ec.call(h, [1] if h != "json.encode" else [[1]])

blob = bytearray()
for i in range(NSTATS + NWORKERS):
	if i % 5 == 4:
		blob += fc.request_bytes(i + 1, "forkpool.workers", [])
	else:
		blob += fc.request_bytes(i + 1, "forkpool.stats", ["5m"])
total = NSTATS + NWORKERS

fl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
fl.connect(sock)
state = {"got": 0, "bad": None, "done": False, "sent": 0}

def flooder():
	fl.sendall(bytes(blob))
	state["sent"] = len(blob)

def reader():
	time.sleep(1.0)		# a client that reads nothing at first
	unp = msgpack.Unpacker(raw=False, strict_map_key=False,
	    max_buffer_size=1 << 30)
	fl.settimeout(60)
	want = 1
	while want <= total:
		b = fl.recv(1 << 20)
		if not b:
			state["bad"] = "closed after %d answers" % (want - 1)
			return
		unp.feed(b)
		for m in unp:
			if m[0] != 1 or m[1] != want or m[2] is not None or \
			    not isinstance(m[3], dict if want % 5 else list):
				state["bad"] = "answer %d: %r" % (want, m[:3])
				return
			want += 1
	state["got"] = want - 1
	state["done"] = True

tw = threading.Thread(target=flooder, daemon=True)
tr = threading.Thread(target=reader, daemon=True)
t0 = time.monotonic()
tw.start()
tr.start()
lat = []
while not state["done"] and state["bad"] is None and \
    time.monotonic() - t0 < 60:
	t = time.monotonic()
	err, res = ec.call("echo", ["during"], 30)
	lat.append(time.monotonic() - t)
	if err is not None or res != "during":
		fc.fail("echo during the flood: %r %r" % (err, res))
	time.sleep(0.01)
tr.join(1)
took = time.monotonic() - t0
if state["bad"] is not None:
	fc.fail("the flooder's answers: %s" % state["bad"])
if not state["done"]:
	fc.fail("the flooder got %d of %d answers in %.1f s" %
	    (state["got"], total, took))
lat.sort()
print("%d answers in %.2f s; %d echos during the flood, median %.1f ms, "
    "slowest %.1f ms" % (total, took, len(lat), 1000 * lat[len(lat) // 2],
    1000 * lat[-1]))
if len(lat) < 5:
	fc.fail("only %d echos during the flood" % len(lat))
if lat[-1] > BOUND:
	fc.fail("an echo took %.0f ms during the flood (at most %.0f)" %
	    (1000 * lat[-1], 1000 * BOUND))
fl.close()
fc.wait_stats(sock, lambda s: s["connections"] == 2, "the flooder gone")
# Idle again: the loop sleeps (no pass without an event); measured over
# one second.
tck = os.sysconf("SC_CLK_TCK")
c0 = fc.cputicks(dpid)
time.sleep(1.0)
used = (fc.cputicks(dpid) - c0) / tck
if used > 0.3:
	fc.fail("the idle supervisor used %.2f s of CPU in 1 s" % used)
print("idle supervisor: %.2f s of CPU in 1 s" % used)
PY
fp_stop_clean
fp_info "an administrative flood: the other client's echos answered promptly"
