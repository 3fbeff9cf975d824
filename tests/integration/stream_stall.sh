#!/bin/sh
# stream_stall.sh -- forkpool-streams(7), scenario 3 of the brief, the
# variant that forces duplicates: a daemon stalled (SIGSTOP) past
# claim-idle while its tasks run.  Daemon a (two workers, max-inflight 2,
# claim-idle 2s, claim-interval 200ms) takes two `sleep 2000' entries;
# once both run on its workers, its supervisor is stopped with SIGSTOP (its
# workers run on and finish), and daemon b is started, with 20 `sleep 20'
# entries of load.  Proved: b owns both entries within claim-idle +
# claim-interval (+ start-up and a margin) and answers them (dc 2, by b)
# while a is still stopped; a, let go on with SIGCONT, answers neither: its
# two late answers are suppressed (suppressed 2, two source_suppressed
# lines naming those entries, answered nothing, no lost lease: the tasks
# had ended); no entry is answered twice (a linger of 1 s for late
# duplicates) and nothing is left pending; b claimed exactly those two
# (claimed 2, source_claim from=a dc=2); a, stalled, read none of the load;
# a is up again afterwards and, b stopped, answers 10 new entries itself.
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
TASK_MS=2000
fp_redis_start r

# conf CONSUMER MAX_INFLIGHT
conf() {
	cat >"$T/$1.conf" <<CONF
workers 2
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "$1"
	max-inflight $2
	claim-idle 2s
	claim-interval 200ms
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
}
conf a 2
conf b 4

stalled=
cont_a() {
	if [ -n "$stalled" ]; then
		kill -CONT "$A" 2>/dev/null || true
		stalled=
	fi
}

cp "$T/a.conf" "$FP_CONF"
fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"

fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n 2 \
    --method sleep --params "[$TASK_MS]" --cid s --ids "$T/held" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"
# Both running on a's workers (not merely read): their answers will come.
fp_swait "$FP_SOCK" 'st["workers_busy"] == 2 and s["inflight"] == 2' 10 ||
    fp_fail "a does not run the two entries"
kill -STOP "$A"
stalled=1
# Still a's, stopped: a wrote no answer before it stopped.
fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
    --consumer a --ids-out "$T/pel" >"$T/pel.json"
[ "$(cut -d' ' -f1 "$T/held" | sort)" = "$(sort "$T/pel")" ] || {
	cont_a
	fp_fail "the two entries are not pending for a when it is stopped" \
	    "(too slow a machine? they run $TASK_MS ms): $(cat "$T/pel.json")"
}
fp_start_consumer b "$T/b.conf"
B=$CPID
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n 20 \
    --method sleep --params '[20]' --cid l --ids "$T/load" \
    >"$T/produce.json" || fp_fail "produce: $(cat "$T/produce.json")"

rc=0
fp_fpstream --port "$RPORT" wait-taken --stream "$STREAM" --group forkpool \
    --consumer a --ids "$T/held" --timeout 5 >"$T/taken.json" || rc=$?
fp_info "taken: $(cat "$T/taken.json")"
[ "$rc" -eq 0 ] || { cont_a; fp_fail "b did not take a's two entries" \
    "within 5 s: $(cat "$T/taken.json")"; }
# b answers them, and the load, while a is still stopped.
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/held" --ids "$T/load" \
    --stream "$STREAM" --group forkpool --check dups,missing,cid --wait 10 \
    >"$T/verify1.json" || rc=$?
[ "$rc" -eq 0 ] || { cont_a; fp_fail "b did not answer a's two entries" \
    "and the load while a was stopped: $(cat "$T/verify1.json")"; }

cont_a
fp_swait "$FP_SOCK" 's["suppressed"] == 2' 10 ||
    fp_fail "a did not suppress its two late answers"
