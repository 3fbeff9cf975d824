#!/bin/sh
# retries_handler.sh -- `handler crash retries 1' (forkpool.conf(5)) gives
# crash attempts 2, and retries 0 in forkpool.call overrides it.  Handler
# errors (invalid_params) are not retried, whatever the retries: no
# attempts field, tasks_retried unchanged.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# `handler crash retries 1', and handler errors.
cat >"$FP_CONF" <<'CONF'
workers 2
breaker-threshold 0
handler crash retries 1
handler sleep retries 3
CONF
fp_start -T
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "handler retries, handler errors (see above)"
import os
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])

fc.wait_children(dpid, 2)
c = fc.Conn(sock)
st0 = fc.stats(sock)
err, _ = c.call("crash", [], 20)
fc.expect_err(err, "worker_crashed", "crash under handler crash retries 1")
if err.get("attempts") != 2:
	fc.fail("crash under handler crash retries 1: attempts %r" % (err,))
err, _ = c.call("forkpool.call", ["crash", [], {"retries": 0}], 20)
fc.expect_err(err, "worker_crashed", "crash with retries 0 in the call")
if err.get("attempts") != 1:
	fc.fail("retries 0 in the call overrides handler crash retries 1: "
	    "%r" % (err,))
st1 = fc.stats(sock)
if st1["tasks_retried"] != st0["tasks_retried"] + 1:
	fc.fail("tasks_retried %r -> %r: expected +1" % (st0["tasks_retried"],
	    st1["tasks_retried"]))
fc.wait_children(dpid, 2)

# Handler errors are answers, not crashes: never retried.
for method, params, opts in (("sleep", ["x"], None),
    ("crash", ["x"], {"retries": 3}), ("crash", [0], {"retries": 3}),
    ("spin", [-1], {"retries": 2}), ("echo", [1, 2], {"retries": 2})):
	if opts is None:
		err, _ = c.call(method, params, 20)
	else:
		err, _ = c.call("forkpool.call", [method, params, opts], 20)
	fc.expect_err(err, "invalid_params", "%s %r %r" % (method, params, opts))
	if "attempts" in err:
		fc.fail("a handler error carries attempts: %s %r: %r" %
		    (method, params, err))
st2 = fc.stats(sock)
if st2["tasks_retried"] != st1["tasks_retried"]:
	fc.fail("handler errors were retried: tasks_retried %r -> %r" %
	    (st1["tasks_retried"], st2["tasks_retried"]))
if st2["worker_crashes"] != st1["worker_crashes"]:
	fc.fail("worker_crashes %r -> %r after handler errors" %
	    (st1["worker_crashes"], st2["worker_crashes"]))
print("handler crash retries 1: attempts 2; handler errors not retried")
PY
fp_stop_clean
