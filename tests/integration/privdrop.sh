#!/bin/sh
# privdrop.sh -- started as root with `user nobody' (forkpool.conf(5)),
# the workers run as nobody: real, effective, saved and file-system uid and
# gid all 65534, no supplementary group but nogroup, NoNewPrivs 1; the
# supervisor stays uid 0.  Tasks still run there: echo (1 MiB ones too,
# through the blob rings and the shared-memory arena), json.encode and a
# plug-in's handler (tp.pid names the worker that ran it, which is
# nobody's), and their stats blocks and log lines still reach the
# supervisor.  socket-owner and socket-group give the socket to nobody:nogroup
# (mode from socket-mode).  A reload to `user daemon' and `group users'
# starts workers with those ids; a changed socket-owner is reported and
# ignored.  (Also plugin_file_perms.sh, socket_group_dir.sh,
# unknown_names.sh.)
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
# Workers that dropped to nobody still reach the supervisor through their
# segment (mapped before the ids changed): their stats blocks are folded
# (echo's one run) and their log lines come through the log ring, tagged.
ECHO1='"echo":{"calls":1,"ok":1,"failed":0,"errors":{},"wait":{[^}]*},'
ECHO1=$ECHO1'"run":{"count":1,'
folded() {
	fp_cli call forkpool.stats && grep -q "$ECHO1" "$T/out"
}
wait_for folded 10 ||
    fp_fail "echo's run as nobody not folded into forkpool.stats"
fp_call_ok true "host->log as nobody" tp.log '"as nobody"'
TPLOG='level=info event=tp_log worker=[0-9]+ pid=[0-9]+ plugin=testplug'
TPLOG=$TPLOG' msg="as nobody"$'
wait_for 'grep -Eq "$TPLOG" "$FP_LOG"' 10 ||
    fp_fail "no line of a nobody worker's host->log through its ring"
# Large payloads as nobody: params and results through the blob rings,
# and libforkpool's shared-memory arena (a root client's memfd mapped by
# the root supervisor), then the same over the socket alone.
fp_cli bench -z 1048576 -d 4 -n 40
assert_grep 'tasks=40 errors=0 ' "$T/out" "1 MiB echoes as nobody"
FORKPOOL_SHM=0 fp_cli bench -z 1048576 -d 4 -n 40
assert_grep 'tasks=40 errors=0 ' "$T/out" "1 MiB echoes as nobody, socket"
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
