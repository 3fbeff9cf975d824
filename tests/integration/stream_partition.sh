#!/bin/sh
# stream_partition.sh -- forkpool-streams(7), scenario 6 of the brief: a
# partition.  Daemon a reaches Redis through tests/streams/relay.py, daemon
# b directly; both claim-idle 2s, claim-interval 200ms, io-timeout 1s.
#
# a alone (two workers, max-inflight 2) reads two entries: S, `sleep 1200',
# and L, `sleep 9000'.  Then the relay is stopped (SIGSTOP): a's TCP
# connections stay up, but no byte moves.  One process adds S and L,
# stops the relay, watches a and resumes the relay, so that the order of
# events does not depend on the test's delays on a loaded machine; the
# bounds below are measured on the daemons' log times.  Proved, in order:
#  - a's source notices within io-timeout + a renewal period + 1.1 s
#    (source_down err="no reply within io-timeout"), and is not up again
#    while the relay is stopped; its tasks run on: S's answer is kept
#    (answers_buffered 1, inflight 2);
#  - b, started while a is cut off, serves a load of `sleep 100' entries
#    and claims S and L (dc 2) once a's leases have lapsed: within
#    claim-idle + claim-interval + 1.5 s of the stop (or of b's start, if
#    that came later);
#  - once b has answered S, the relay resumes (SIGCONT): a connects again
#    (its log: source_up, one source_down, source_up again; reconnects >
#    0).  What must happen then is fixed by the order above: S's answer,
#    kept while a was cut off, is written through the answer script, finds
#    b's done marker and is suppressed (a: suppressed exactly 1,
#    source_suppressed id=S); L still runs on a (it has 9 s to go against
#    the second or so a needs to reconnect), and a's first lease renewal
#    finds it pending under b: a lost lease (a: leases_lost exactly 1,
#    source_lease_lost id=L), dropped by a, answered by b;
#  - every entry is answered exactly once (duplicates 0), `ok', with its
#    cid, S and L by b with delivery count 2, the load by b (or by a once
#    it is back) with delivery count 1; nothing stays pending; each
#    daemon's answered is what the reply stream has from it; b claimed
#    exactly S and L and suppressed nothing; both stop with SIGTERM, exit
#    0, leaving no worker.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

STREAM='{jobs}:tasks'
REPLY="$STREAM:reply"
IDLE_MS=2000
INTERVAL_MS=200
IO_MS=1000
MARGIN_MS=1500
NLOAD=24
fp_redis_start r
fp_relay_start "$RPORT"
RELAY=$RELAY_PID

# conf NAME PORT WORKERS MAX_INFLIGHT
conf() {
	cat <<CONF
workers $3
source "jobs" redis {
	port $2
	stream "$STREAM"
	consumer "$1"
	max-inflight $4
	claim-idle ${IDLE_MS}ms
	claim-interval ${INTERVAL_MS}ms
	io-timeout ${IO_MS}ms
	reply-maxlen 1000000
}
CONF
}
conf a "$RELAY_PORT" 2 2 >"$FP_CONF"
conf b "$RPORT" 4 8 >"$T/b.conf"

# sget SOCK KEY[.KEY]: a figure of the daemon's source, as JSON (a count
# in a map that is not there: 0).
sget() {
	fp_sources "$1" | "$FP_PY" -c 'import json, sys
v = json.load(sys.stdin)[0]
for k in sys.argv[1].split("."):
	v = v.get(k, 0)
print(json.dumps(v, sort_keys=True))' "$2"
}

# after_stop FILE EVENT [PATTERN [N]]: the ms from the stop of the relay
# to the first (or Nth) line of FILE with EVENT (and matching PATTERN), by
# its ts: the daemons' own clock (CLOCK_REALTIME, as the stop's time), so
# that the bounds do not count the test's own delays on a loaded machine.
after_stop() {
	_as=$(grep -E " event=$2 .*${3:-}" "$1" | head -n "${4:-1}" |
	    tail -n +"${4:-1}" | sed -n 's/^ts=\([^ ]*\) .*/\1/p')
	[ -n "$_as" ] || fp_fail "no line ${4:-1} of $2${3:+ matching $3} in" \
	    "${1##*/}"
	echo $(($(date -u -d "$_as" +%s%3N) - STOP_MS))
}

