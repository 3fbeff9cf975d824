#!/bin/sh
# stream_daemon.sh -- a Redis source in the daemon as it is run: started as
# root, in daemon mode (detached, pidfile, log to syslog), `user nobody'
# (the workers drop to nobody; the supervisor, which alone talks to Redis,
# stays root), against a redis-server with --requirepass, the source
# authenticating with password-file (mode 0600) and its default consumer
# name, `%h/%n' (the host name, then the source's name).
#
# A wrong password: the source is refused (AUTH), is never up, and keeps
# trying (reconnects grows, and so does Redis's count of WRONGPASS errors,
# errorstat_WRONGPASS); its log line says why (source_down with Redis's
# WRONGPASS error: checked in a foreground start, -d, since in daemon mode
# the log goes to syslog).  A changed password is not a changed block:
# fixing the file and reloading (SIGHUP; `forkpool reload' in daemon mode,
# which returns no warning) brings the source up at its next connection,
# without a restart.  A block that does change on reload (claim-idle 2s to
# 3s) is kept as it was started, with a warning (reload_ignored
# keyword=source): the source stays up on its connections, and its lease
# key keeps the expiry of claim-idle 2s.  In daemon mode, 200 echo entries
# are then answered once each, by the consumer HOST/jobs; the supervisor's
# uid is 0 and it holds the only two connections to Redis; the workers run
# as nobody.  SIGTERM stops it cleanly (no socket, pidfile, worker or
# sanitizer report), and since nothing was pending its consumer is gone
# from the group (XINFO CONSUMERS) and its lease key
# "{jobs}:tasks:alive:HOST/jobs" is deleted.
# fp_stop_daemon's optional arguments default to this test's daemon:
# shellcheck disable=SC2119
# fp-once: a stream scenario; the sanitizer build runs the source code it
# reaches through stream_many, _entries, _kill9, _partition, _stop, _poison
# _trim and _hostile (the suite stays under 10 minutes).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_root "workers drop to nobody"
fp_need_redis

STREAM='{jobs}:tasks'
PASS="pw-$$-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
PW=$T/redis.pass
CONSUMER="$(uname -n)/jobs"
LEASE="$STREAM:alive:$CONSUMER"
N=200
fp_redis_start r --requirepass "$PASS"

# setpw PASSWORD: the password file, mode 0600, replaced at once.
setpw() {
	(umask 077 && printf '%s\n' "$1" >"$PW.new")
	mv "$PW.new" "$PW"
}
setpw "wrong-$PASS"
cat >"$FP_CONF" <<CONF
workers 2
user nobody
test-handlers yes
source "jobs" redis {
	port $RPORT
	password-file "$PW"
	stream "$STREAM"
	claim-idle 2s
	claim-interval 200ms
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
fp_run "$FORKPOOLD" -n -f "$FP_CONF"
assert_status 0 "forkpoold -n"
assert_out "configuration OK" "forkpoold -n"

# rcli ARG...: redis-cli, authenticated.
rcli() {
	fp_redis_cli r --no-auth-warning -a "$PASS" "$@"
}

# sget KEY: a figure of the daemon's source, as JSON.
sget() {
	fp_sources "$FP_SOCK" | "$FP_PY" -c 'import json, sys
print(json.dumps(json.load(sys.stdin)[0][sys.argv[1]]))' "$1"
}

# refused WHAT: a bounded wait (10 s) for two more refused attempts of the
# source (its reconnects grow by 2 from R0, and Redis's count of WRONGPASS
# errors by 2 from what it is when this starts), during which the source
# must never be up.
refused() {
	fp_py "$FP_SOCK" "$RPORT" "$PASS" "$R0" "$1" <<'PY' ||
import json, sys, time
import fpclient, redis

sock, port, pw, r0, what = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    int(sys.argv[4]), sys.argv[5]
r = redis.Redis(port=port, password=pw)


def denied():
	v = r.info("errorstats").get("errorstat_WRONGPASS", "count=0")
	return int(v.split("=")[1]) if isinstance(v, str) else int(v["count"])


d0 = denied()
end = time.monotonic() + 10
while True:
	s = fpclient.stats(sock)["sources"][0]
	if s["state"] not in ("down", "connecting") or s["up"]:
		sys.exit("%s: the source is %s: %s" % (what, s["state"],
		    json.dumps(s)))
	if s["reconnects"] >= r0 + 2 and denied() >= d0 + 2:
		break
	if time.monotonic() >= end:
		sys.exit("%s: not refused twice more in 10 s: %s; WRONGPASS "
		    "errors %d, were %d" % (what, json.dumps(s), denied(), d0))
	time.sleep(0.02)
PY
	    fp_fail "$1: the source was not refused as it should be (above)"
}

# ---- a wrong password, in the foreground: the log ------------------------

R0=0
fp_start
refused "a wrong password (-d)"
assert_grep 'level=warning event=source_down source=jobs err="AUTH: WRONGPASS ' \
    "$FP_LOG" "the refusal in the log"
assert_no_grep 'event=source_up' "$FP_LOG" "no source_up with a wrong password"

# The file fixed, SIGHUP: no warning; the next connection authenticates.
setpw "$PASS"
fp_now
t0=$FP_NOW
kill -HUP "$FP_PID"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for 'grep -q "event=reload " "$FP_LOG"' 10 || fp_fail "no reload on SIGHUP"
fp_source_up "$FP_SOCK" 10
fp_now
fp_info "up $(((FP_NOW - t0) * 10))ms after SIGHUP with the password fixed"
assert_no_grep 'event=reload_ignored' "$FP_LOG" \
    "a changed password is not a changed block"
assert_grep 'event=source_up source=jobs ' "$FP_LOG" "source_up after the reload"

# A changed block: kept as started, with a warning.  The lease key is
# refreshed every claim-idle/4 with an expiry of claim-idle: still 2 s.
R0=$(sget reconnects)
sed -i 's/^	claim-idle 2s$/	claim-idle 3s/' "$FP_CONF"
kill -HUP "$FP_PID"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(grep -c "event=reload " "$FP_LOG")" -ge 2 ]' 10 ||
    fp_fail "no second reload on SIGHUP"
assert_grep 'level=warning event=reload_ignored keyword=source ' "$FP_LOG" \
    "a changed source block: kept, with a warning"
fp_now
_end=$((FP_NOW + 150))
while :; do
	pttl=$(rcli PTTL "$LEASE")
	if [ "$pttl" -le 0 ] || [ "$pttl" -gt 2000 ]; then
		fp_fail "the lease key's PTTL is $pttl after the reload of" \
		    "claim-idle 3s: not the block as started (2s)"
	fi
	fp_now
	[ "$FP_NOW" -lt "$_end" ] || break
	sleep 0.1
done
assert_eq '"up"' "$(sget state)" "the source after a changed block"
assert_eq "$R0" "$(sget reconnects)" "reconnects after a changed block"
assert_eq 1 "$(grep -c 'event=source_up ' "$FP_LOG")" \
    "source_up lines after a changed block"
fp_stop_clean
sed -i 's/^	claim-idle 3s$/	claim-idle 2s/' "$FP_CONF"

# ---- daemon mode: a wrong password, fixed by forkpool reload -------------

setpw "wrong-$PASS"
R0=0
fp_start_daemon
refused "a wrong password"
setpw "$PASS"
fp_now
t0=$FP_NOW
fp_cli reload
assert_status 0 "forkpool reload"
assert_grep '"warnings":\[\]' "$T/out" "forkpool reload of a changed password"
fp_source_up "$FP_SOCK" 10
fp_now
fp_info "up $(((FP_NOW - t0) * 10))ms after forkpool reload with the" \
    "password fixed"
assert_eq "\"$CONSUMER\"" "$(sget consumer)" "the default consumer name %h/%n"
fp_wait_nworkers 2

# The supervisor stays root and alone talks to Redis; workers are nobody.
assert_eq "0 0" "$(awk '/^Uid:/ { print $2, $3 }' "/proc/$FP_PID/status")" \
    "the supervisor's real and effective uid"
for w in $(fp_workers); do
	assert_eq "65534 65534 65534" \
	    "$(awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$w/status")" \
	    "uids of worker $w"
