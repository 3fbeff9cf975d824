#!/bin/sh
# admin_perm.sh -- who may call administrative methods (forkpool-rpc(7)).
# On a socket of mode 0666, a client running as nobody may call handlers
# and read stats, but forkpool.reload answers permission_denied (logged as
# event=permission_denied with the peer's uid) and changes nothing; root's
# reload works.  (The admin-group: admin_group.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start_open "its clients run as nobody"

# shellcheck disable=SC2086 # FP_NOBODY_PY is a command and its arguments
fp_nobody $FP_NOBODY_PY - <<'PY' || fp_fail "nobody's calls (see above)"
import os
import fpclient as fc
sock = os.environ["FP_SOCK"]
if os.getuid() != 65534:
	fc.fail("not running as nobody: uid %d" % os.getuid())
c = fc.Conn(sock)
err, res = c.call("echo", ["from nobody"])
if err is not None or res != "from nobody":
	fc.fail("echo as nobody: %r %r" % (err, res))
g0 = fc.stats(sock)["generation"]
err, res = c.call("forkpool.reload", [])
if fc.code(err) != "permission_denied" or res is not None:
	fc.fail("forkpool.reload as nobody: %r %r" % (err, res))
if "root" not in err["message"]:
	fc.fail("the permission_denied message does not say who may: %r" % err)
if fc.stats(sock)["generation"] != g0:
	fc.fail("a denied reload changed the generation")
err, res = c.call("echo", ["still"])
if err is not None or res != "still":
	fc.fail("echo after the denied reload: %r %r" % (err, res))
print("nobody: echo ok, forkpool.reload permission_denied")
PY
assert_grep 'event=permission_denied .*uid=65534 .*method=forkpool.reload' \
    "$FP_LOG" "the denied reload is logged with the peer's uid"

# The client program says so too.
# shellcheck disable=SC2086 # FP_NOBODY is a command and its arguments
fp_run $FP_NOBODY "$FORKPOOL" \
    reload
assert_status 1 "forkpool reload as nobody"
assert_grep '^forkpool: permission_denied: ' "$T/err" \
    "forkpool reload as nobody"

# Root may.
fp_cli reload
assert_status 0 "forkpool reload as root"

fp_stop_clean
fp_info "reload: nobody denied, root allowed"
