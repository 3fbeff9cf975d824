#!/bin/sh
# sigterm_inflight.sh -- SIGTERM while tasks are in flight.  With
# shutdown-timeout 10s every queued and running task still succeeds, no new
# request is served, the daemon exits 0 and leaves nothing behind.  With
# shutdown-timeout 100ms the unfinished tasks are answered shutting_down.
# A second SIGTERM, or SIGQUIT, stops at once: everything left is answered
# shutting_down.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# A Python helper shared by the cases: send N sleeps of MS on one
# connection, wait for a condition, signal the daemon, collect every answer.
cat >"$T/inflight.py" <<'PY'
import os, signal, sys, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
n, ms, when, sigs, expect = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
    sys.argv[4].split(","), sys.argv[5])

c = fc.Conn(sock)
ids = [c.queue_request("sleep", [ms]) for _ in range(n)]
c.flush()
got = []
if when == "first":
	# the first answer: every request has long been read
	got += c.pump(1, 20)
else:
	nw = int(when)
	fc.wait_stats(sock, lambda s: s.get("running") == nw and
	    s.get("queued") == n - nw, "%d running, %d queued" % (nw, n - nw))
t_sig = time.monotonic()
os.kill(dpid, getattr(signal, "SIG" + sigs[0]))
if len(sigs) > 1:
	# A second signal must reach the daemon as a second event, not merge
	# with the first: repeat it until the answers come.
	while not got and time.monotonic() < t_sig + 20:
		time.sleep(0.05)
		os.kill(dpid, getattr(signal, "SIG" + sigs[1]))
		try:
			got += c.pump(1, 0.05)
		except fc.Timeout:
			pass
		except fc.Closed as e:
			got += e.got
			break

# After the signal no new connection is served.
try:
	c2 = fc.Conn(sock, 2)
except OSError:
	c2 = None
if c2 is not None:
	c2.queue_request("echo", ["late"])
	try:
		late = c2.pump(None, 30)
	except fc.Timeout as e:
		late = e.got
	for m, _ in late:
		if m[2] is None:
			fc.fail("a connection made after SIG%s was served: %r" %
			    (sigs[0], m))
try:
	got += c.pump(n - len(got), 30)
except (fc.Timeout, fc.Closed) as e:
	fc.fail("after SIG%s: %s; answered %r of %r" % (sigs[0], e,
	    sorted(m[1] for m, _ in got + e.got), ids))
res = {}
for m, _ in got:
	fc.check_response(m)
	if m[1] in res or m[1] not in ids:
		fc.fail("unexpected or second answer %r" % (m,))
	res[m[1]] = m
bad = [res[i] for i in ids if (fc.code(res[i][2]) or "ok") != expect]
if bad:
	fc.fail("after SIG%s: expected every task answered %s, got %r" %
	    (",".join(sigs), expect, [(m[1], m[2], m[3]) for m in bad]))
# Then the daemon closes the connection.
try:
	rest = c.pump(None, 30)
except fc.Timeout:
	fc.fail("connection still open 30 s after all answers")
if rest:
	fc.fail("more after the last answer: %r" % (rest,))
PY

# inflight CASE N MS WHEN SIGNALS EXPECT: one daemon, one case.
inflight() {
	_what=$1
	shift
	fp_start
	fp_wait_nworkers 2
	fp_record_workers
	"$FP_PY" "$T/inflight.py" "$@" || fp_fail "$_what (see above)"
	FP_STATUS=0
	fp_wait_exit "$FP_PID" 30 || true
	assert_eq 0 "$FP_STATUS" "$_what: daemon exit status"
	fp_check_no_workers 0
	if [ -e "$FP_SOCK" ]; then
		fp_fail "$_what: socket left"
	fi
	if [ -e "$FP_PIDFILE" ]; then
		fp_fail "$_what: pidfile left"
	fi
}

cat >"$FP_CONF" <<'CONF'
workers 2
prefetch 1
shutdown-timeout 10s
CONF
inflight "SIGTERM, 20 sleeps of 200 ms, shutdown-timeout 10s" \
    20 200 first TERM ok

cat >"$FP_CONF" <<'CONF'
workers 2
prefetch 1
shutdown-timeout 100ms
CONF
inflight "SIGTERM, 6 sleeps of 5 s, shutdown-timeout 100ms" \
    6 5000 2 TERM shutting_down

cat >"$FP_CONF" <<'CONF'
workers 2
prefetch 1
shutdown-timeout 10s
CONF
inflight "SIGTERM twice, 4 sleeps of 5 s, shutdown-timeout 10s" \
    4 5000 2 TERM,TERM shutting_down
if [ -n "$FP_SIGDFL" ]; then
	inflight "SIGQUIT, 4 sleeps of 5 s, shutdown-timeout 10s" \
	    4 5000 2 QUIT shutting_down
fi