# pending_dump: the group's pending summary, for failure messages.
pending_dump() {
	fp_fpstream --port "$RPORT" pending --stream "$STREAM" \
	    --group forkpool 2>&1 || true
}

fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"

# One process drives the partition, so that the order of events does not
# depend on the test's own delays on a loaded machine.  It adds S and L
# (only a is there to read them), waits until a holds both, stops the
# relay at once (S still runs), records a's pending list ($T/held) and
# the time ($T/stopped).  Then, while b (started below) claims S and L, it
# watches a: once its source is down, it must not be up again while the
# relay is stopped.  As soon as b has answered S and a keeps S's answer
# (answers_buffered 1, inflight 2: S's answer and L), it resumes the relay
# and writes what it saw to $T/part.json.
cat >"$T/part.py" <<'PY'
import json, os, signal, sys, time
import fpclient, fpstream

port, stream, t, relay, sock = int(sys.argv[1]), sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), sys.argv[5]
out = {}


def done(err=None):
	if err:
		out["error"] = err
	with open(t + "/part.json", "w") as f:
		json.dump(out, f)
	sys.exit(1 if err else 0)


r = fpstream.connect(port=port)
ids = {}
for cid, ms, name in (("s", 1200, "short"), ("l", 9000, "long")):
	ids[name] = fpstream.produce(r, stream, method="sleep", params=[ms],
	    cid=cid, reply_to=stream + ":reply",
	    ids_path="%s/%s" % (t, name))[0][0]
end = time.monotonic() + 10
while fpstream.pending_summary(r, stream,
    "forkpool")["consumers"].get("a", 0) < 2:
	if time.monotonic() >= end:
		done("a does not hold S and L")
	time.sleep(0.005)
os.kill(relay, signal.SIGSTOP)
out["stop_ms"] = int(time.time() * 1000)
with open(t + "/held", "w") as f:
	for e in fpstream.pending_of(r, stream, "forkpool", "a", 10):
		f.write(e["id"] + "\n")
with open(t + "/stopped.tmp", "w") as f:
	f.write("%d\n" % out["stop_ms"])
os.rename(t + "/stopped.tmp", t + "/stopped")
down = False
end = time.monotonic() + 30
while True:
	a = fpclient.stats(sock)["sources"][0]
	if a["state"] != "up":
		down = True
	elif down:
		done("a's source is up again with the relay stopped: %r" % a)
	s_answered = any(fpstream.s(f.get(b"re")) == ids["short"]
	    for _, f in r.xrange(stream + ":reply"))
	if down and s_answered and a["answers_buffered"] == 1 and \
	    a["inflight"] == 2:
		break
	if time.monotonic() >= end:
		done("after 30 s: a's source %s down, S %s answered, a's "
		    "figures %r" % ("went" if down else "never went",
		    "was" if s_answered else "was not", a))
	time.sleep(0.01)
os.kill(relay, signal.SIGCONT)
out["cont_ms"] = int(time.time() * 1000)
out["a_at_cont"] = a
done()
PY
fp_bg "$FP_PY" "$T/part.py" "$RPORT" "$STREAM" "$T" "$RELAY" "$FP_SOCK"
PART=$FP_BGPID
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ -s "$T/stopped" ] || ! fp_alive "$PART"' 15 || true
if [ ! -s "$T/stopped" ]; then
	fp_wait_bg "$PART" 5
	fp_fail "the partition did not start: $(cat "$T/part.json" 2>&1)"
fi

# ---- the partition ------------------------------------------------------

read -r STOP_MS <"$T/stopped"
cut -d' ' -f1 "$T/short" "$T/long" | sort >"$T/sl"
sort "$T/held" >"$T/held.sorted"
if ! cmp -s "$T/sl" "$T/held.sorted"; then
	fp_fail "a did not hold exactly S and L when the relay stopped (S" \
	    "answered before the stop?): held $(tr '\n' ' ' <"$T/held")," \
	    "S and L $(tr '\n' ' ' <"$T/sl")"
fi
S_ID=$(cut -d' ' -f1 "$T/short")
L_ID=$(cut -d' ' -f1 "$T/long")

