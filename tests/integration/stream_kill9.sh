#!/bin/sh
# stream_kill9.sh -- forkpool-streams(7), scenario 3 of the brief: kill -9
# of one of three daemons under load.  Daemons a, b and c (two workers,
# max-inflight 4, claim-idle 2s, claim-interval 200ms) consume one stream
# of 2000 `sleep 20' entries, each with a cid: about 10 s of work for the
# two survivors.  Once a has answered 20, it is killed with SIGKILL, and
# the entries it held (its pending list, read once it is dead) are
# recorded; at least 1000 entries must be still unread then (XINFO GROUPS
# lag), so that b and c are busy reading when a's entries become
# claimable.
# Proved: none of a's workers outlives it; within claim-idle +
# claim-interval + 1.5 s b and c own (or have answered) every entry a held,
# although reading new entries keeps them busy; every entry is answered
# exactly once, `ok', with its cid, and nothing is left pending; each entry
# a held is answered by b or c with delivery count 2; b and c together
# claimed exactly the entries a held (claimed and source_claim from=a),
# suppressed, lost, dead-lettered and lost leases nothing; no consumer
# ever held more than max-inflight (XPENDING sampled every 5 ms all along);
# and b and c stop with SIGTERM, exit 0, leaving no worker.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

N=2000
LAG_MIN=1000
STREAM='{jobs}:tasks'
IDLE_MS=2000
INTERVAL_MS=200
MARGIN_MS=1500
fp_redis_start r

conf() {
	cat >"$T/$1.conf" <<CONF
workers 2
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "$1"
	max-inflight 4
	claim-idle ${IDLE_MS}ms
	claim-interval ${INTERVAL_MS}ms
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
}
conf a
conf b
conf c

cp "$T/a.conf" "$FP_CONF"
fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"
fp_start_consumer b "$T/b.conf"
B=$CPID
fp_start_consumer c "$T/c.conf"
C=$CPID

# Sampled all along: no consumer ever holds more than max-inflight, also
# while it claims.
fp_bg "$FP_PY" "$FP_STREAMS/fpstream.py" --port "$RPORT" watch \
    --stream "$STREAM" --group forkpool --limit 4 --interval 5 \
    --duration 120 --stop-file "$T/watch.stop" >"$T/watch.json"
WATCH=$FP_BGPID

fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n "$N" \
    --method sleep --params '[20]' --cid e --ids "$T/ids" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"

fp_swait "$FP_SOCK" 's["answered"]["ok"] >= 20' 20 ||
    fp_fail "daemon a did not answer 20 entries"
fp_record_workers "$A"
kill -KILL "$A"
FP_RC=0
wait "$A" || FP_RC=$?
fp_forget "$A"
assert_eq 137 "$FP_RC" "exit status of daemon a after SIGKILL"
# PR_SET_PDEATHSIG: its workers die with it (bounded grace for the kernel).
fp_check_no_workers 5

fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
    --consumer a --ids-out "$T/held" >"$T/held.json" ||
    fp_fail "pending: $(cat "$T/held.json")"
K=$(wc -l <"$T/held" | tr -d ' ')
fp_info "a held $K entries when killed"
[ "$K" -ge 1 ] || fp_fail "a held no entry when it was killed (the load" \
    "is too light to test anything): $(cat "$T/held.json")"
# Entries not read yet: b and c have reading to do (200 a second at most)
# for much longer than a's entries take to become claimable.
LAG=$(fp_redis_cli r XINFO GROUPS "$STREAM" | sed -n '/^lag$/{n;p;}')
fp_info "entries not read yet: $LAG"
[ "${LAG:-0}" -ge "$LAG_MIN" ] || fp_fail "only ${LAG:-?} entries left" \
    "unread when a was killed (at least $LAG_MIN needed to test claims" \
    "under load)"

# The promise: claimed within claim-idle + claim-interval (+ a margin),
# counted from a's last renewal, which was before its death.
TMO=$(((IDLE_MS + INTERVAL_MS + MARGIN_MS) / 100))
TMO=$((TMO / 10)).$((TMO % 10))
rc=0
fp_fpstream --port "$RPORT" wait-taken --stream "$STREAM" --group forkpool \
    --consumer a --ids "$T/held" --timeout "$TMO" >"$T/taken.json" || rc=$?
