#!/bin/sh
# stream_restart.sh -- forkpool-streams(7), scenario 4 of the brief:
# restart under the same consumer name.  One daemon, consumer a (two
# workers, max-inflight 4, claim-idle 20s, claim-interval 1s), alone on a
# stream of 16 `sleep 200' entries with cids, is killed with SIGKILL once
# it has answered 2; the entries it held are recorded (its pending list,
# read once it is dead), and it is started again with the same
# configuration.  Proved: none of its workers outlives it; the new daemon
# takes the lease key of the dead one at once (no source_lease_wait) and
# recovers the entries held (recovered == their number, source_up
# recovered=N, claimed 0) so that all 16 are answered within 5 s of the
# restart, far less than claim-idle (no peer could have claimed them); each
# entry is answered exactly once, `ok', with its cid, the recovered ones
# with delivery count 2, the rest 1; nothing is left pending.
# Then a second daemon with the same consumer name, started while the
# first lives, does not take the name: it logs source_lease_wait (once),
# stays in the state lease_wait and reads, claims and recovers nothing
# while the first answers 10 new entries; once the first stops (SIGTERM,
# exit 0), it is up within 5 s and answers 10 more itself.
# fp-once: a stream scenario; the sanitizer build runs the source code it
# reaches through stream_many, _entries, _kill9, _partition, _stop, _poison
# _trim and _hostile (the suite stays under 10 minutes).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

N=16
STREAM='{jobs}:tasks'
fp_redis_start r
cat >"$FP_CONF" <<CONF
workers 2
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "a"
	max-inflight 4
	claim-idle 20s
	claim-interval 1s
	io-timeout 1s
	reply-maxlen 1000000
}
CONF

fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n "$N" \
    --method sleep --params '[200]' --cid e --ids "$T/ids" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"
fp_swait "$FP_SOCK" 's["answered"]["ok"] >= 2' 20 ||
    fp_fail "a did not answer 2 entries"
fp_record_workers "$A"
kill -KILL "$A"
FP_RC=0
wait "$A" || FP_RC=$?
fp_forget "$A"
assert_eq 137 "$FP_RC" "exit status of a after SIGKILL"
fp_check_no_workers 5
fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
    --consumer a --ids-out "$T/held" >"$T/held.json"
K=$(wc -l <"$T/held" | tr -d ' ')
fp_info "a held $K entries when killed"
[ "$K" -ge 1 ] || fp_fail "a held nothing when killed: $(cat "$T/held.json")"
LOGSTART=$(wc -l <"$FP_LOG")