# io-timeout must see the frozen relay: a renewal (every claim-idle/4)
# goes unanswered, and io-timeout later the connection is dropped.
BOUND=$((IO_MS + IDLE_MS / 4 + 100 + 1000))
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for 'grep -q "event=source_down source=jobs" "$FP_LOG"' 10 ||
    fp_fail "a's source did not go down with the relay stopped"
ms=$(after_stop "$FP_LOG" source_down)
fp_info "a's source down ${ms}ms after the relay stopped"
[ "$ms" -le "$BOUND" ] || fp_fail "a's source went down ${ms}ms after the" \
    "relay stopped, later than io-timeout + claim-idle/4 + 1.1 s" \
    "(${BOUND}ms)"
assert_grep 'event=source_down source=jobs err="no reply within io-timeout"' \
    "$FP_LOG" "a's source_down says why"
assert_eq false "$(sget "$FP_SOCK" up)" "a's source up with the relay stopped"

# b comes up and takes the load that a cannot read.
fp_start_consumer b "$T/b.conf" -T
B=$CPID
B_UP=$(after_stop "$T/b.log" source_up)
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n "$NLOAD" \
    --method sleep --params '[100]' --cid w --ids "$T/load" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"

# a's leases lapse claim-idle after its last renewal (before the stop);
# b claims them at its next claim-interval, by its log.
rc=0
fp_fpstream --port "$RPORT" wait-taken --stream "$STREAM" --group forkpool \
    --consumer a --ids "$T/held" --timeout 20 >"$T/taken.json" || rc=$?
[ "$rc" -eq 0 ] || fp_fail "S and L not taken from a: $(cat "$T/taken.json");" \
    "$(pending_dump)"
LIMIT=$IDLE_MS
[ "$B_UP" -le "$LIMIT" ] || LIMIT=$B_UP
LIMIT=$((LIMIT + INTERVAL_MS + MARGIN_MS))
ms=0
for id in "$S_ID" "$L_ID"; do
	m=$(after_stop "$T/b.log" source_claim " id=$id ")
	[ "$m" -le "$ms" ] || ms=$m
done
fp_info "S and L claimed by b ${ms}ms after the stop (b up at ${B_UP}ms)"
[ "$ms" -le "$LIMIT" ] || fp_fail "S and L claimed ${ms}ms after the stop," \
    "later than claim-idle (or b's start) + claim-interval + ${MARGIN_MS}ms" \
    "(${LIMIT}ms)"

# ---- the partition ends ------------------------------------------------

# b answers S (1.2 s after its claim); a, which ran S too, keeps its
# answer; L runs on both.  Then the relay resumes.
fp_wait_bg "$PART" 40
[ "$FP_RC" -eq 0 ] || fp_fail "the partition: $(cat "$T/part.json" 2>&1)"
CONT_MS=$(($(sed -n 's/.*"cont_ms": \([0-9]*\).*/\1/p' "$T/part.json") -
    STOP_MS))
fp_info "relay resumed ${CONT_MS}ms after the stop"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(grep -c "event=source_up source=jobs" "$FP_LOG")" -ge 2 ]' 15 ||
    fp_fail "a's source did not come up again after the relay resumed:" \
    "$(fp_sources "$FP_SOCK")"
fp_source_up "$FP_SOCK" 10
fp_info "a up again $(($(after_stop "$FP_LOG" source_up "" 2) -
    CONT_MS))ms after the relay resumed"
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(sget "$FP_SOCK" suppressed)" -ge 1 ] &&
    [ "$(sget "$FP_SOCK" leases_lost)" -ge 1 ]' 10 ||
    fp_fail "a neither suppressed S's answer nor lost L's lease:" \
    "$(fp_sources "$FP_SOCK")"

