#!/bin/sh
# stream_stop_race.sh -- forkpool-streams(7), scenario 7 of the brief (a
# graceful stop) at its edge: an entry added while the stopping source's
# blocking read still waits in Redis.  THE LOOP: "On SIGTERM a source
# stops reading"; the stop script then deletes the consumer if nothing is
# pending for it.  Daemon a, idle, has its XREADGROUP waiting (BLOCK 2 s,
# sent again just before: it took an entry) when Redis holds every
# command for 1.5 s (CLIENT PAUSE ALL); a gets SIGTERM, logs
# shutdown_stop (its stop script is on its way, held by Redis), and only
# then is an entry added (held too).  When the pause ends Redis runs the
# stop script first, then the XADD, which must not be delivered to a's
# read any more.  Proved: a exits 0, and afterwards
# nothing is pending for consumer a: the entry is not left in the pending
# list of a consumer that is gone, where only a peer's claim after
# claim-idle (here 10 s) would find it.  (io-timeout 5s: a waits out
# the pause rather than drop its connections.)
# fp-once: a stream scenario; the sanitizer build runs the source code it
# reaches through stream_many, _entries, _kill9, _partition, _stop, _poison
# _trim and _hostile (the suite stays under 10 minutes).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

STREAM='{jobs}:tasks'
fp_redis_start r
cat >"$FP_CONF" <<CONF
workers 1
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "a"
	claim-idle 10s
	claim-interval 200ms
	io-timeout 5s
}
CONF
fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"

# One redis-cli session, each command after the reply to the one before:
# an entry, which a's waiting read takes (a sends its next XREADGROUP at
# once); its answer; Redis's time; then CLIENT PAUSE 1500 ALL, which holds
# every command that comes in for 1.5 s and then runs them in the order
# they came.  a's new read was sent a few milliseconds before the pause:
# its BLOCK (2 s) outlasts it.
printf '%s\n' \
    "XADD \"$STREAM\" * method echo params \"\\x91\\x01\" reply_to \"$STREAM:reply\"" \
    "XREAD COUNT 1 BLOCK 5000 STREAMS \"$STREAM:reply\" 0-0" \
    TIME "CLIENT PAUSE 1500 ALL" | fp_redis_cli r >"$T/pause.out"
tail -n 1 "$T/pause.out" | grep -qx OK ||
    fp_fail "the warm-up and the pause: $(tr '\n' ' ' <"$T/pause.out")"
paused_ms=$(tail -n 3 "$T/pause.out" | {
	read -r _sec
	read -r _usec
	echo $((_sec * 1000 + _usec / 1000))
})
kill -TERM "$A"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for 'grep -q "event=shutdown_stop " "$FP_LOG"' 5 ||
    fp_fail "a did not log shutdown_stop after SIGTERM"
# redis-cli started by fp_bg itself (not through a function), so that its
# PID is the one stopped at exit.
fp_bg "$FP_REDIS_CLI" -h 127.0.0.1 -p "$RPORT" XADD "$STREAM" '*' \
    method echo params "$(printf '\221\001')" reply_to "$STREAM:reply" \
    >"$T/xadd.out"
ADDER=$FP_BGPID
fp_wait_exit "$A" 10 || true
assert_eq 0 "$FP_STATUS" "exit status of a after SIGTERM"
fp_wait_bg "$ADDER" 10
assert_grep '^[0-9]+-[0-9]+$' "$T/xadd.out" "the entry was added"
added=$(cut -d- -f1 "$T/xadd.out")
[ "$added" -ge $((paused_ms + 1490)) ] ||
    fp_fail "the entry was added $((added - paused_ms)) ms into the pause" \
    "of 1500 ms: not held by it (this machine too slow for the test?)"
assert_eq 1 "$(fp_redis_cli r XLEN "$STREAM:reply")" \
    "answers: the first entry's only"
fp_info "a: $(grep 'event=source_' "$FP_LOG" | tr '\n' ' ')"
assert_grep 'event=source_stopped ' "$FP_LOG" \
    "a's stop script ran (it did not give up on Redis)"
fp_info "XPENDING: $(fp_redis_cli r XPENDING "$STREAM" forkpool | tr '\n' ' ')"
assert_eq 0 "$(fp_pending r "$STREAM" forkpool a)" \
    "entries pending for consumer a after its graceful stop"