fp_info "taken: $(cat "$T/taken.json")"
[ "$rc" -eq 0 ] || fp_fail "the $K entries a held are not all taken by b" \
    "and c within claim-idle + claim-interval + ${MARGIN_MS}ms ($TMO s):" \
    "$(cat "$T/taken.json"); pending: $(fp_fpstream --port "$RPORT" \
    pending --stream "$STREAM" --group forkpool)"

rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/ids" --stream "$STREAM" \
    --group forkpool --check dups,missing,unexpected,pending,cid \
    --codes "{\"ok\": $N}" --wait 60 --linger 0.5 --out "$T/answers" \
    >"$T/verify.json" || rc=$?
fp_info "verify: $(cut -c1-400 "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "verify of $N entries failed (exit status $rc)"

# The daemons count an answer once its script's reply came: wait until
# b and c hold nothing, then compare their figures with the answers.
for x in b c; do
	fp_swait "$T/$x.sock" 's["inflight"] == 0' 10 ||
	    fp_fail "$x still holds entries"
done
fp_sources "$T/b.sock" >"$T/b.json"
fp_sources "$T/c.sock" >"$T/c.json"
"$FP_PY" - "$T/held" "$T/answers" "$T/b.json" "$T/c.json" "$T/b.log" \
    "$T/c.log" "$N" <<'PY' ||
import json, re, sys

held = set(open(sys.argv[1]).read().split())
answers = [json.loads(l) for l in open(sys.argv[2])]
figs = {x: json.load(open(p))[0] for x, p in (("b", sys.argv[3]),
    ("c", sys.argv[4]))}
n = int(sys.argv[7])
bad = []
for a in answers:
	if a["re"] in held and (a["by"] not in ("b", "c") or a["dc"] != "2"):
		bad.append("entry %s that a held: answered by %s with dc %s, "
		    "not by b or c with dc 2" % (a["re"], a["by"], a["dc"]))
by = {}
for a in answers:
	by[a["by"]] = by.get(a["by"], 0) + 1
claimed = 0
for x, f in figs.items():
	if f["answered"] != {"ok": by.get(x, 0)}:
		bad.append("%s: answered %r, but the reply stream has %d answers "
		    "by it" % (x, f["answered"], by.get(x, 0)))
	for k in ("suppressed", "lost", "dead_lettered", "leases_lost",
	    "recovered", "answers_dropped", "inflight"):
		if f[k] != 0:
			bad.append("%s: %s %d, not 0" % (x, k, f[k]))
	claimed += f["claimed"]
if claimed != len(held):
	bad.append("b and c claimed %d entries, a held %d" % (claimed,
	    len(held)))
logged = []
for p in sys.argv[5:7]:
	for l in open(p):
		if "event=source_claim " in l:
			m = re.search(r" id=(\S+) .*from=(\S+)", l)
			logged.append((m.group(1), m.group(2)) if m else l)
if sorted(logged) != sorted((i, "a") for i in held):
	bad.append("source_claim lines %r, expected one from=a for each of "
	    "%r" % (logged, sorted(held)))
if sum(by.values()) != n or by.get("a", 0) < 20:
	bad.append("answers by consumer %r" % (by,))
for b in bad:
	sys.stderr.write("FAIL: %s\n" % b)
sys.exit(1 if bad else 0)
PY
    fp_fail "the survivors' answers and figures (above)"

: >"$T/watch.stop"
fp_wait_bg "$WATCH" 10
fp_info "watch: $(cat "$T/watch.json")"
[ "$FP_RC" -eq 0 ] || fp_fail "a consumer held more than max-inflight (4)" \
    "entries: $(cat "$T/watch.json")"

for p in $B $C; do
	fp_stop "$p" 20 || true
	assert_eq 0 "$FP_STATUS" "exit status of daemon $p after SIGTERM"
done
fp_check_no_workers 0
fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
    >"$T/pending.json"
assert_grep '"count": 0,' "$T/pending.json" "nothing pending after the stop"
