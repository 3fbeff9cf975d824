#!/bin/sh
# stream_backpressure.sh -- forkpool-streams(7), scenario 2 of the brief:
# backpressure.  Daemon a has one worker, prefetch 1, queue-limit 4 (its
# sources' share, 50 %, is 2 entries queued) and max-inflight 3; 60 entries
# of `sleep 100' (6 s of work for it) wait in the stream.  Proved:
# `fpstream.py watch', sampling XPENDING every 20 ms from before the
# first daemon starts to the end, never sees a consumer holding more than
# max-inflight (3) entries, and sees a hold 3 (the limit is reached, so
# the sampling could see a breach); a reads the rest no sooner than it
# has room (reads_skipped > 0); a second daemon, b, started once a has
# answered 5, finds the rest still in the stream (15 or more) and
# answers a fair part of it (a third at least of what a had not answered
# when b came up); every entry is answered exactly once, `ok', with
# its cid; nothing is left pending.
# fp-once: a stream scenario; the sanitizer build runs the source code it
# reaches through stream_many, _entries, _kill9, _partition, _stop, _poison
# _trim and _hostile (the suite stays under 10 minutes).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

N=60
MAXIN=3
STREAM='{jobs}:tasks'
fp_redis_start r

conf() {
	cat >"$T/$1.conf" <<CONF
workers 1
prefetch 1
queue-limit 4
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "$1"
	max-inflight $MAXIN
	claim-idle 2s
	claim-interval 200ms
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
}
conf a
conf b

fp_bg "$FP_PY" "$FP_STREAMS/fpstream.py" --port "$RPORT" watch \
    --stream "$STREAM" --group forkpool --limit "$MAXIN" --interval 20 \
    --duration 120 --stop-file "$T/watch.stop" >"$T/watch.json"
WATCH=$FP_BGPID

fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n "$N" \
    --method sleep --params '[100]' --cid e --ids "$T/ids" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"

cp "$T/a.conf" "$FP_CONF"
fp_start -T
fp_source_up "$FP_SOCK"

# a alone: a bounded wait until it has answered 5.
answered_a() {
	fp_sources "$FP_SOCK" >"$T/a.json" &&
	    "$FP_PY" -c 'import json, sys
x = json.load(open(sys.argv[1]))[0]
sys.exit(0 if x["answered"]["ok"] >= 5 else 1)' "$T/a.json"
}
wait_for answered_a 20 ||
    fp_fail "a did not answer 5 entries: $(cat "$T/a.json")"
fp_info "a alone: $(cat "$T/a.json")"

fp_start_consumer b "$T/b.conf"
# What was left when b came up: the entries a had not answered.
fp_sources "$FP_SOCK" >"$T/a-at-b.json"

rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/ids" --stream "$STREAM" \
    --group forkpool --check dups,missing,unexpected,pending,cid \
    --codes "{\"ok\": $N}" --by-min 2 --wait 60 >"$T/verify.json" || rc=$?
fp_info "verify: $(cat "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "verify of $N entries failed (exit status $rc)"

: >"$T/watch.stop"
fp_wait_bg "$WATCH" 10
watch_rc=$FP_RC
fp_info "watch: $(cat "$T/watch.json")"
assert_eq 0 "$watch_rc" "watch: a consumer held more than $MAXIN"

fp_sources "$FP_SOCK" >"$T/a.json"
fp_info "a: $(cat "$T/a.json")"
"$FP_PY" - "$T/watch.json" "$T/verify.json" "$T/a.json" "$MAXIN" \
    "$T/a-at-b.json" "$N" <<'PY' ||
import json, sys

w = json.load(open(sys.argv[1]))
v = json.load(open(sys.argv[2]))
a = json.load(open(sys.argv[3]))[0]
maxin = int(sys.argv[4])
rest = int(sys.argv[6]) - json.load(open(sys.argv[5]))[0]["answered"]["ok"]
bad = []
if w["samples"] < 50:
	bad.append("watch took only %d samples" % w["samples"])
if w["max"].get("a") != maxin:
	bad.append("a was never seen holding %d: %r" % (maxin, w["max"]))
if w["over"]:
	bad.append("over max-inflight: %r" % (w["over"],))
if a["reads_skipped"] == 0:
	bad.append("a never skipped a read for want of room")
# b and a run one entry at a time alike: b gets about half of the rest.
if rest < 15 or v["by"].get("b", 0) < rest // 3:
	bad.append("b answered %d of the %d left when it came up (< 1/3)" %
	    (v["by"].get("b", 0), rest))
if a["suppressed"] or a["claimed"] or a["leases_lost"]:
	bad.append("a: suppressed, claimed or leases lost: %r" % (a,))
for b in bad:
	sys.stderr.write("FAIL: %s\n" % b)
sys.exit(1 if bad else 0)
PY
    fp_fail "backpressure (above)"
