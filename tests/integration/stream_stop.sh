#!/bin/sh
# stream_stop.sh -- forkpool-streams(7), scenario 7 of the brief: a
# graceful stop under load.  Daemons a and b, two workers each, prefetch
# 1, max-inflight 8, claim-idle 10s, their workers stopped (SIGSTOP);
# 16 entries of `sleep 300', added in one MULTI so that each daemon holds
# 8 (2 handed to its workers, 6 queued, not started) and none is left
# unread.  Then SIGTERM to a, and SIGCONT to the workers.  Proved: a exits
# 0 within 5 s, its workers gone; it logged source_release once, with
# n=6 (its queued entries, released at once), and source_stopped; a
# holds nothing pending within 5 s of the SIGTERM, and the last answer is
# added within 5 s of it (on Redis's clock: answer ids against TIME),
# which only the release makes possible: claim-idle is 10 s, so entries
# left idle for b to claim would wait 10 s.  b claimed exactly the n
# released entries (its `claimed', answers with dc 2); none of them had
# run on a (b suppressed no answer); every entry has exactly one answer,
# `ok', with its cid; nothing is left pending; a's lease key is gone; a
# logged no suppressed answer, loss or outage; b stops cleanly too.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

N=16
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
	claim-idle 10s
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
B=$CPID

# The load is frozen until the SIGTERM: the workers of both daemons are
# stopped (SIGSTOP), so that a holds its 8 entries, 2 handed to its
# workers and 6 queued, however slow this machine is.
fp_wait_nworkers 2
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(fp_nworkers "$B")" -eq 2 ]' 15 || fp_fail "b has no 2 workers"
W=$(fp_workers "$A"; fp_workers "$B")
# shellcheck disable=SC2086 # PIDs
kill -STOP $W
# 16 entries of sleep 300 (params 91 cd 01 2c) in one MULTI: the reads of
# a and b, both waiting, are served after the EXEC, 8 entries each.
{
	echo MULTI
	i=0
	while [ "$i" -lt "$N" ]; do
		printf 'XADD "%s" * method sleep params "\\x91\\xcd\\x01\\x2c"' \
		    "$STREAM"
		printf ' cid e-%d reply_to "%s:reply"\n' "$i" "$STREAM"
		i=$((i + 1))
	done
	echo EXEC
} | fp_redis_cli r >"$T/multi.out"
assert_eq 1 "$(grep -c '^OK$' "$T/multi.out")" "the MULTI of $N entries"
fp_redis_cli r XRANGE "$STREAM" - + | grep -E '^[0-9]+-[0-9]+$' |
    awk '{ print $1 " e-" NR - 1 }' >"$T/ids"
assert_eq "$N" "$(wc -l <"$T/ids" | tr -d ' ')" "entries in the stream"
both_hold() {
	[ "$(fp_pending r "$STREAM" forkpool a)" -eq 8 ] &&
	    [ "$(fp_pending r "$STREAM" forkpool b)" -eq 8 ] &&
	    fp_sources "$FP_SOCK" | grep -q '"inflight": 8,'
}
wait_for both_hold 10 ||
    fp_fail "a and b do not hold 8 entries each: $(fp_redis_cli r \
    XPENDING "$STREAM" forkpool | tr '\n' ' ')"

# redis_ms: Redis's clock in ms, which also dates the answers (their ids).
redis_ms() {
	fp_redis_cli r TIME | {
		read -r _sec
		read -r _usec
		echo $((_sec * 1000 + _usec / 1000))
	}
}
rt0=$(redis_ms)
fp_now
t0=$FP_NOW
fp_record_workers "$A"
kill -TERM "$A"
# shellcheck disable=SC2086 # PIDs
kill -CONT $W
fp_wait_exit "$A" 5 || true
fp_now
assert_eq 0 "$FP_STATUS" "exit status of a after SIGTERM"
[ $((FP_NOW - t0)) -lt 500 ] ||
    fp_fail "a took $((FP_NOW - t0))0 ms to stop (more than 5 s)"
fp_info "a stopped in $((FP_NOW - t0))0 ms"
fp_check_no_workers 0
assert_grep 'event=source_release source="?jobs"? n=6$' \
    "$FP_LOG" "a released its queued entries at the SIGTERM"
assert_grep 'event=source_stopped source="?jobs"? ' "$FP_LOG" \
    "a's source stopped"
n=$(sed -n 's/.*event=source_release .* n=\([0-9]*\)$/\1/p' "$FP_LOG")
assert_eq 1 "$(echo "$n" | wc -l | tr -d ' ')" "source_release lines of a"

# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(fp_pending r "$STREAM" forkpool a)" -eq 0 ]' 10 ||
    fp_fail "a still holds entries 10 s after the SIGTERM: $(fp_redis_cli \
    r XPENDING "$STREAM" forkpool | tr '\n' ' ')"
fp_now
[ $((FP_NOW - t0)) -lt 500 ] ||
    fp_fail "a held entries until $((FP_NOW - t0))0 ms after the SIGTERM"
fp_info "a held nothing $((FP_NOW - t0))0 ms after the SIGTERM"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/ids" --stream "$STREAM" \
    --group forkpool --check dups,missing,unexpected,pending,cid \
    --codes "{\"ok\": $N}" --wait 10 >"$T/verify.json" || rc=$?
fp_info "verify: $(cat "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "verify of $N entries failed (exit status $rc)"
# When the last answer was added, on Redis's clock (its id).
last=$(fp_redis_cli r XREVRANGE "$STREAM:reply" + - COUNT 1 | head -n 1)
took=$((${last%-*} - rt0))
[ "$took" -lt 5000 ] ||
    fp_fail "the entries were all answered $took ms after the SIGTERM" \
    "(more than 5 s: claim-idle, not the release?)"
fp_info "all answered $took ms after the SIGTERM"

fp_sources "$T/b.sock" >"$T/b.json"
fp_info "b: $(cat "$T/b.json")"
"$FP_PY" - "$T/verify.json" "$T/b.json" "$n" "$N" <<'PY' ||
import json, sys

v = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))[0]
n, total = int(sys.argv[3]), int(sys.argv[4])
bad = []
if b["claimed"] != n:
	bad.append("b claimed %d, a released %d" % (b["claimed"], n))
if v["dc"] != {"1": total - n, "2": n}:
	bad.append("delivery counts %r: expected %d of dc 1, %d of dc 2" %
	    (v["dc"], total - n, n))
if b["suppressed"] or b["leases_lost"] or b["lost"]:
	bad.append("b: suppressed %d, leases_lost %d, lost %d" %
	    (b["suppressed"], b["leases_lost"], b["lost"]))
for x in bad:
	sys.stderr.write("FAIL: %s\n" % x)
sys.exit(1 if bad else 0)
PY
    fp_fail "the release and the claims (above)"
assert_grep "event=source_claim source=\"?jobs\"? .*from=\"?a\"? dc=2" \
    "$T/b.log" "b logged its claims from a"
assert_no_grep 'event=source_(suppressed|lost|lease_lost|down)' "$FP_LOG" \
    "a: no suppressed answer, loss or outage"
assert_eq 0 "$(fp_redis_cli r EXISTS "$STREAM:alive:a")" \
    "lease key of a after its stop"
fp_stop "$B" 20 || true
assert_eq 0 "$FP_STATUS" "exit status of b after SIGTERM"
