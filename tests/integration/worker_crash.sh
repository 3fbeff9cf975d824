#!/bin/sh
# worker_crash.sh -- a worker killed (SIGKILL) while it runs a task: that
# task is answered worker_crashed with signal 9, the other tasks succeed,
# the worker is replaced; the crash handler (SIGSEGV) and the exit handler
# give worker_crashed with signal 11 and status 3; the daemon keeps
# serving.  (Tasks the dead worker had prefetched:
# worker_crash_prefetched.sh.)
#
# Which worker runs a task is found deterministically: a `spin' task makes
# the worker that holds it burn CPU, and with prefetch 1 each worker holds
# at most one task.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
prefetch 1
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "worker killed while running a task (see above)"
import os, signal, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
TCK = os.sysconf("SC_CLK_TCK")

def wait_spinning(pids, base, tmo=15):
	"""Bounded wait until each of pids has used 0.1 s of CPU since base:
	an idle worker uses none, and on a loaded machine (tests run side by
	side) a spin of 3 s may get less than 0.3 s."""
	deadline = time.monotonic() + tmo
	while True:
		g = {p: fc.cputicks(p) - base[p] for p in pids}
		if all(v >= 0.1 * TCK for v in g.values()):
			return
		if time.monotonic() > deadline:
			fc.fail("workers %r did not start spinning: CPU ticks %r" %
			    (pids, g))
		time.sleep(0.02)

w0 = fc.wait_children(dpid, 2)
base = {p: fc.cputicks(p) for p in w0}
c = fc.Conn(sock)
spins = [c.queue_request("spin", [3000000]) for _ in range(2)]
others = {}
for i in range(10):
	if i % 2:
		others[c.queue_request("echo", [i])] = i
	else:
		others[c.queue_request("sleep", [i])] = i
c.flush()
# Both workers run a spin (prefetch 1: one task each); kill one of them.
wait_spinning(w0, base)
victim = w0[0]
os.kill(victim, signal.SIGKILL)
got = c.pump(12, 30)
crashed = []
for m, _ in got:
	fc.check_response(m)
	if m[1] in spins:
		if m[2] is None:
			if m[3] != 3000000:
				fc.fail("spin result %r" % (m,))
		else:
			crashed.append(m)
	elif m[1] in others:
		if m[2] is not None or m[3] != others[m[1]]:
			fc.fail("task %r failed after a worker was killed: %r" %
			    (m[1], m))
	else:
		fc.fail("unexpected response %r" % (m,))
if len(crashed) != 1:
	fc.fail("expected one spin answered worker_crashed, got %r" % (crashed,))
e = crashed[0][2]
if e.get("code") != "worker_crashed" or e.get("signal") != 9 or \
    "status" in e:
	fc.fail("killed worker's task: expected worker_crashed with signal 9, "
	    "got %r" % (e,))
w1 = fc.wait_children(dpid, 2, avoid=[victim])
print("worker %d killed, task answered %r, workers now %r" % (victim, e, w1))

# A worker killed while idle is replaced too; nothing is answered for it.
os.kill(w1[1], signal.SIGKILL)
w2 = fc.wait_children(dpid, 2, avoid=[w1[1]])
err, res = c.call("echo", ["after idle kill"])
if err is not None or res != "after idle kill":
	fc.fail("echo after an idle worker was killed: %r %r" % (err, res))

# The test handlers.
def crash_call(method, params, key, value):
	before = fc.children(dpid)
	err, res = c.call(method, params, 30)
	if fc.code(err) != "worker_crashed" or err.get(key) != value:
		fc.fail("%s%r: expected worker_crashed with %s %r, got %r %r" %
		    (method, params, key, value, err, res))
	other = "status" if key == "signal" else "signal"
	if other in err:
		fc.fail("%s%r: worker_crashed has both signal and status: %r" %
		    (method, params, err))
	fc.wait_children(dpid, 2, avoid=[p for p in before
	    if p not in fc.children(dpid)] or [-1])
	# the pool is whole again: the one that died is not among the workers
	if set(fc.children(dpid)) == set(before):
		fc.fail("%s%r: no worker was replaced" % (method, params))

crash_call("crash", [], "signal", 11)
crash_call("exit", [3], "status", 3)
for i in range(20):
	err, res = c.call("echo", [i])
	if err is not None or res != i:
		fc.fail("echo after crashes: %r %r" % (err, res))
st = fc.stats(sock)
if st.get("worker_crashes", 0) < 4 or st.get("workers") != 2:
	fc.fail("forkpool.stats after 4 unexpected worker deaths (SIGKILL while "
	    "busy, SIGKILL while idle, crash, exit 3): expected workers 2 and "
	    "worker_crashes >= 4, got %r" % (st,))
PY
fp_stop_clean