fp_now
t0=$FP_NOW
fp_start -T
A=$FP_PID
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/ids" --stream "$STREAM" \
    --group forkpool --check dups,missing,unexpected,pending,cid \
    --codes "{\"ok\": $N}" --wait 5 --out "$T/answers" \
    >"$T/verify.json" || rc=$?
fp_now
fp_info "verify, $(((FP_NOW - t0) * 10)) ms after the restart:" \
    "$(cat "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "not all $N entries answered once within 5 s" \
    "of the restart (claim-idle is 20 s)"
assert_grep "\"dc\": \{\"1\": $((N - K)), \"2\": $K\}" "$T/verify.json" \
    "delivery counts"
fp_swait "$FP_SOCK" 's["inflight"] == 0' 10 || fp_fail "a still holds entries"
fp_sources "$FP_SOCK" >"$T/a.json"
tail -n "+$((LOGSTART + 1))" "$FP_LOG" >"$T/restarted.out"
"$FP_PY" - "$T/held" "$T/answers" "$T/a.json" "$T/restarted.out" <<'PY' ||
import json, re, sys

held = set(open(sys.argv[1]).read().split())
answers = [json.loads(l) for l in open(sys.argv[2])]
a = json.load(open(sys.argv[3]))[0]
log = open(sys.argv[4]).read()
bad = []
for x in answers:
	if (x["dc"] == "2") != (x["re"] in held):
		bad.append("entry %s answered with dc %s (held by the killed "
		    "daemon: %s)" % (x["re"], x["dc"], x["re"] in held))
for k, v in (("recovered", len(held)), ("claimed", 0), ("lost", 0),
    ("suppressed", 0), ("dead_lettered", 0), ("leases_lost", 0)):
	if a[k] != v:
		bad.append("%s %d, expected %d" % (k, a[k], v))
if a["answered"] != {"ok": a["read"] + a["recovered"]}:
	bad.append("answered %r, read %d + recovered %d" % (a["answered"],
	    a["read"], a["recovered"]))
up = re.findall(r"event=source_up .*recovered=(\d+)", log)
if up != [str(len(held))]:
	bad.append("source_up lines after the restart: recovered=%r, expected "
	    "one with %d" % (up, len(held)))
if "event=source_lease_wait" in log:
	bad.append("the restarted daemon waited for the lease key of the dead "
	    "one")
for b in bad:
	sys.stderr.write("FAIL: %s\n" % b)
sys.exit(1 if bad else 0)
PY
    fp_fail "the restarted daemon's figures and log (above)"

# A second daemon with the same consumer name while the first lives.
FP_SOURCE_NOWAIT=1 fp_start_consumer a2 "$FP_CONF"
A2=$CPID
fp_swait "$CSOCK" 's["state"] == "lease_wait"' 10 ||
    fp_fail "the second daemon named a is not waiting for the lease"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for 'grep -q "event=source_lease_wait .*consumer=a " "$T/a2.log"' 10 ||
    fp_fail "the second daemon named a logged no source_lease_wait"
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n 10 --cid x \
    --cid-param --reply-to "$STREAM:reply:x" --ids "$T/x" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/x" --reply "$STREAM:reply:x" \
    --stream "$STREAM" --group forkpool \
    --check dups,missing,unexpected,pending,cid,res-cid --codes '{"ok": 10}' \
    --wait 10 >"$T/verify.json" || rc=$?
[ "$rc" -eq 0 ] || fp_fail "10 entries with two daemons named a:" \
    "$(cat "$T/verify.json")"
fp_swait "$FP_SOCK" 's["answered"]["ok"] == s["read"] + s["recovered"] and
    s["read"] >= 10' 10 || fp_fail "the first daemon did not answer the 10"
fp_swait "$CSOCK" 's["state"] == "lease_wait" and s["read"] == 0 and
    s["claimed"] == 0 and s["recovered"] == 0 and
    s["answered"] == {"ok": 0} and s["inflight"] == 0' 1 ||
    fp_fail "the second daemon named a took work while the first lived"

fp_stop "$A" 20 || true
assert_eq 0 "$FP_STATUS" "exit status of the first daemon after SIGTERM"
fp_check_no_workers 0
fp_source_up "$CSOCK" 5
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n 10 --cid y \
    --cid-param --reply-to "$STREAM:reply:y" --ids "$T/y" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/y" --reply "$STREAM:reply:y" \
    --stream "$STREAM" --group forkpool \
    --check dups,missing,unexpected,pending,cid,res-cid --codes '{"ok": 10}' \
    --wait 10 >"$T/verify.json" || rc=$?
[ "$rc" -eq 0 ] || fp_fail "10 entries for the second daemon:" \
    "$(cat "$T/verify.json")"
fp_swait "$CSOCK" 's["read"] == 10 and s["answered"] == {"ok": 10} and
    s["claimed"] == 0 and s["recovered"] == 0' 10 ||
    fp_fail "the second daemon's figures"
assert_eq 1 "$(grep -c 'event=source_lease_wait' "$T/a2.log")" \
    "source_lease_wait lines of the second daemon"
fp_stop "$A2" 20 || true
assert_eq 0 "$FP_STATUS" "exit status of the second daemon after SIGTERM"
fp_check_no_workers 0
