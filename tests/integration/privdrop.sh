#!/bin/sh
# privdrop.sh -- started as root with `user nobody' (forkpool.conf(5)),
# the workers run as nobody: real, effective, saved and file-system uid and
# gid all 65534, no supplementary group but nogroup, NoNewPrivs 1; the
# supervisor stays uid 0.  Tasks still run there: echo, json.encode and a
# plug-in's handler (tp.pid names the worker that ran it, which is
# nobody's).  socket-owner and socket-group give the socket to nobody:nogroup
# (mode from socket-mode).  A reload to `user daemon' and `group users'
# starts workers with those ids; a changed socket-owner is reported and
# ignored.  A plug-in file writable by others, owned by
# another user, or in a directory others may write to is refused by
# forkpoold -n and at start, with the reason; an unknown user or group is
# a start-up error naming it, from -n too.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "privdrop.sh must run as root (it drops to nobody)"
fi
NOBODY=$(id -u nobody)
NOGROUP=$(getent group nogroup | cut -d: -f3)
assert_eq 65534 "$NOBODY" "uid of nobody"
assert_eq 65534 "$NOGROUP" "gid of nogroup"

BD=$(cd "$(dirname "$FORKPOOLD")" && pwd)
mkdir "$T/plug"
chmod 0755 "$T/plug"
cp "$BD/tests/plugins/testplug.so" "$T/plug/testplug.so"
chmod 0644 "$T/plug/testplug.so"
TP=$T/plug/testplug.so

cat >"$FP_CONF" <<CONF
workers 2
user nobody
socket-owner nobody
socket-group nogroup
socket-mode 0660
load "$TP"
CONF

# ---- workers run as nobody ------------------------------------------------
fp_start
fp_wait_nworkers 2
sup=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$FP_PID/status")
assert_eq "0 0 0 0" "$sup" "the supervisor's Uid line"
# check_worker PID: every id of PID is nobody's and it cannot gain more.
check_worker() {
	_s=/proc/$1/status
	assert_eq "65534 65534 65534 65534" \
	    "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$_s")" "worker $1 Uid"
	assert_eq "65534 65534 65534 65534" \
	    "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$_s")" "worker $1 Gid"
	_g=$(awk '/^Groups:/ { $1 = ""; print }' "$_s" | tr -d ' \t')
	case $_g in
	''|65534) ;;
	*)	fp_fail "worker $1 Groups: expected none or 65534, got '$_g'" ;;
	esac
	assert_eq 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "$_s")" \
	    "worker $1 NoNewPrivs"
	assert_eq 0000000000000000 "$(awk '/^CapEff:/ { print $2 }' "$_s")" \
	    "worker $1 CapEff"
}
for w in $(fp_workers); do
	check_worker "$w"
done
fp_info "workers $(fp_workers | tr '\n' ' ')run as nobody"

fp_call_ok '"hello"' "echo as nobody" echo '"hello"'
fp_call_ok '{"text":"[1,2]","truncated":false,"size":5}' \
    "json.encode as nobody" json.encode '[1,2]'
fp_call_ok 5 "a plug-in handler as nobody" tp.ok 5
fp_cli call tp.pid
assert_status 0 "tp.pid"
# [pid, worker_init calls]
wpid=$(sed -n 's/^\[\([0-9]*\),.*/\1/p' "$T/out")
case " $(fp_workers | tr '\n' ' ') " in
*" $wpid "*) ;;
*)	fp_fail "tp.pid answered $wpid, not one of the workers" ;;
esac
check_worker "$wpid"

# ---- socket-owner, socket-group --------------------------------------------
assert_eq "nobody:nogroup 660" "$(stat -c '%U:%G %a' "$FP_SOCK")" \
    "the socket's owner, group and mode"

# A new worker (after a crash) drops its privileges too.
fp_cli call tp.crash
wait_for "[ \"\$(fp_nworkers)\" -eq 2 ] && ! fp_workers | grep -qx '$wpid'" \
    10 || fp_fail "no worker replaced the one that crashed"
for w in $(fp_workers); do
	check_worker "$w"
done

# ---- reload: user and group apply to new workers; socket-owner is fixed ---
# shellcheck disable=SC2034 # used in the wait_for below
old=$(fp_workers | tr '\n' ' ')
g=$(fp_stat generation)
cat >"$FP_CONF" <<CONF
workers 2
user daemon
group users
socket-owner root
socket-group nogroup
socket-mode 0660
load "$TP"
CONF
kill -HUP "$FP_PID"
wait_for '[ "$(fp_stat generation)" -gt '"$g"' ]' 10 ||
    fp_fail "SIGHUP did not reload"
assert_grep 'event=reload_ignored keyword=socket-owner ' "$FP_LOG" \
    "a changed socket-owner is reported and ignored"
assert_eq "nobody:nogroup 660" "$(stat -c '%U:%G %a' "$FP_SOCK")" \
    "the socket after a reload that changes socket-owner"
fp_wait_nworkers 2
wait_for 'fp_none_alive $old' 10 ||
    fp_fail "the workers of the first generation are still there"
