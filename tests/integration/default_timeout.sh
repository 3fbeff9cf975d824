#!/bin/sh
# default_timeout.sh -- a hung task cannot hold a worker forever with the
# default configuration (issue 8, item 9).
#
# - With an empty configuration file, forkpoold -nv prints `timeout 30s'
#   (the default) and `handler NAME timeout' is not needed for it.
# - The global `timeout' applies to a call that has no deadline of its
#   own: `hang' under `timeout 400ms' (30 s is too long for a test) is
#   answered timeout within a few seconds, its worker is killed and
#   replaced, and the pool goes on serving.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

: >"$T/empty.conf"
fp_run "$FORKPOOLD" -nv -f "$T/empty.conf" -s "$FP_SOCK"
assert_status 0 "forkpoold -nv -f empty.conf"
assert_grep '^timeout 30s$' "$T/out" "the default timeout"

cat >"$FP_CONF" <<'CONF'
workers 2
timeout 400ms
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "the configured timeout on hang (see above)"
import os, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

w0 = fc.wait_children(dpid, 2)
c = fc.Conn(sock)
t0 = time.monotonic()
err, res = c.call("hang", [], 10)
dt = time.monotonic() - t0
fc.expect_err(err, "timeout", "hang without a deadline of its own")
if dt < 0.35 or dt > 3:
	fc.fail("hang answered timeout after %.2f s, expected about 0.4" % dt)
w1 = fc.wait_children(dpid, 2)
if len(set(w0) & set(w1)) != 1:
	fc.fail("the hung worker should be replaced: %r -> %r" % (w0, w1))
err, res = c.call("echo", ["after"], 10)
if err is not None or res != "after":
	fc.fail("echo after the timeout: %r %r" % (err, res))
print("hang: timeout after %.2f s, worker replaced" % dt)
PY
fp_stop_clean
