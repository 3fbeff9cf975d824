#!/bin/sh
# stream_backpressure_claim.sh -- forkpool-streams(7), scenario 2 of the
# brief (backpressure) where claims and reads meet: max-inflight bounds
# the entries a source holds, "read or claimed" (forkpool.conf(5)), also
# when a claim comes while its blocking read waits in Redis.  Daemon a
# (one worker, prefetch 1, queue-limit 4, max-inflight 3, claim-idle 1s,
# claim-interval 100ms) is up and idle: its XREADGROUP waits (BLOCK 2 s)
# for up to 3 entries.  Then, in one MULTI, 3 entries of `sleep 300' are
# added and read by consumer x, which never answers (a dead peer).  About
# a second later, while a's read still waits, a claims x's 3 entries, and
# holds 3; 3 more entries are then added in one MULTI.  Proved:
# `fpstream.py watch' (XPENDING every 20 ms) never sees a holding more
# than 3 entries; a claimed 3 (dc 2), and every entry is answered exactly
# once, `ok', with nothing left pending.  (The window between the claim
# and the end of the read's BLOCK is over a second wide; the additions
# come within some tens of milliseconds of the claim.)
# fp-once: a stream scenario; the sanitizer build runs the source code it
# reaches through stream_many, _entries, _kill9, _partition, _stop, _poison
# _trim and _hostile (the suite stays under 10 minutes).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

MAXIN=3
STREAM='{jobs}:tasks'
fp_redis_start r

cat >"$FP_CONF" <<CONF
workers 1
prefetch 1
queue-limit 4
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "a"
	max-inflight $MAXIN
	claim-idle 1s
	claim-interval 100ms
	io-timeout 500ms
	reply-maxlen 1000000
}
CONF

fp_bg "$FP_PY" "$FP_STREAMS/fpstream.py" --port "$RPORT" watch \
    --stream "$STREAM" --group forkpool --limit "$MAXIN" --interval 20 \
    --duration 60 --stop-file "$T/watch.stop" >"$T/watch.json"
WATCH=$FP_BGPID
fp_start -T
fp_source_up "$FP_SOCK"

# add3 CID [CONSUMER]: one MULTI of 3 XADDs of sleep 300 (params
# 91 cd 01 2c), and an XREADGROUP of them by CONSUMER, so that a's
# waiting read, served after the EXEC, finds none of them new.
add3() {
	{
		echo MULTI
		for i in 0 1 2; do
			printf 'XADD "%s" * method sleep params "\\x91\\xcd\\x01\\x2c"' \
			    "$STREAM"
			printf ' cid %s-%s reply_to "%s:reply"\n' "$1" "$i" "$STREAM"
		done
		if [ -n "${2:-}" ]; then
			printf 'XREADGROUP GROUP forkpool %s COUNT 3 STREAMS "%s" >\n' \
			    "$2" "$STREAM"
		fi
		echo EXEC
	} | fp_redis_cli r >"$T/add3-$1.out"
	assert_eq 1 "$(grep -c '^OK$' "$T/add3-$1.out")" "MULTI of $1"
}
add3 x x
assert_eq 3 "$(fp_pending r "$STREAM" forkpool x)" "pending for x"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(fp_pending r "$STREAM" forkpool a)" -ge 3 ]' 10 ||
    fp_fail "a did not claim the 3 entries of x: $(fp_redis_cli r \
    XPENDING "$STREAM" forkpool | tr '\n' ' ')"
add3 n
# The ids, for verify: the stream holds these 6 entries and no other.
fp_redis_cli r XRANGE "$STREAM" - + | grep -E '^[0-9]+-[0-9]+$' >"$T/ids"
assert_eq 6 "$(wc -l <"$T/ids" | tr -d ' ')" "entries in the stream"

rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/ids" --stream "$STREAM" \
    --group forkpool --check dups,missing,unexpected,pending \
    --codes '{"ok": 6}' --wait 20 >"$T/verify.json" || rc=$?
fp_info "verify: $(cat "$T/verify.json")"
: >"$T/watch.stop"
fp_wait_bg "$WATCH" 10
watch_rc=$FP_RC
fp_info "watch: $(cat "$T/watch.json")"
fp_info "a: $(fp_sources "$FP_SOCK")"
[ "$rc" -eq 0 ] || fp_fail "verify of the 6 entries failed (exit status $rc)"
assert_eq 0 "$watch_rc" "watch: a consumer held more than max-inflight\
 ($MAXIN): $(cat "$T/watch.json")"
assert_grep '"dc": \{"1": 3, "2": 3\}' "$T/verify.json" \
    "3 entries claimed (dc 2), 3 read (dc 1)"