fp_source_up "$FP_SOCK"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/held" --ids "$T/load" \
    --stream "$STREAM" --group forkpool \
    --check dups,missing,unexpected,pending,cid --codes '{"ok": 22}' \
    --wait 20 --linger 1 --out "$T/ans2" >"$T/verify2.json" || rc=$?
fp_info "verify: $(cat "$T/verify2.json")"
[ "$rc" -eq 0 ] || fp_fail "verify of the 22 entries failed"
assert_grep '"by": \{"b": 22\}' "$T/verify2.json" \
    "all answered by b (a was stalled)"

fp_sources "$FP_SOCK" >"$T/a.json"
fp_sources "$T/b.sock" >"$T/b.json"
"$FP_PY" - "$T/held" "$T/a.json" "$T/b.json" "$FP_LOG" "$T/b.log" \
    "$T/ans2" <<'PY' ||
import json, re, sys

held = sorted(l.split()[0] for l in open(sys.argv[1]))
a = json.load(open(sys.argv[2]))[0]
b = json.load(open(sys.argv[3]))[0]
bad = []
for x in (json.loads(l) for l in open(sys.argv[6])):
	if x["re"] in held and (x["by"], x["dc"]) != ("b", "2"):
		bad.append("entry %s: answered by %s with dc %s, not by b with "
		    "dc 2" % (x["re"], x["by"], x["dc"]))
want_a = {"suppressed": 2, "leases_lost": 0, "claimed": 0, "recovered": 0,
    "read": 2, "lost": 0, "dead_lettered": 0, "answers_dropped": 0,
    "inflight": 0}
for k, v in want_a.items():
	if a[k] != v:
		bad.append("a: %s %r, expected %r" % (k, a[k], v))
if a["answered"] != {"ok": 0}:
	bad.append("a: answered %r, expected nothing" % (a["answered"],))
if b["claimed"] != 2 or b["suppressed"] != 0 or b["leases_lost"] != 0:
	bad.append("b: claimed %d (expected 2), suppressed %d, leases_lost %d "
	    "(expected 0)" % (b["claimed"], b["suppressed"], b["leases_lost"]))

def events(path, ev):
	out = []
	for l in open(path):
		if "event=%s " % ev in l:
			out.append(re.search(r" id=(\S+)", l).group(1))
	return sorted(out)

if events(sys.argv[4], "source_suppressed") != held:
	bad.append("a's source_suppressed lines name %r, expected %r" %
	    (events(sys.argv[4], "source_suppressed"), held))
claims = [l for l in open(sys.argv[5]) if "event=source_claim " in l]
if events(sys.argv[5], "source_claim") != held or \
    not all(re.search(r" from=a dc=2\b", l) for l in claims):
	bad.append("b's source_claim lines: %r" % (claims,))
for b_ in bad:
	sys.stderr.write("FAIL: %s\n" % b_)
sys.exit(1 if bad else 0)
PY
    fp_fail "the figures and logs of a and b (above)"

# a works on after the stall: b stopped, a answers new entries itself.
fp_stop "$B" 20 || true
assert_eq 0 "$FP_STATUS" "exit status of b after SIGTERM"
fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n 10 --cid n \
    --cid-param --reply-to "$STREAM:reply:new" --ids "$T/new" \
    >"$T/produce.json" ||
    fp_fail "produce: $(cat "$T/produce.json")"
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/new" --stream "$STREAM" \
    --reply "$STREAM:reply:new" --group forkpool \
    --check dups,missing,unexpected,pending,cid,res-cid \
    --codes '{"ok": 10}' --wait 10 >"$T/verify3.json" || rc=$?
[ "$rc" -eq 0 ] || fp_fail "a after the stall: $(cat "$T/verify3.json")"
assert_grep '"by": \{"a": 10\}' "$T/verify3.json" "answered by a"

fp_stop_clean "$A"
fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
    >"$T/pending.json"
assert_grep '"count": 0,' "$T/pending.json" "nothing pending after the stop"
