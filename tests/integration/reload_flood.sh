#!/bin/sh
# reload_flood.sh -- reloads in a loop cannot make the pool grow.  For 3 s
# a client sends SIGHUP every 20 ms, calls forkpool.reload as fast as it is
# answered, and sends 1.5 s `sleep' notifications (which keep retiring
# workers busy) and echo requests.  Throughout, the daemon has at most
# twice `workers' worker processes (forkpoold(8)); forkpool.reload gives
# queue_full "too many reloads" past its burst of 5 (then one a second);
# every echo is answered with its own payload, every sleep runs (tasks_ok
# counts them all), nothing fails or crashes; afterwards the pool is back
# to `workers' processes, all of the last generation, and answers.  Then a
# reload from workers 2 to 1 while both workers are kept busy (at the
# bound, with no worker retiring) completes while the load goes on.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "reload flood (see above)"
import os, re, signal, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
WORKERS, BOUND, DUR, SLEEP_MS = 2, 4, 3.0, 1500

c = fc.Conn(sock)		# sleeps and echoes
r = fc.Conn(sock)		# forkpool.reload
g0 = fc.stats(sock)["generation"]
echo_ids, nsleep, most = {}, 0, 0
rl_ok = rl_full = 0
full_msg = None
end = time.monotonic() + DUR
next_sleep = 0.0
i = 0
while time.monotonic() < end:
	os.kill(dpid, signal.SIGHUP)
	now = time.monotonic()
	if now >= next_sleep:
		c.queue_notify("sleep", [SLEEP_MS])
		nsleep += 1
		next_sleep = now + 0.25
	echo_ids[c.queue_request("echo", ["e%d" % i])] = "e%d" % i
	i += 1
	c.flush()
	err, res = r.call("forkpool.reload", [])
	if err is None:
		rl_ok += 1
	elif fc.code(err) == "queue_full" and "too many reloads" in \
	    err["message"]:
		rl_full += 1
		full_msg = err["message"]
	else:
		fc.fail("forkpool.reload in the flood: %r" % (err,))
	n = len(fc.children(dpid))
	most = max(most, n)
	if n > BOUND:
		fc.fail("%d worker processes, more than twice workers (%d): %r"
		    % (n, BOUND, fc.children(dpid)))
	time.sleep(0.02)
# The burst, plus one a second.
if rl_full == 0 or rl_ok > 5 + int(DUR) + 1:
	fc.fail("forkpool.reload not rate-limited: %d applied, %d refused" %
	    (rl_ok, rl_full))
got = fc.collect(c, list(echo_ids), 30, "echo answers")
for m, _ in got.values():
	fc.check_response(m)
	if m[2] is not None or m[3] != echo_ids[m[1]]:
		fc.fail("echo %d answered %r" % (m[1], m))
g1 = fc.stats(sock)["generation"]
if g1 - g0 < 20:
	fc.fail("only %d reloads happened in %g s" % (g1 - g0, DUR))
# Every sleep runs once the flood is over, on a pool that stays bounded.
want = len(echo_ids) + nsleep
deadline = time.monotonic() + 30
while True:
	st = fc.stats(sock)
	n = len(fc.children(dpid))
	most = max(most, n)
	if n > BOUND:
		fc.fail("%d worker processes after the flood" % n)
	if st["tasks_failed"] != 0 or st["worker_crashes"] != 0:
		fc.fail("a reload failed a task or crashed a worker: %r" % (st,))
	if st["tasks_ok"] >= want and st["workers_retiring"] == 0 and \
	    n == WORKERS:
		break
	if time.monotonic() > deadline:
		fc.fail("after the flood: %d of %d tasks done, %d workers: %r" %
		    (st["tasks_ok"], want, n, st))
	time.sleep(0.05)
if st["tasks_ok"] != want:
	fc.fail("tasks_ok %d, sent %d" % (st["tasks_ok"], want))
# ... and of the last generation.
gen = {}
with open(os.path.join(os.environ["T"], "daemon.log"), errors="replace") as f:
	for l in f:
		m = re.search(r"event=worker_start .*pid=(\d+) generation=(\d+)",
		    l)
		if m:
			gen[int(m.group(1))] = int(m.group(2))
kids = fc.children(dpid)
if [gen.get(k) for k in kids] != [st["generation"]] * WORKERS:
	fc.fail("workers %r of generations %r, not all of generation %d" %
	    (kids, [gen.get(k) for k in kids], st["generation"]))
err, res = c.call("echo", ["after"])
if err is not None or res != "after":
	fc.fail("echo after the flood: %r %r" % (err, res))
print("%d reloads (%d forkpool.reload applied, %d refused: %s), %d sleeps,"
    " %d echoes; at most %d worker processes" % (g1 - g0, rl_ok, rl_full,
    full_msg, nsleep, len(echo_ids), most))

# --- a reload under load, at the bound: workers 2 -> 1 while both are
# always busy.  A busy worker of the old generation must still make way.
with open(os.environ["FP_CONF"], "w") as f:
	f.write("workers 1\nprefetch 2\n")
out, answered = {}, 0
def top_up():
	while len(out) < 6:
		out[c.queue_request("sleep", [50])] = 1
	c.flush()
top_up()
wait_busy = time.monotonic() + 10
while fc.stats(sock)["workers_busy"] < 2:
	if time.monotonic() > wait_busy:
		fc.fail("the two workers did not get busy")
	for m, _ in c.pump(1, 10):
		fc.check_response(m)
		del out[m[1]]
	top_up()
g2 = fc.stats(sock)["generation"]
os.kill(dpid, signal.SIGHUP)
deadline = time.monotonic() + 20
while True:
	for m, _ in c.pump(1, 10):
		fc.check_response(m)
		if m[2] is not None:
			fc.fail("a sleep during the reload under load: %r" % (m,))
		del out[m[1]]
		answered += 1
	top_up()
	n = len(fc.children(dpid))
	if n > 2:
		fc.fail("%d worker processes for workers 1" % n)
	st = fc.stats(sock)
	kids = fc.children(dpid)
	if st["generation"] > g2 and len(kids) == 1 and \
	    st["workers_retiring"] == 0:
		break
	if time.monotonic() > deadline:
		fc.fail("under load, workers 2 -> 1 did not complete: %r, %r" %
		    (kids, st))
got = fc.collect(c, list(out), 30, "the last sleeps")
print("under load: workers 2 -> 1 with %d sleeps answered meanwhile" %
    (answered + len(got)))
PY
assert_grep 'event=worker_bound ' "$FP_LOG" "the bound was reached and logged"
fp_stop_clean
