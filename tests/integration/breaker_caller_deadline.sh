#!/bin/sh
# breaker_caller_deadline.sh -- one client cannot shut others out through
# the circuit breaker (issue 8, item 8).  `handler sleep timeout 500ms',
# breaker-threshold 3.
#
# - One client loops `sleep 1000' with its own deadline of 100 ms
#   (forkpool.call timeout_ms): every call is answered timeout and its
#   worker killed, but these timeouts are the caller's choice and do not
#   count: meanwhile a bystander's `sleep 5' calls (no deadline of their
#   own) are all answered, none circuit_open, and forkpool.breakers shows
#   sleep closed with 0 failures.
# - Deadlines from the configuration still count: `sleep 1000' without
#   an own deadline (500 ms from the configuration), and with timeout_ms
#   600 (not shorter than the configured one), each add a failure.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 3
breaker-threshold 3
breaker-window 30s
breaker-cooldown 10s
handler sleep timeout 500ms
CONF
fp_start
fp_wait_nworkers 3
fp_py <<'PY' || fp_fail "caller's deadlines and the breaker (see above)"
import os, threading, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

stop = threading.Event()
att = {"n": 0, "bad": []}

def attacker():
	a = fc.Conn(sock)
	while not stop.is_set():
		err, res = a.call("forkpool.call", ["sleep", [1000],
		    {"timeout_ms": 100}], 10)
		if fc.code(err) != "timeout":
			att["bad"].append(err if err is not None else res)
		att["n"] += 1
	a.close()

fc.wait_children(dpid, 3)
th = threading.Thread(target=attacker)
th.start()
b = fc.Conn(sock)
n, bad, t_end = 0, [], time.monotonic() + 3.0
while time.monotonic() < t_end or att["n"] < 8:
	err, res = b.call("sleep", [5], 10)
	if err is not None or res != 5:
		bad.append(err)
	n += 1
	if time.monotonic() > t_end + 10:
		break
	time.sleep(0.02)
stop.set()
th.join(15)
if th.is_alive():
	fc.fail("the attacker is stuck")
print("attacker: %d calls with timeout_ms 100 (problems %r)" % (att["n"],
    att["bad"][:3]))
print("bystander: %d calls, %d not answered 5: %r" % (n, len(bad), bad[:3]))
if att["n"] < 8 or att["bad"]:
	fc.fail("the attacker's calls should each time out: %d calls, %r" %
	    (att["n"], att["bad"][:3]))
if bad:
	fc.fail("a bystander's calls were refused: %d of %d, e.g. %r" %
	    (len(bad), n, bad[0]))
br = fc.breakers(sock)["sleep"]
if br["state"] != "closed" or br["failures"] != 0:
	fc.fail("sleep's breaker after the caller's own deadlines: %r" % (br,))

# The configured deadline, and a caller's one not shorter, still count.
c = fc.Conn(sock)
err, res = c.call("sleep", [1000], 10)
fc.expect_err(err, "timeout", "sleep 1000 under the configured 500 ms")
br = fc.breakers(sock)["sleep"]
if br["failures"] != 1:
	fc.fail("a timeout from the configuration must count: %r" % (br,))
err, res = c.call("forkpool.call", ["sleep", [1000], {"timeout_ms": 600}],
    10)
fc.expect_err(err, "timeout", "sleep 1000 with timeout_ms 600")
br = fc.breakers(sock)["sleep"]
if br["failures"] != 2 or br["state"] != "closed":
	fc.fail("a caller's deadline not shorter than the configured one "
	    "counts: %r" % (br,))
print("configured deadlines count: %r" % (br,))
PY
fp_stop_clean
