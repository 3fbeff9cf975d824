#!/bin/sh
# fd_exhaustion.sh -- a daemon with RLIMIT_NOFILE 64 and a client that
# opens connections until accept(2) fails: the daemon pauses accepting
# (accept_paused, one accept_pause line), stays nearly idle (CPU time over
# 2 s), keeps serving the connections it has, and survives two reloads:
# one with no descriptor left (the file cannot be opened: reload_failed)
# and one with two left (a worker spawn fails half-way: it is counted,
# logged once per run of failures, the child killed, and the pool comes
# back to its size).
# Once the client lets go, new connections are served again.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if ! command -v prlimit >/dev/null 2>&1; then
	fp_skip "prlimit(1) (util-linux) is needed to lower the daemon's" \
	    "RLIMIT_NOFILE"
fi
fp_start -w 2
# The daemon only: the test's own clients need more descriptors.
prlimit --pid "$FP_PID" --nofile=64:64
fp_py 64 <<'PY' || fp_fail "running out of file descriptors (see above)"
import os, signal, socket, sys, time
import fpclient as fc
sock = os.environ["FP_SOCK"]
pid = int(os.environ["FP_PID"])
LIMIT = int(sys.argv[1])
tck = os.sysconf("SC_CLK_TCK")

def nfd():
	"""Descriptors in use below the limit (one inherited above it does
	not count)."""
	return len([d for d in os.listdir("/proc/%d/fd" % pid)
	    if int(d) < LIMIT])

def until(cond, what, timeout=10):
	fc.until(cond, what, timeout, pid)

def stats():
	err, st = by.call("forkpool.stats", [], 10)
	if err is not None:
		fc.fail("forkpool.stats: %r" % (err,))
	return st

by = fc.Conn(sock)
err, res = by.call("echo", ["before"])
assert err is None and res == "before", (err, res)
workers0 = fc.children(pid)

# Take every descriptor the daemon has left, one accepted connection at a
# time, then five more that it cannot accept.
hog = []
while nfd() < LIMIT:
	n = nfd()
	c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	c.connect(sock)
	hog.append(c)
	until(lambda: nfd() > n, "connection %d accepted" % len(hog))
pending = []
for i in range(5):
	c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	c.connect(sock)
	pending.append(c)
# (Bounded: the daemon of before spun and logged instead of pausing.)
deadline = time.monotonic() + 3
while not stats().get("accept_paused") and time.monotonic() < deadline:
	time.sleep(0.02)
print("daemon at %d descriptors with %d connections" % (nfd(), len(hog) + 1))

# No busy loop and no log flood while the descriptors are gone.
logf = os.path.join(os.environ["T"], "daemon.log")
log0 = os.path.getsize(logf)
t0 = fc.cputicks(pid)
time.sleep(2)
cpu = (fc.cputicks(pid) - t0) / tck
logn = os.path.getsize(logf) - log0
print("out of descriptors for 2 s: %.2f s of CPU, %d bytes of log" %
    (cpu, logn))
if cpu > 0.3:
	fc.fail("the daemon used %.2f s of CPU in 2 s with no descriptor left" %
	    (cpu,))
if logn > 500:
	fc.fail("the daemon logged %d bytes in 2 s with no descriptor left" %
	    (logn,))
if len(fc.log_lines("event=accept_pause")) != 1:
	fc.fail("expected one accept_pause line: %r" %
	    (fc.log_lines("event=accept_pause"),))
st = stats()
if st["accept_pauses"] < 1 or st["connections"] != len(hog) + 1:
	fc.fail("stats while out of descriptors: %r" % (st,))
# The connections it has are served.
err, res = by.call("echo", ["exhausted"])
if err is not None or res != "exhausted":
	fc.fail("echo while out of descriptors: %r %r" % (err, res))

# A reload with no descriptor left: the file cannot even be opened.
os.kill(pid, signal.SIGHUP)
until(lambda: fc.log_lines("event=reload_failed"), "reload_failed")
if fc.children(pid) != workers0:
	fc.fail("workers changed after a failed reload: %r, were %r" %
	    (fc.children(pid), workers0))

# Let the five waiting ones in (and out: they are closed) by giving back
# seven descriptors, then take five again: two are left.
for c in pending:
	c.close()
for c in hog[-7:]:
	c.close()
del hog[-7:]
until(lambda: nfd() == LIMIT - 7 and stats()["connections"] == len(hog) + 1,
    "the pending connections accepted and closed")
for i in range(5):
	n = nfd()
	c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	c.connect(sock)
	hog.append(c)
	until(lambda: nfd() > n, "connection accepted")
print("daemon at %d of %d descriptors" % (nfd(), LIMIT))

# A reload with two descriptors left: a new worker cannot be set up.
os.kill(pid, signal.SIGHUP)
until(lambda: stats()["spawn_failures"] >= 1, "a failed spawn")
print("after the reload: %r" % (fc.log_lines("event=worker_spawn"),))
st = stats()
if st["generation"] != 1:
	fc.fail("the reload did not take: %r" % (st,))
# The retiring workers give their descriptors back: the pool recovers.
until(lambda: stats()["workers_ready"] == 2 and
    stats()["workers_retiring"] == 0, "two workers of the new generation",
    20)
err, res = by.call("echo", ["reloaded"])
if err is not None or res != "reloaded":
	fc.fail("echo after the reload: %r %r" % (err, res))
# One warning per run of failures (a retiring worker's descriptors may
# let one spawn through between two failures), not one per failure.
spawn = fc.log_lines("event=worker_spawn")
warn = [l for l in spawn if "level=warning" in l]
again = [l for l in spawn if "started again" in l]
if not warn or len(warn) > len(again) + 1:
	fc.fail("expected a worker_spawn warning per run of failures: %r" %
	    (spawn,))

# The client lets go: new connections are served again.
for c in hog:
	c.close()
until(lambda: stats()["connections"] == 1, "the connections closed")
c = fc.Conn(sock)
err, res = c.call("echo", ["after"])
if err is not None or res != "after":
	fc.fail("echo on a new connection: %r %r" % (err, res))
c.close()
until(lambda: len(fc.children(pid)) == 2, "two workers at the end")
PY
fp_stop_clean
