#!/bin/sh
# max_buffered.sh -- the daemon-wide budget of buffered answers: with
# max-buffered 2M, clients that hold more than that in unread answers make
# new requests of others queue_full (rejected_buffered), and all is well
# again once they are gone; a client that is behind by more than
# max-connection-output while the budget is exceeded is closed when more
# answers come (connections_dropped).
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# Under ASan freed memory sits in a quarantine (256 MB by default), which
# would count as resident: keep it small, this test measures live memory.
ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=4"
export ASAN_OPTIONS

# The daemon-wide budget: past max-buffered, new work is refused.
cat >"$FP_CONF" <<'CONF'
max-buffered 2M
max-connection-output 64K
CONF
fp_start -w 2
fp_py <<'PY' || fp_fail "max-buffered (see above)"
import os, socket, time
import fpclient as fc
sock = os.environ["FP_SOCK"]
by = fc.Conn(sock)
err, res = by.call("echo", ["before"])
assert err is None and res == "before", (err, res)
# Each of these clients holds a 1 MB answer it never reads (the JSON
# text of a 250-deep array indented by 16).
v = [0]
for i in range(250):
	v = [v]
hogs = []
for i in range(3):
	h = fc.Conn(sock)
	h.queue_request("json.encode", [v, {"pretty": 16}])
	h.flush()
	hogs.append(h)
fc.wait_stats(sock, lambda s: s["buffered_bytes"] > 2 << 20 and
    s["running"] == 0 and s["queued"] == 0, "the answers buffered")
err, res = by.call("echo", ["refused"])
if fc.code(err) != "queue_full":
	fc.fail("echo past max-buffered: expected queue_full, got %r %r" %
	    (err, res))
# Answers of the supervisor itself are still given.
err, res = by.call("forkpool.ping", [])
if err is not None or res != "pong":
	fc.fail("ping past max-buffered: %r %r" % (err, res))
st = by.call("forkpool.stats", [])[1]
if st["rejected_buffered"] != 1:
	fc.fail("rejected_buffered %r, expected 1" % (st["rejected_buffered"],))
for h in hogs:
	h.close()
fc.wait_stats(sock, lambda s: s["connections"] == 2 and
    s["buffered_bytes"] < 2 << 20, "the hogs' buffers freed")
err, res = by.call("echo", ["again"])
if err is not None or res != "again":
	fc.fail("echo once the hogs are gone: %r %r" % (err, res))

# Answers of tasks already running still come after reading stops: a
# client that pipelines 40 of those 1 MB answers and reads none is
# closed once it is behind by more than max-connection-output and the
# budget is exceeded, instead of holding 40 MB.  Its private memory: the
# answers also pass through the workers' blob rings, shared memory whose
# pages the supervisor touches (a few answers' worth, forkpool.conf(5)
# blob-size), which max-buffered does not bound.
pid = int(os.environ["FP_PID"])
rss0 = fc.rssanon_kib(pid)
f = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
f.connect(sock)
f.sendall(b"".join(fc.request_bytes(i + 1, "json.encode",
    [v, {"pretty": 16}]) for i in range(40)))
st = fc.wait_stats(sock, lambda s: s["connections_dropped"] == 1 and
    s["connections"] == 2, "the pipeliner closed", 30)
hi = fc.rssanon_kib(pid)
if hi - rss0 > 24 * 1024:
	fc.fail("RssAnon grew from %d to %d KiB with max-buffered 2M" % (rss0, hi))
err, res = by.call("echo", ["still"])
if err is not None or res != "still":
	fc.fail("echo after the pipeliner was closed: %r %r" % (err, res))
if not fc.log_lines("event=conn_drop .*max-buffered is exceeded"):
	fc.fail("no conn_drop line for the pipeliner")
f.close()
PY
fp_stop_clean
