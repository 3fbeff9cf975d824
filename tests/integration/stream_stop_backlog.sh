#!/bin/sh
# stream_stop_backlog.sh -- forkpool-streams(7), scenario 7 of the brief (a
# graceful stop under load) with a backlog: entries a stopping daemon
# releases are taken by a busy peer "at its next look, without waiting"
# (THE LOOP), not after the peer has read the whole backlog of new entries
# (whose reads would otherwise always take the room a claim needs).
# Daemons a and b: two workers each, prefetch 1, max-inflight 8,
# claim-idle 30s, claim-interval 200ms; 120 entries of `sleep 100': each
# daemon holds 8, about 104 wait unread, some 5.5 s of work for b alone.
# Then SIGTERM to a, which releases its queued entries.  Proved: a exits
# 0; b holds all of them within 2.5 s of the SIGTERM (b frees room 20
# times a second and looks every 200 ms), well before the backlog is
# drained; every entry is answered exactly once, `ok'; nothing is left
# pending.
# fp-once: a stream scenario; the sanitizer build runs the source code it
# reaches through stream_many, _entries, _kill9, _partition, _stop, _poison
# _trim and _hostile (the suite stays under 10 minutes).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

N=120
STREAM='{jobs}:tasks'
fp_redis_start r

conf() {
	cat >"$T/$1.conf" <<CONF
workers 2
prefetch 1
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "$1"
	max-inflight 8
	claim-idle 30s
	claim-interval 200ms
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
}
conf a
conf b
cp "$T/a.conf" "$FP_CONF"
fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"
fp_start_consumer b "$T/b.conf"

fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n "$N" \
    --method sleep --params '[100]' --cid e --ids "$T/ids" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"
both_hold() {
	[ "$(fp_pending r "$STREAM" forkpool a)" -ge 6 ] &&
	    [ "$(fp_pending r "$STREAM" forkpool b)" -ge 6 ]
}
wait_for both_hold 10 ||
    fp_fail "a and b do not hold 6 entries each: $(fp_redis_cli r \
    XPENDING "$STREAM" forkpool | tr '\n' ' ')"

fp_now
t0=$FP_NOW
kill -TERM "$A"
fp_wait_exit "$A" 10 || true
assert_eq 0 "$FP_STATUS" "exit status of a after SIGTERM"
assert_grep 'event=source_release source="?jobs"? n=[1-9]' "$FP_LOG" \
    "a released its queued entries"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(fp_pending r "$STREAM" forkpool a)" -eq 0 ]' 20 ||
    fp_fail "a still holds entries 20 s after its stop"
fp_now
taken=$((FP_NOW - t0))
fp_info "a's entries taken $((taken))0 ms after the SIGTERM; b:" \
    "$(grep -c 'event=source_claim' "$T/b.log") claims"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/ids" --stream "$STREAM" \
    --group forkpool --check dups,missing,unexpected,pending,cid \
    --codes "{\"ok\": $N}" --wait 30 >"$T/verify.json" || rc=$?
fp_now
fp_info "verify: $(cat "$T/verify.json")"
fp_info "all answered $((FP_NOW - t0))0 ms after the SIGTERM"
[ "$rc" -eq 0 ] || fp_fail "verify of $N entries failed (exit status $rc)"
[ "$taken" -lt 250 ] ||
    fp_fail "b took a's released entries only $((taken))0 ms after the" \
    "SIGTERM (the backlog first), not within 2.5 s"
