#!/bin/sh
# stream_poison.sh -- forkpool-streams(7), scenario 5 of the brief: poison
# entries.  Daemons with two workers, no task timeout, claim-idle 2s,
# claim-interval 200ms, max-deliveries 3, the default dead-letter stream.
# (a) A `crash' entry with retries 0 is answered worker_crashed (signal
# 11, one attempt) exactly once, with delivery count 1: a handler that
# crashes its worker is an answer, not a redelivery (nothing pending, no
# claim, no recovery, no dead letter; a linger of 1 s shows no second
# answer).
# (b) A `hang' entry (with a field x the daemon does not know) is read by
# daemon a, which is killed with SIGKILL while it runs it (delivery 1);
# a, started again, recovers it and runs it (delivery 2) and is killed
# again; daemon b claims it from the dead a after claim-idle and runs it
# (delivery 3) and is killed; a, started once more, finds it idle in b's
# pending list with 3 deliveries and dead-letters it instead of running it.
# Proved: no worker outlives its daemon; each delivery is the expected one
# (dc 1, 2, 3 in the pending list); the entry is answered exactly once,
# dead_lettered, dc 3, by a; the dead-letter stream holds exactly one copy,
# with re, dc 3, by a, from b, reason max-deliveries and the entry's own
# fields (method, params, cid, reply_to, x); a counts dead_lettered 1 and
# answered {"dead_lettered": 1} and logs source_dead_letter with the id,
# cid, dc 3 and from=b; the entry did not run a 4th time; nothing is left
# pending.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

STREAM='{jobs}:tasks'
fp_redis_start r

conf() {
	cat >"$T/$1.conf" <<CONF
workers 2
timeout 0
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "$1"
	claim-idle 2s
	claim-interval 200ms
	max-deliveries 3
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
}
conf a
conf b
cp "$T/a.conf" "$FP_CONF"

# pel CONSUMER DC: the poison entry is pending for CONSUMER, delivered DC
# times.
pel() {
	fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
	    --consumer "$1" >"$T/pel.json"
	assert_grep "\"ids\": \[\{\"dc\": $2, \"id\": \"$P\"" "$T/pel.json" \
	    "the poison entry pending for $1 with $2 deliveries"
	assert_grep '"count": 1,' "$T/pel.json" "one entry pending"
}

fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"

# (a) crash, retries 0.
fp_fpstream --port "$RPORT" produce --stream "$STREAM" --method crash \
    --retries 0 --cid crash --reply-to "$STREAM:reply:crash" \
    --ids "$T/crash" >"$T/produce.json" ||
    fp_fail "produce: $(cat "$T/produce.json")"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/crash" \
    --reply "$STREAM:reply:crash" --stream "$STREAM" --group forkpool \
    --check dups,missing,unexpected,pending,cid \
    --codes '{"worker_crashed": 1}' --wait 10 --linger 1 \
    --out "$T/crash.out" >"$T/verify.json" || rc=$?
fp_info "crash: $(cat "$T/crash.out")"
[ "$rc" -eq 0 ] || fp_fail "the crash entry: $(cat "$T/verify.json")"
assert_grep '"dc": \{"1": 1\}' "$T/verify.json" "delivery count of the crash"
assert_grep '"signal": 11[,}]' "$T/crash.out" "the crash answer's signal"
assert_grep '"attempts": 1[,}]' "$T/crash.out" "the crash answer's attempts"
fp_swait "$FP_SOCK" 's["answered"] == {"ok": 0, "worker_crashed": 1} and
    s["read"] == 1 and s["claimed"] == 0 and s["recovered"] == 0 and
    s["dead_lettered"] == 0 and s["inflight"] == 0' 5 ||
    fp_fail "a's figures after the crash entry"

# (b) hang: delivery 1, read by a.
fp_fpstream --port "$RPORT" produce --stream "$STREAM" --method hang \
    --cid poison --reply-to "$STREAM:reply:poison" --field x=keep \
    --ids "$T/poison" >"$T/produce.json" ||
    fp_fail "produce: $(cat "$T/produce.json")"
read -r P _ <"$T/poison"
fp_swait "$FP_SOCK" 'st["running"] == 1 and s["read"] == 2' 10 ||
    fp_fail "a does not run the hang entry"
fp_kill9 "$A"
pel a 1

# Delivery 2: a again, recovering its own pending list.
fp_start -T
A=$FP_PID
fp_swait "$FP_SOCK" 'st["running"] == 1 and s["recovered"] == 1' 10 ||
    fp_fail "a, restarted, does not run the hang entry again"
fp_kill9 "$A"
pel a 2

# Delivery 3: b claims it from the dead a after claim-idle.
fp_start_consumer b "$T/b.conf"
B=$CPID
fp_swait "$CSOCK" 'st["running"] == 1 and s["claimed"] == 1' 10 ||
    fp_fail "b does not claim and run the hang entry"
fp_kill9 "$B"
pel b 3

# a, once more: the entry idle in b's list has had 3 deliveries.
LOGSTART=$(wc -l <"$FP_LOG")
fp_start -T
A=$FP_PID
fp_swait "$FP_SOCK" 's["dead_lettered"] == 1' 10 ||
    fp_fail "a does not dead-letter the hang entry"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/poison" \
    --reply "$STREAM:reply:poison" --stream "$STREAM" --group forkpool \
    --check dups,missing,unexpected,pending,cid \
    --codes '{"dead_lettered": 1}' --wait 10 --linger 0.5 \
    --out "$T/poison.out" >"$T/verify.json" || rc=$?
fp_info "poison: $(cat "$T/poison.out")"
[ "$rc" -eq 0 ] || fp_fail "the hang entry: $(cat "$T/verify.json")"
assert_grep '"by": "a", .*"dc": "3"' "$T/poison.out" "the dead_lettered answer"
fp_fpstream --port "$RPORT" dump --stream "$STREAM:dead" >"$T/dead.json"
fp_info "dead letters: $(cat "$T/dead.json")"
"$FP_PY" - "$T/dead.json" "$P" "$STREAM:reply:poison" <<'PY' ||
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1])]
want = {"re": sys.argv[2], "dc": "3", "by": "a", "from": "b",
    "reason": "max-deliveries", "method": "hang", "params": [],
    "cid": "poison-0", "reply_to": sys.argv[3], "x": "keep"}
if len(rows) != 1:
	sys.exit("FAIL: %d entries in the dead-letter stream, not 1" % len(rows))
got = dict(rows[0])
del got["id"]
if got != want:
	sys.exit("FAIL: the dead letter is %r, expected %r" % (got, want))
PY
    fp_fail "the dead-letter stream (above)"
tail -n "+$((LOGSTART + 1))" "$FP_LOG" >"$T/last.out"
dl="event=source_dead_letter source=jobs id=$P"
assert_grep "$dl cid=poison-0 .*from=b dc=3" "$T/last.out" \
    "a's source_dead_letter line"
fp_swait "$FP_SOCK" 's["dead_lettered"] == 1 and
    s["answered"] == {"ok": 0, "dead_lettered": 1} and s["claimed"] == 0 and
    s["recovered"] == 0 and s["suppressed"] == 0 and s["inflight"] == 0 and
    st["running"] == 0 and st["tasks_ok"] + st["tasks_failed"] == 0' 1 ||
    fp_fail "a's figures after the dead letter"
fp_stop_clean "$A"