done
ss -Htnp state established "( dport = :$RPORT )" >"$T/ss" ||
    fp_fail "ss failed"
assert_eq 2 "$(wc -l <"$T/ss" | tr -d ' ')" "connections to Redis ($(cat "$T/ss"))"
assert_eq 2 "$(grep -c "pid=$FP_PID," "$T/ss")" \
    "connections to Redis held by the supervisor ($(cat "$T/ss"))"

fp_fpstream --port "$RPORT" --password "$PASS" produce --stream "$STREAM" \
    -n "$N" --cid e --cid-param --ids "$T/ids" >"$T/produce.json" ||
    fp_fail "produce: $(cat "$T/produce.json")"
rc=0
fp_fpstream --port "$RPORT" --password "$PASS" verify --ids "$T/ids" \
    --stream "$STREAM" --group forkpool \
    --check dups,missing,unexpected,pending,cid,res-cid \
    --codes "{\"ok\": $N}" --wait 30 --linger 0.3 >"$T/verify.json" || rc=$?
fp_info "verify: $(cut -c1-300 "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "verify of $N entries failed (exit status $rc)"
assert_grep "\"by\": \\{\"$CONSUMER\": $N\\}" "$T/verify.json" \
    "all answered by $CONSUMER"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(sget inflight)" = 0 ]' 10 || fp_fail "entries still held"
assert_eq "{\"ok\": $N}" "$(sget answered)" "answered"

# In the group while it runs; its lease key names this host and the pid.
rcli XINFO CONSUMERS "$STREAM" forkpool >"$T/consumers"
assert_grep "^$CONSUMER\$" "$T/consumers" "the consumer in the group"
rcli GET "$LEASE" >"$T/lease"
assert_grep "^$(uname -n) $FP_PID [0-9]+\$" "$T/lease" "the lease key"

fp_stop_daemon
rcli XINFO CONSUMERS "$STREAM" forkpool >"$T/consumers"
# (An empty array: one empty line.)
assert_no_grep . "$T/consumers" "the group's consumers after SIGTERM"
assert_eq 0 "$(rcli EXISTS "$LEASE")" "the lease key after SIGTERM"
rcli XPENDING "$STREAM" forkpool >"$T/pending"
assert_eq 0 "$(head -n 1 "$T/pending")" "pending after SIGTERM"