DUID=$(id -u daemon)
UGID=$(getent group users | cut -d: -f3)
for w in $(fp_workers); do
	assert_eq "$DUID $DUID $DUID $DUID" \
	    "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$w/status")" \
	    "worker $w Uid after the reload to user daemon"
	assert_eq "$UGID $UGID $UGID $UGID" \
	    "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$w/status")" \
	    "worker $w Gid after the reload to group users"
done
fp_call_ok 6 "a plug-in handler as daemon" tp.ok 6
fp_stop_clean

# ---- plug-in files others could have written are refused -----------------
# refused WHAT REASON_ERE: forkpoold -n and a daemon start with $FP_CONF
# exit 1, naming the line, the path and REASON_ERE; no socket is left.
refused() {
	fp_run "$FORKPOOLD" -n -f "$FP_CONF"
	assert_status 1 "forkpoold -n, $1"
	assert_grep "^forkpoold: $FP_CONF:[0-9]+: load $2: refused: $3" \
	    "$T/err" "forkpoold -n, $1"
	assert_no_grep "configuration OK" "$T/out" "forkpoold -n, $1"
	fp_run "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE"
	assert_status 1 "forkpoold start, $1"
	assert_grep "load $2: refused: $3" "$T/err" "forkpoold start, $1"
	if [ -e "$FP_SOCK" ]; then
		fp_fail "$1: a socket was left by the refused start"
	fi
}
printf 'workers 1\nuser nobody\nload "%s"\n' "$TP" >"$FP_CONF"
chmod 0666 "$TP"
refused "a plug-in of mode 0666" "$TP" "file $TP is writable by anyone"
chmod 0664 "$TP"
refused "a plug-in of mode 0664" "$TP" "file $TP is writable by its group"
chmod 0644 "$TP"
chown nobody "$TP"
refused "a plug-in owned by nobody" "$TP" \
    "file $TP is owned by uid 65534, not by root or the daemon's user"
chown root "$TP"
chmod 0777 "$T/plug"
refused "a plug-in in a directory of mode 0777" "$TP" \
    "directory $T/plug is writable by anyone"
chmod 0755 "$T/plug"
# Through a symbolic link: the directories of the target count too.
mkdir "$T/open"
chmod 0777 "$T/open"
cp "$TP" "$T/open/tp.so"
ln -s "$T/open/tp.so" "$T/plug/link.so"
printf 'workers 1\nload "%s"\n' "$T/plug/link.so" >"$FP_CONF"
refused "a link to a plug-in in a directory of mode 0777" \
    "$T/plug/link.so" "directory $T/open is writable by anyone"
# The same file, safe again, loads.
chmod 0755 "$T/open"
fp_run "$FORKPOOLD" -n -f "$FP_CONF"
assert_status 0 "forkpoold -n, a plug-in in safe directories"
assert_out "configuration OK" "forkpoold -n, a plug-in in safe directories"

# ---- socket-group: the socket's directory, made by the daemon ------------
# 0750 and the socket group's, so that the group can reach the socket and
# nobody else can.
printf 'workers 1\nsocket-group nogroup\n' >"$FP_CONF"
sock0=$FP_SOCK
FP_SOCK=$T/sgdir/s.sock
fp_start_daemon
assert_eq "750 root:nogroup" "$(stat -c '%a %U:%G' "$T/sgdir")" \
    "the socket directory made with socket-group"
assert_eq "root:nogroup 660" "$(stat -c '%U:%G %a' "$FP_SOCK")" \
    "the socket made with socket-group"
fp_stop_daemon
FP_SOCK=$sock0

# ---- unknown user, group ---------------------------------------------------
# bad_name TEXT REASON_ERE: `TEXT' on line 2 is refused by -n and at start.
bad_name() {
	printf 'workers 1\n%s\n' "$1" >"$FP_CONF"
	fp_run "$FORKPOOLD" -n -f "$FP_CONF"
	assert_status 1 "forkpoold -n, $1"
	assert_grep "^forkpoold: $FP_CONF:2: $2" "$T/err" "forkpoold -n, $1"
	fp_run "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE"
	assert_status 1 "forkpoold start, $1"
	assert_grep "^forkpoold: $FP_CONF:2: $2" "$T/err" "forkpoold start, $1"
}
bad_name "user fp-no-such-user" "user fp-no-such-user: no such user"
bad_name "socket-owner fp-no-such-user" \
    "socket-owner fp-no-such-user: no such user"
bad_name "socket-group fp-no-such-group" \
    "socket-group fp-no-such-group: no such group"
bad_name "admin-group fp-no-such-group" \
    "admin-group fp-no-such-group: no such group"
bad_name "group nogroup" "group nogroup: given without user"
printf 'workers 1\nuser nobody\ngroup fp-no-such-group\n' >"$FP_CONF"
fp_run "$FORKPOOLD" -n -f "$FP_CONF"
assert_status 1 "forkpoold -n, an unknown group"
assert_grep "^forkpoold: $FP_CONF:3: group fp-no-such-group: no such group" \
    "$T/err" "forkpoold -n, an unknown group"
fp_check_no_workers 0
fp_info "workers drop to nobody; unsafe plug-ins and unknown names refused"