N=$((NLOAD + 2))
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/short" --ids "$T/long" \
    --ids "$T/load" --stream "$STREAM" --group forkpool \
    --check dups,missing,unexpected,pending,cid --codes "{\"ok\": $N}" \
    --wait 30 --linger 0.5 --out "$T/answers" >"$T/verify.json" || rc=$?
fp_info "verify: $(cut -c1-400 "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "verify of the $N entries failed: $(cat "$T/verify.json")"

# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(sget "$FP_SOCK" inflight)" = 0 ] &&
    [ "$(sget "$T/b.sock" inflight)" = 0 ]' 10 ||
    fp_fail "a or b still hold entries"
fp_sources "$FP_SOCK" >"$T/a.json"
fp_sources "$T/b.sock" >"$T/b.json"
"$FP_PY" - "$T/answers" "$T/a.json" "$T/b.json" "$FP_LOG" "$T/b.log" \
    "$S_ID" "$L_ID" "$N" <<'PY' || fp_fail "the daemons' answers, figures and logs (above)"
import json, re, sys

answers = [json.loads(l) for l in open(sys.argv[1])]
fa, fb = (json.load(open(p))[0] for p in sys.argv[2:4])
alog, blog = (open(p).read().splitlines() for p in sys.argv[4:6])
sid, lid, n = sys.argv[6], sys.argv[7], int(sys.argv[8])
bad = []
if len(answers) != n:
	bad.append("%d answers, expected %d" % (len(answers), n))
by = {}
for x in answers:
	by[x["by"]] = by.get(x["by"], 0) + 1
	# S and L: claimed by b.  The load: read by b, or by a once back.
	want = ("b",) if x["re"] in (sid, lid) else ("a", "b")
	want_dc = "2" if x["re"] in (sid, lid) else "1"
	if x["by"] not in want or x["dc"] != want_dc:
		bad.append("entry %s answered by %s with dc %s, not by %s with "
		    "dc %s" % (x["re"], x["by"], x["dc"], " or ".join(want),
		    want_dc))
# a: S's kept answer was suppressed, L's lease was lost.
want_a = {"answered": {"ok": by.get("a", 0)}, "suppressed": 1,
    "leases_lost": 1,
    "claimed": 0, "lost": 0, "dead_lettered": 0, "answers_dropped": 0,
    "answers_buffered": 0, "inflight": 0, "state": "up", "up": True}
want_b = {"answered": {"ok": by.get("b", 0)}, "suppressed": 0,
    "leases_lost": 0,
    "claimed": 2, "recovered": 0, "lost": 0, "dead_lettered": 0,
    "answers_dropped": 0, "reconnects": 0, "inflight": 0}
for who, f, want in (("a", fa, want_a), ("b", fb, want_b)):
	for k, v in want.items():
		if f[k] != v:
			bad.append("%s: %s %r, expected %r" % (who, k, f[k], v))
if fa["reconnects"] < 1:
	bad.append("a: reconnects %d, expected > 0" % fa["reconnects"])

def events(lines, ev):
	return [(i, l) for i, l in enumerate(lines)
	    if re.search(r" event=%s " % ev, l)]

ups, downs = events(alog, "source_up"), events(alog, "source_down")
if len(ups) != 2 or len(downs) != 1 or \
    not ups[0][0] < downs[0][0] < ups[1][0]:
	bad.append("a's log: expected source_up, source_down, source_up; "
	    "got up at lines %r, down at %r" % ([i for i, _ in ups],
	    [i for i, _ in downs]))
supp = [l for _, l in events(alog, "source_suppressed")]
if len(supp) != 1 or " id=%s " % sid not in supp[0]:
	bad.append("a's source_suppressed lines %r, expected one for S %s"
	    % (supp, sid))
lost = [l for _, l in events(alog, "source_lease_lost")]
if len(lost) != 1 or " id=%s " % lid not in lost[0]:
	bad.append("a's source_lease_lost lines %r, expected one for L %s"
	    % (lost, lid))
claims = []
for _, l in events(blog, "source_claim"):
	m = re.search(r" id=(\S+) .*from=(\S+) dc=(\d+)", l)
	claims.append(m.groups() if m else l)
if sorted(claims) != sorted([(sid, "a", "2"), (lid, "a", "2")]):
	bad.append("b's source_claim lines %r, expected S and L from a, dc 2"
	    % (claims,))
for l in blog:
	if re.search(r" event=source_(suppressed|lease_lost|down) ", l):
		bad.append("b's log: %s" % l)
for b in bad:
	sys.stderr.write("FAIL: %s\n" % b)
sys.exit(1 if bad else 0)
PY

for p in $A $B; do
	fp_stop "$p" 20 || true
	assert_eq 0 "$FP_STATUS" "exit status of daemon $p after SIGTERM"
done
fp_check_no_workers 0
fp_relay_stop "$RELAY"
fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
    >"$T/pending.json"
assert_grep '"count": 0,' "$T/pending.json" "nothing pending after the stop"
