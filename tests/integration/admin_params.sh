#!/bin/sh
# admin_params.sh -- the administrative methods that take no params
# (forkpool.ping, handlers, workers, breakers, metrics, reload,
# slowlog_reset) answer anything but [] invalid_params and do nothing
# (a reload or reset with params changes nothing; for those two the
# permission is checked first); and forkpool.slowlog shows the params and
# corr of the tasks it lists only to callers allowed to reload: nobody
# gets them as nil, with the timings, handler, worker and pid, while root
# sees root's "password" (forkpool-rpc(7), Who may do what).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_nobody_reach "its clients run as nobody"
cat >"$FP_CONF" <<'CONF'
workers 1
socket-mode 0666
slowlog-threshold 0
CONF
fp_start
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "methods without params, root's slow log (see above)"
import os
import fpclient as fc
sock = os.environ["FP_SOCK"]
c = fc.Conn(sock)
err, res = c.call("forkpool.call", ["echo", ["password=hunter2"],
    {"id": "root-req-1"}])
if err is not None:
	fc.fail("echo: %r" % (err,))
for m in ("ping", "handlers", "workers", "breakers", "metrics", "reload",
    "slowlog_reset"):
	for bad in ([1], [[]], [None], ["all"], [1, 2, 3]):
		err, res = c.call("forkpool." + m, bad)
		fc.expect_err(err, "invalid_params", "forkpool.%s %r" % (m, bad))
# Nothing was reloaded or reset by those.
st = fc.stats(sock)
if st["generation"] != 0:
	fc.fail("a reload with params reloaded: generation %r" %
	    (st["generation"],))
err, s = c.call("forkpool.slowlog", [10])
if err is not None or len(s) != 1:
	fc.fail("root's slowlog after the refused resets: %r %r" % (err, s))
e = s[0]
if e["params"] != ["password=hunter2"] or e["corr"] != "root-req-1":
	fc.fail("root does not see params and corr: %r" % (e,))
for m in ("ping", "handlers", "workers", "breakers", "metrics"):
	err, res = c.call("forkpool." + m, [])
	if err is not None:
		fc.fail("forkpool.%s []: %r" % (m, err))
print("methods without params: anything but [] is invalid_params")
PY
# shellcheck disable=SC2086 # FP_NOBODY_PY is a command and its arguments
fp_nobody $FP_NOBODY_PY - <<'PY' || fp_fail "nobody's view of the slow log (see above)"
import os
import fpclient as fc
if os.getuid() != 65534:
	fc.fail("not running as nobody: uid %d" % os.getuid())
c = fc.Conn(os.environ["FP_SOCK"])
err, s = c.call("forkpool.slowlog", [10])
if err is not None or len(s) != 1:
	fc.fail("nobody's slowlog: %r %r" % (err, s))
e = s[0]
if e["params"] is not None or e["corr"] is not None:
	fc.fail("nobody sees root's params or corr: %r" % (e,))
if e["handler"] != "echo" or not isinstance(e["run_us"], int) or \
    not isinstance(e["wait_us"], int) or e["worker"] != 0 or \
    e["pid"] <= 0 or e["running"] is not False:
	fc.fail("nobody's entry lacks the rest: %r" % (e,))
# The permission is checked before the params.
for m in ("reload", "slowlog_reset"):
	err, res = c.call("forkpool." + m, [1])
	fc.expect_err(err, "permission_denied", "forkpool.%s [1] as nobody" % m)
err, res = c.call("forkpool.workers", [1])
fc.expect_err(err, "invalid_params", "forkpool.workers [1] as nobody")
print("nobody: slowlog entries without params and corr")
PY
fp_stop_clean
fp_info "admin params: [] only; slowlog params and corr for admins"
