#!/bin/sh
# admin_group.sh -- who else may call administrative methods
# (forkpool.conf(5) admin-group, forkpool-rpc(7)): after a reload to
# `admin-group nogroup', nobody (primary group nogroup) may reload, on a
# connection opened before that reload too; so may a user whose
# supplementary groups include the admin group (SO_PEERGROUPS), and not one
# whose groups do not.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start_open "its clients run as nobody"

# ---- admin-group ---------------------------------------------------------
# The file changes below are applied with SIGHUP, which forkpool.reload's
# rate limit (5 at once) does not count.
hup() {
	_g=$(fp_stat generation)
	kill -HUP "$FP_PID"
	wait_for '[ "$(fp_stat generation)" -gt '"$_g"' ]' 10 ||
	    fp_fail "SIGHUP did not reload"
}
# A connection opened before the reload that names the group: the group is
# checked on each call.
mkdir "$T/nb"
chown nobody "$T/nb"
cat >"$T/nb/early.py" <<'PY'
import os, time
import fpclient as fc
sock, T = os.environ["FP_SOCK"], os.environ["T"] + "/nb"
c = fc.Conn(sock)
err, res = c.call("forkpool.reload", [])
if fc.code(err) != "permission_denied":
	fc.fail("before admin-group: %r %r" % (err, res))
open(os.path.join(T, "early.ready"), "w").close()
deadline = time.monotonic() + 20
while not os.path.exists(os.path.join(T, "early.go")):
	if time.monotonic() > deadline:
		fc.fail("no go from the test")
	time.sleep(0.02)
err, res = c.call("forkpool.reload", [])
if err is not None or "generation" not in res:
	fc.fail("admin-group nogroup, connection opened before: %r %r" %
	    (err, res))
open(os.path.join(T, "early.ok"), "w").close()
PY
# shellcheck disable=SC2086
fp_bg fp_nobody $FP_NOBODY_PY "$T/nb/early.py" </dev/null
early=$FP_BGPID
wait_for '[ -e "$T/nb/early.ready" ] || ! fp_alive $early' 15 ||
    fp_fail "the early nobody client did not get ready"
printf 'workers 1\nsocket-mode 0666\nadmin-group nogroup\n' >"$FP_CONF"
hup
: >"$T/nb/early.go"
fp_wait_bg "$early" 20
assert_eq 0 "$FP_RC" "nobody's reload on a connection opened before"
[ -e "$T/nb/early.ok" ] || fp_fail "the early client did not reload"

# shellcheck disable=SC2086 # FP_NOBODY is a command and its arguments
fp_run $FP_NOBODY "$FORKPOOL" \
    reload
assert_status 0 "forkpool reload as nobody in admin-group nogroup"
assert_grep '"generation"' "$T/out" "forkpool reload as nobody, admin-group"

# Supplementary groups: uid and primary gid 65534, the admin group only as
# a supplementary group.
ADMG=$(getent group users | cut -d: -f3)
: "${ADMG:=100}"
printf 'workers 1\nsocket-mode 0666\nadmin-group %s\n' "$ADMG" >"$FP_CONF"
hup
fp_run setpriv --reuid=65534 --regid=65534 --groups="$ADMG" "$FORKPOOL" \
    reload
assert_status 0 "forkpool reload as nobody with supplementary group $ADMG"
# shellcheck disable=SC2086 # FP_NOBODY is a command and its arguments
fp_run $FP_NOBODY "$FORKPOOL" \
    reload
assert_status 1 "forkpool reload as nobody, not in group $ADMG"
assert_grep "^forkpool: permission_denied: .*admin-group $ADMG" "$T/err" \
    "forkpool reload as nobody, not in group $ADMG"
fp_run setpriv --reuid=65534 --regid=65534 --groups=65534 "$FORKPOOL" \
    call echo '"x"'
assert_status 0 "echo as nobody, not in the admin group"

fp_stop_clean
fp_info "reload: the admin-group's members allowed, others denied"
