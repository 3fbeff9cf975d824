#!/bin/sh
# breaker_probe.sh -- the half-open breaker's probe must be able to fail
# (forkpool-rpc(7), circuit_open): a call with a deadline of its own
# shorter than the configured one is not given the probe (its timeout
# would not count, and a client repeating such calls would keep the
# breaker half-open and everyone else out for ever); it is answered
# circuit_open, and a bystander's call takes the probe and closes the
# breaker.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
handler spin timeout 400ms
breaker-threshold 2
breaker-window 10s
breaker-cooldown 300ms
CONF
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "a caller's short deadline held the probe"
import os, time
import fpclient as fc
sock = os.environ["FP_SOCK"]

c = fc.Conn(sock)
# Two configured timeouts open the breaker.
for i in range(2):
	err, res = c.call("spin", [2000000], 10)
	fc.expect_err(err, "timeout", "spin 2 s under a 400 ms deadline")
err, res = c.call("spin", [1000], 10)
fc.expect_err(err, "circuit_open", "spin while the breaker is open")
# Bounded polling until the cool-down (300 ms) has passed: half-open.
t0 = time.monotonic()
while True:
	err, res = c.call("forkpool.breakers", [], 10)
	st = [b["state"] for b in res if b["handler"] == "spin"]
	if st == ["half-open"]:
		break
	if time.monotonic() - t0 > 5:
		fc.fail("the spin breaker is not half-open after 5 s: %r" % res)
	time.sleep(0.02)
# The attacker's call, with a deadline shorter than the configured one,
# is not the probe.
err, res = c.call("forkpool.call", ["spin", [2000000], {"timeout_ms": 200}],
    10)
fc.expect_err(err, "circuit_open", "a short-deadline call at half-open")
if "probe" not in err["message"]:
	fc.fail("the refusal does not say why: %r" % (err,))
# A bystander's call takes the probe and closes the breaker.
err, res = c.call("spin", [1000], 10)
if err is not None:
	fc.fail("the bystander's probe: %r %r" % (err, res))
for i in range(5):
	err, res = c.call("spin", [1000], 10)
	if err is not None:
		fc.fail("spin after the breaker closed: %r" % (err,))
print("a short-deadline call was refused the probe; the bystander's probe "
    "closed the breaker")
PY
fp_stop_clean
