#!/bin/sh
# stream_trim.sh -- forkpool-streams(7), scenario 8 of the brief: the
# trimming hazard.  Daemons with two workers, max-inflight 6, claim-idle
# 2s, claim-interval 200ms.
# (1) A producer trims while a consumer lags: daemon a holds 6 `sleep
# 2000' entries (2 running, 4 waiting: pending for it), and the producer
# adds one more entry with MAXLEN 1 (exact), which deletes the 6 from the
# stream.  Proved: each of the 6 is either answered exactly once or
# counted lost (lost, one source_lost line with its id); since no peer
# exists, none is a lost lease (leases_lost 0, no source_lease_lost); the
# new entry is answered; nothing is left pending; a stays up.
# (2) Pending entries found trimmed by a restart and by a claim: a and a
# second daemon b each hold 6 `sleep 10000' entries; both are killed with
# SIGKILL (no worker may outlive them), the stream is trimmed to nothing
# (XTRIM MAXLEN 0), and a is started again.  Proved: a counts its own 6
# lost while it recovers its pending list (their source_lost lines come
# before its source_up), then, after claim-idle, b's 6 (after it): lost ==
# 12 within 5 s, one source_lost line for each id; nothing answered, run,
# claimed or recovered; nothing left pending; a keeps running and stops
# cleanly (exit 0).
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
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "$1"
	max-inflight 6
	claim-idle 2s
	claim-interval 200ms
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
}
conf a
conf b
cp "$T/a.conf" "$FP_CONF"

# logged EVENT FILE: the ids of the EVENT lines of FILE, sorted.
logged() {
	sed -n "s/.* event=$1 .* id=\([^ ]*\).*/\1/p" "$2" | sort
}

fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"

# (1) a lags: 6 pending for it, then the producer trims them away.
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n 6 \
    --method sleep --params '[2000]' --cid t --ids "$T/t" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"
fp_swait "$FP_SOCK" 's["inflight"] == 6 and st["workers_busy"] == 2' 10 ||
    fp_fail "a does not hold the 6 entries"
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n 1 --maxlen 1 \
    --params '["n"]' --cid n --reply-to "$STREAM:reply:n" --ids "$T/n" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"
assert_eq 1 "$(fp_redis_cli r XLEN "$STREAM")" "stream length after MAXLEN 1"
fp_swait "$FP_SOCK" 's["inflight"] == 0 and s["read"] == 7' 15 ||
    fp_fail "a still holds entries"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/n" --reply "$STREAM:reply:n" \
    --stream "$STREAM" --group forkpool \
    --check dups,missing,unexpected,pending,cid --codes '{"ok": 1}' \
    --wait 10 >"$T/verify.json" || rc=$?
[ "$rc" -eq 0 ] || fp_fail "the entry added with MAXLEN 1:" \
    "$(cat "$T/verify.json")"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/t" --stream "$STREAM" \
    --group forkpool --check dups,unexpected,pending,cid --wait 0.2 \
    --out "$T/t.out" >"$T/verify.json" || rc=$?
fp_info "trimmed while held: $(cat "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "the 6 trimmed entries: $(cat "$T/verify.json")"
fp_sources "$FP_SOCK" >"$T/a.json"
fp_info "a: $(cat "$T/a.json")"
logged source_lost "$FP_LOG" >"$T/lost1"
logged source_lease_lost "$FP_LOG" >"$T/leaselost1"
"$FP_PY" - "$T/t" "$T/t.out" "$T/a.json" "$T/lost1" "$T/leaselost1" <<'PY' ||
import json, sys

ids = sorted(l.split()[0] for l in open(sys.argv[1]))
answered = sorted(json.loads(l)["re"] for l in open(sys.argv[2]))
a = json.load(open(sys.argv[3]))[0]
lost = open(sys.argv[4]).read().split()
lease = open(sys.argv[5]).read().split()
bad = []
unanswered = sorted(set(ids) - set(answered))
if sorted(lost) != unanswered or a["lost"] != len(unanswered):
	bad.append("entries neither answered nor counted lost: answered %r, "
	    "lost %d, source_lost %r, of %r" % (answered, a["lost"], lost, ids))
if a["leases_lost"] != 0 or lease:
	bad.append("leases_lost %d, source_lease_lost %r: no peer exists, so "
	    "no lease can be lost" % (a["leases_lost"], lease))
if a["state"] != "up" or a["reconnects"] != 0:
	bad.append("a: state %s, reconnects %d" % (a["state"], a["reconnects"]))
for b in bad:
	sys.stderr.write("FAIL: %s\n" % b)
sys.exit(1 if bad else 0)
PY
    fp_fail "entries trimmed while a held them (above)"

# (2) a and b hold 6 each; both die; the stream is trimmed; a restarts.
fp_start_consumer b "$T/b.conf"
B=$CPID
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n 12 \
    --method sleep --params '[10000]' --cid u --ids "$T/u" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"
# 12 pending at once, 6 at most each: 6 each.
fp_fpstream --port "$RPORT" wait-pending --stream "$STREAM" \
    --group forkpool --at-least 12 --timeout 10 >"$T/wait.json" ||
    fp_fail "a and b do not hold the 12 entries: $(cat "$T/wait.json")"
fp_record_workers "$A"
fp_record_workers "$B"
kill -KILL "$A" "$B"
for p in $A $B; do
	FP_RC=0
	wait "$p" || FP_RC=$?
	fp_forget "$p"
	assert_eq 137 "$FP_RC" "exit status of daemon $p after SIGKILL"
done
fp_check_no_workers 5
fp_redis_cli r XTRIM "$STREAM" MAXLEN 0 >/dev/null
assert_eq 0 "$(fp_redis_cli r XLEN "$STREAM")" "stream length after XTRIM"
for x in a b; do
	fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
	    --consumer "$x" --ids-out "$T/held-$x" >/dev/null
	assert_eq 6 "$(wc -l <"$T/held-$x" | tr -d ' ')" \
	    "entries pending for $x after its death"
done
LOGSTART=$(wc -l <"$FP_LOG")
fp_start -T
A=$FP_PID
# b's become claimable claim-idle after its last renewal, before its death.
fp_swait "$FP_SOCK" 's["lost"] == 12' 5 ||
    fp_fail "a did not count the 12 trimmed entries lost within 5 s"
fp_fpstream --port "$RPORT" wait-pending --stream "$STREAM" --group forkpool \
    --at-most 0 --timeout 5 >"$T/wait.json" ||
    fp_fail "entries left pending: $(cat "$T/wait.json")"
# Its own when it recovers its pending list, before it is up; then b's.
tail -n "+$((LOGSTART + 1))" "$FP_LOG" >"$T/last.out"
sed -n '/event=source_up /q; p' "$T/last.out" >"$T/before-up.out"
sed -n '/event=source_up /,$p' "$T/last.out" >"$T/after-up.out"
for x in a:before-up b:after-up; do
	logged source_lost "$T/${x#*:}.out" >"$T/lost-${x%%:*}"
	if ! sort "$T/held-${x%%:*}" | cmp -s - "$T/lost-${x%%:*}"; then
		fp_fail "source_lost lines ${x#*:}: $(tr '\n' ' ' \
		    <"$T/lost-${x%%:*}"), expected the entries of ${x%%:*}:" \
		    "$(sort "$T/held-${x%%:*}" | tr '\n' ' ')"
	fi
done
assert_grep 'event=source_up .*recovered=0' "$T/last.out" \
    "a recovered nothing it could run"
fp_swait "$FP_SOCK" 's["answered"] == {"ok": 0} and s["claimed"] == 0 and
    s["recovered"] == 0 and s["inflight"] == 0 and s["state"] == "up" and
    s["dead_lettered"] == 0 and st["tasks_ok"] + st["tasks_failed"] == 0' 1 ||
    fp_fail "a's figures after the trimmed entries"
fp_stop_clean "$A"
