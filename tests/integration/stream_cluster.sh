#!/bin/sh
# stream_cluster.sh -- forkpool-streams(7), scenario 9 of the brief: a
# Redis Cluster of three masters, three streams "{jobs0}:tasks",
# "{jobs1}:tasks" and "{jobs2}:tasks", each in a slot of another master
# (found with CLUSTER KEYSLOT and CLUSTER NODES: hiredis follows no
# redirections, so each source names the master of its stream's slot), and
# three daemons a, b and c with the same three sources (two workers each,
# max-inflight 4 a source, claim-idle 2s, claim-interval 200ms,
# max-deliveries 2).  Producers name reply streams of the same hash tag
# ("{jobs0}:reply" ...).
#
# Scenario 3 again: 200 `sleep 20' entries a stream (each with a cid);
# once c has answered 90 and holds entries of each stream, it is killed
# with SIGKILL, and the entries it held are recorded (its pending lists,
# read once it is dead, before a peer may claim them).  Proved: none of
# c's workers outlives it; within claim-idle + claim-interval + 1.5 s a
# and b own (or have answered) every entry c held, on each stream; every
# entry of every stream is answered exactly once, `ok', with its cid, and
# nothing is left pending on any stream; each entry c held is answered by
# a or b with delivery count 2; a and b claimed exactly the entries c held
# (claimed and source_claim from=c), and suppressed, lost and
# dead-lettered nothing of it, nor reconnected.
#
# Replies to another slot: right after the kill, two `echo' entries of
# "{jobs0}:tasks" (slot 3100, on the first master) name a reply_to without
# its hash tag: XS "other:reply" (slot 2971: another slot of the same
# master) and XN "{jobs1}:xreply" (slot 7229: another master).  The answer
# script names the reply stream as a key, so the cluster refuses it
# (CROSSSLOT) before it runs: nothing is written or acknowledged.  What
# the daemons do, and this proves: each failure is logged once
# (source_answer_failed with the CROSSSLOT error) and counted in lost; the
# connection stays up (no reconnect) and the answer is not sent again (no
# loop); the entry stays pending, is claimed after claim-idle and run
# again (delivery count 2, the last that max-deliveries 2 allows), fails
# again; found idle once more, it is dead-lettered: a copy in
# "{jobs0}:tasks:dead" with reason max-deliveries and dc 2.  The claim
# script that dead-letters writes the dead_lettered answer with a key it
# was not given (a script without flags may touch any key of its node):
# XS's reaches "other:reply", one answer, code dead_lettered, dc 2; XN's
# cannot be written on another node, the script goes on, and
# "{jobs1}:xreply" never exists.  So over a and b: exactly 2
# source_answer_failed lines an entry, claimed 1 an entry more, lost 4,
# dead_lettered 2 (each also in answered, as dead_lettered); and nothing
# stays pending on "{jobs0}:tasks".  a and b then stop with SIGTERM, exit
# 0, leaving no worker.
# fp-once: a stream scenario; the sanitizer build runs the source code it
# reaches through stream_many, _entries, _kill9, _partition, _stop, _poison
# _trim and _hostile (the suite stays under 10 minutes).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

N=200
IDLE_MS=2000
INTERVAL_MS=200
MARGIN_MS=1500
fp_redis_cluster_start

# node_of KEY: the port of the master that serves KEY's slot.
node_of() {
	_slot=$(fp_redis_cli c1 CLUSTER KEYSLOT "$1")
	case $_slot in
	''|*[!0-9]*) fp_fail "CLUSTER KEYSLOT $1: '$_slot'" ;;
	esac
	fp_redis_cli c1 CLUSTER NODES | awk -v s="$_slot" '
	$3 ~ /master/ {
		for (i = 9; i <= NF; i++) {
			n = split($i, r, "-")
			if (n == 1)
				r[2] = r[1]
			if (s + 0 >= r[1] + 0 && s + 0 <= r[2] + 0) {
				split($2, a, "[:@]")
				print a[2]
				exit
			}
		}
	}'
}

P0=$(node_of '{jobs0}:tasks')
P1=$(node_of '{jobs1}:tasks')
P2=$(node_of '{jobs2}:tasks')
fp_info "masters of {jobs0} {jobs1} {jobs2}: $P0 $P1 $P2 (cluster $RCLUSTER)"
for p in "$P0" "$P1" "$P2"; do
	case " $RCPORTS " in
	*" $p "*) ;;
	*) fp_fail "no master found for a stream: '$P0' '$P1' '$P2'" ;;
	esac
done
if [ "$P0" = "$P1" ] || [ "$P1" = "$P2" ] || [ "$P0" = "$P2" ]; then
	fp_fail "the three streams are not on three masters: $P0 $P1 $P2"
fi

conf() {
	echo "workers 2"
	for i in 0 1 2; do
		case $i in
		0) _port=$P0 ;;
		1) _port=$P1 ;;
		*) _port=$P2 ;;
		esac
		cat <<CONF
source "jobs$i" redis {
	port $_port
	stream "{jobs$i}:tasks"
	consumer "$1"
	max-inflight 4
	claim-idle ${IDLE_MS}ms
	claim-interval ${INTERVAL_MS}ms
	max-deliveries 2
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
	done
}
conf a >"$FP_CONF"
conf b >"$T/b.conf"
conf c >"$T/c.conf"

# sum SOCK KEY[.KEY]: a figure summed over the daemon's sources.
sum() {
	fp_sources "$1" | "$FP_PY" -c 'import json, sys
t = 0
for v in json.load(sys.stdin):
	for k in sys.argv[1].split("."):
		v = v.get(k, 0)
	t += v
print(t)' "$2"
}

# cl ARG...: fpstream.py on the cluster.
cl() {
	fp_fpstream --cluster "$RCLUSTER" "$@"
}

fp_start -T
A=$FP_PID
fp_source_up "$FP_SOCK"
fp_start_consumer b "$T/b.conf" -T
B=$CPID
fp_start_consumer c "$T/c.conf" -T
C=$CPID

fp_record_workers "$C"
# One process adds the entries; kills c (SIGKILL) as soon as c has
# answered 90 and holds entries of every stream, so that it dies under
# load however loaded the machine is; waits until c is gone, and a round
# trip to each master (what c wrote before it died is read by then);
# records c's pending entries of each stream (held0..2) before a peer can
# claim them; then adds the two entries with a reply_to of another slot.
fp_py "$RCLUSTER" "$T" "$T/c.sock" "$C" "$N" "$P0" "$P1" "$P2" \
    <<'PY' >"$T/kill.json" ||
import json, os, signal, sys, time
import fpclient, fpstream

ports, t, sock, pid, n = sys.argv[1].split(","), sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), int(sys.argv[5])
masters = [int(p) for p in sys.argv[6:9]]
r = fpstream.connect(cluster=ports)
for i in range(3):
	fpstream.produce(r, "{jobs%d}:tasks" % i, n, method="sleep",
	    params=[20], cid="e%d" % i, reply_to="{jobs%d}:reply" % i,
	    ids_path="%s/ids%d" % (t, i))
end = time.monotonic() + 20
while True:
	src = fpclient.stats(sock)["sources"]
	ok = sum(x["answered"]["ok"] for x in src)
	if ok >= 90 and all(x["inflight"] > 0 for x in src):
		os.kill(pid, signal.SIGKILL)
		killed = time.time()
		break
	if time.monotonic() >= end:
		print(json.dumps({"error": "c never answered 90 while holding "
		    "entries of each stream", "sources": src}))
		sys.exit(1)
	time.sleep(0.005)
while True:
	try:
		with open("/proc/%d/stat" % pid) as f:
			if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
				break
	except FileNotFoundError:
		break
	if time.monotonic() >= end + 10:
		print(json.dumps({"error": "c still alive after SIGKILL"}))
		sys.exit(1)
	time.sleep(0.005)
for p in masters:
	fpstream.connect(port=p).ping()
held = []
for i in range(3):
	ids = fpstream.pending_of(r, "{jobs%d}:tasks" % i, "forkpool", "c", 1000)
	with open("%s/held%d" % (t, i), "w") as f:
		for e in ids:
			f.write(e["id"] + "\n")
	held.append(len(ids))
for cid, rt in (("xs", "other:reply"), ("xn", "{jobs1}:xreply")):
	fpstream.produce(r, "{jobs0}:tasks", method="echo", params=["x"],
	    cid=cid, reply_to=rt, ids_path="%s/%s" % (t, cid))
print(json.dumps({"killed": pid, "answered": ok, "inflight":
    [x["inflight"] for x in src], "held": held,
    "kill_ms": int(killed * 1000)}))
PY
    fp_fail "the load and the kill of c: $(cat "$T/kill.json")"
KILL_MS=$(sed -n 's/.*"kill_ms": \([0-9]*\).*/\1/p' "$T/kill.json")
fp_info "c killed $(($(date +%s%3N) - KILL_MS))ms ago: $(cat "$T/kill.json")"
FP_RC=0
wait "$C" || FP_RC=$?
fp_forget "$C"
assert_eq 137 "$FP_RC" "exit status of daemon c after SIGKILL"
XS=$(cut -d' ' -f1 "$T/xs")
XN=$(cut -d' ' -f1 "$T/xn")
# PR_SET_PDEATHSIG: c's workers die with it (bounded grace for the kernel).
fp_check_no_workers 5

K=0
for i in 0 1 2; do
	k=$(wc -l <"$T/held$i" | tr -d ' ')
	K=$((K + k))
	fp_info "c held $k entries of {jobs$i}:tasks when killed"
	[ "$k" -ge 1 ] || fp_fail "c held no entry of {jobs$i}:tasks"
done
[ "$K" -ge 3 ] || fp_fail "c held $K entries when it was killed, not one" \
    "of each stream at least"

# Claimed within claim-idle + claim-interval (+ a margin) of c's death
# (its last renewal came before), by the claims' times in a's and b's
# logs (the daemons' clock, as the kill's time: the test's own delays on
# a loaded machine do not count).
W=
for i in 0 1 2; do
	fp_bg cl wait-taken --stream "{jobs$i}:tasks" --group forkpool \
	    --consumer c --ids "$T/held$i" --timeout 20 >"$T/taken$i.json"
	W="$W $FP_BGPID"
done
i=0
for w in $W; do
	fp_wait_bg "$w" 30
	fp_info "{jobs$i}:tasks: $(cat "$T/taken$i.json")"
	[ "$FP_RC" -eq 0 ] || fp_fail "the entries c held on {jobs$i}:tasks" \
	    "are not all taken: $(cat "$T/taken$i.json")"
	i=$((i + 1))
done
LIMIT=$((IDLE_MS + INTERVAL_MS + MARGIN_MS))
last=$(cat "$FP_LOG" "$T/b.log" | grep -E ' event=source_claim .* from=c ' |
    sed -n 's/^ts=\([^ ]*\) .*/\1/p' | sort | tail -n 1)
[ -n "$last" ] || fp_fail "no source_claim from=c in a's and b's logs"
ms=$(($(date -u -d "$last" +%s%3N) - KILL_MS))
fp_info "the last of c's entries claimed ${ms}ms after the kill"
[ "$ms" -le "$LIMIT" ] || fp_fail "c's entries claimed up to ${ms}ms after" \
    "the kill, later than claim-idle + claim-interval + ${MARGIN_MS}ms" \
    "(${LIMIT}ms)"

rc=0
cl verify --ids "$T/ids0" --ids "$T/ids1" --ids "$T/ids2" \
    --reply '{jobs0}:reply' --reply '{jobs1}:reply' --reply '{jobs2}:reply' \
    --stream '{jobs0}:tasks' --stream '{jobs1}:tasks' \
    --stream '{jobs2}:tasks' --group forkpool \
    --check dups,missing,unexpected,pending,cid \
    --codes "{\"ok\": $((3 * N))}" --wait 60 --linger 0.5 \
    --out "$T/answers" >"$T/verify.json" || rc=$?
fp_info "verify: $(cut -c1-400 "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "verify of the $((3 * N)) entries failed" \
    "(exit status $rc)"
for i in 0 1 2; do
	cl pending --stream "{jobs$i}:tasks" --group forkpool >"$T/pending.json"
	assert_grep '"count": 0,' "$T/pending.json" \
	    "nothing pending on {jobs$i}:tasks"
done

# The cross-slot entries: dead-lettered (verify's pending check saw them
# go); XS's dead_lettered answer is on "other:reply", XN's nowhere.
cl dump --stream '{jobs0}:tasks:dead' >"$T/dead.json"
cl dump --stream 'other:reply' >"$T/xs.json"
fp_info "dead-letter stream $(($(date +%s%3N) - KILL_MS))ms after the kill:" \
    "$(cat "$T/dead.json"); other:reply: $(cat "$T/xs.json")"
rc=0
fp_redis_cli "$P0" -c EXISTS '{jobs1}:xreply' >"$T/exists" || rc=$?
assert_eq "0 0" "$rc $(cat "$T/exists")" "EXISTS {jobs1}:xreply"

# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(sum "$FP_SOCK" inflight)" = 0 ] &&
    [ "$(sum "$T/b.sock" inflight)" = 0 ]' 10 ||
    fp_fail "a or b still hold entries"
fp_sources "$FP_SOCK" >"$T/a.json"
fp_sources "$T/b.sock" >"$T/b.json"
"$FP_PY" - "$T/answers" "$T/a.json" "$T/b.json" "$FP_LOG" "$T/b.log" \
    "$T/dead.json" "$T/xs.json" "$XS" "$XN" "$N" "$T/held0" "$T/held1" \
    "$T/held2" <<'PY' ||
import json, re, sys

answers = [json.loads(l) for l in open(sys.argv[1])]
figs = {"a": json.load(open(sys.argv[2])), "b": json.load(open(sys.argv[3]))}
logs = {"a": open(sys.argv[4]).read().splitlines(),
    "b": open(sys.argv[5]).read().splitlines()}
dead = [json.loads(l) for l in open(sys.argv[6])]
xsa = [json.loads(l) for l in open(sys.argv[7])]
xs, xn, n = sys.argv[8], sys.argv[9], int(sys.argv[10])
cross = {xs: "xs-0", xn: "xn-0"}
held = [set(open(p).read().split()) for p in sys.argv[11:14]]
allheld = set().union(*held)
bad = []
for x in answers:
	if x["re"] in cross:
		bad.append("a cross-slot entry was answered: %r" % (x,))
	if x["re"] in allheld and (x["by"] not in ("a", "b") or x["dc"] != "2"):
		bad.append("entry %s that c held: answered by %s with dc %s, not "
		    "by a or b with dc 2" % (x["re"], x["by"], x["dc"]))
by = {}
for x in answers:
	by[x["by"]] = by.get(x["by"], 0) + 1
if sum(by.values()) != 3 * n or by.get("c", 0) < 90:
	bad.append("answers by consumer %r" % (by,))
tot = {}
for who, f in figs.items():
	if [s["name"] for s in f] != ["jobs0", "jobs1", "jobs2"]:
		bad.append("%s: sources %r" % (who, [s["name"] for s in f]))
		continue
	for i, s in enumerate(f):
		ok = sum(1 for x in answers if x["by"] == who and
		    (x["cid"] or "").startswith("e%d-" % i))
		# Dead-lettered entries count in answered too (STATISTICS in
		# forkpool-streams(7)), whether or not their answer could be
		# written: the daemon cannot tell.
		want = {"ok": ok}
		if s["dead_lettered"]:
			want["dead_lettered"] = s["dead_lettered"]
		if s["answered"] != want:
			bad.append("%s jobs%d: answered %r, expected %r (the reply "
			    "stream has %d answers ok by it, and it dead-lettered %d)"
			    % (who, i, s["answered"], want, ok, s["dead_lettered"]))
		for k in ("suppressed", "leases_lost", "recovered",
		    "answers_dropped", "inflight", "reconnects"):
			if s[k] != 0:
				bad.append("%s jobs%d: %s %d, not 0" % (who, i, k, s[k]))
		if s["state"] != "up":
			bad.append("%s jobs%d: state %s" % (who, i, s["state"]))
		for k in ("claimed", "lost", "dead_lettered"):
			tot[k, i] = tot.get((k, i), 0) + s[k]
for i in range(3):
	# The cross-slot entries went to {jobs0}: each claimed once (dc 2).
	want = len(held[i]) + (2 if i == 0 else 0)
	if tot["claimed", i] != want:
		bad.append("jobs%d: a and b claimed %d, expected %d (c held %d)"
		    % (i, tot["claimed", i], want, len(held[i])))
	want = (4, 2) if i == 0 else (0, 0)
	if (tot["lost", i], tot["dead_lettered", i]) != want:
		bad.append("jobs%d: lost %d and dead_lettered %d over a and b, "
		    "expected %d and %d" % (i, tot["lost", i],
		    tot["dead_lettered", i], want[0], want[1]))
claims, failed, dl = [], [], []
for who, lines in logs.items():
	for l in lines:
		if " event=source_claim " in l:
			m = re.search(r" source=(\S+) id=(\S+) .*from=(\S+) dc=(\d+)", l)
			claims.append(m.groups() if m else l)
		elif " event=source_answer_failed " in l:
			failed.append(l)
		elif " event=source_dead_letter " in l:
			dl.append(l)
		elif re.search(r" event=source_(down|suppressed|lease_lost|lost) ",
		    l):
			bad.append("%s's log: %s" % (who, l))
want = sorted([("jobs%d" % i, x, "c", "2") for i in range(3) for x in held[i]]
    + [("jobs0", x, "?", dc) for x in cross for dc in ("2",)])
got = sorted((s, i, "?" if i in cross else f, dc) for s, i, f, dc in
    [c for c in claims if isinstance(c, tuple)])
if got != want or len(claims) != len(want):
	bad.append("source_claim lines %r, expected %r" % (claims, want))
for x, cid in cross.items():
	f = [l for l in failed if " id=%s " % x in l]
	if len(f) != 2 or not all(" source=jobs0 id=%s cid=%s " % (x, cid) in l
	    and "CROSSSLOT" in l for l in f):
		bad.append("source_answer_failed lines %r, expected 2 for %s with "
		    "CROSSSLOT" % (f, x))
	d = [l for l in dl if " id=%s " % x in l]
	if len(d) != 1 or not re.search(r" source=jobs0 id=%s cid=%s .*dc=2"
	    % (re.escape(x), cid), d[0]):
		bad.append("source_dead_letter lines %r, expected one for %s, dc 2"
		    % (d, x))
if len(failed) != 4 or len(dl) != 2:
	bad.append("%d source_answer_failed lines and %d source_dead_letter, "
	    "expected 4 and 2" % (len(failed), len(dl)))
if sorted(d.get("re") for d in dead) != sorted(cross):
	bad.append("dead-letter stream: %r, expected %r" % (dead, cross))
for d in dead:
	for k, v in (("dc", "2"), ("reason", "max-deliveries"),
	    ("cid", cross.get(d.get("re"))), ("method", "echo"),
	    ("params", ["x"]), ("reply_to", "other:reply" if d.get("re") == xs
	    else "{jobs1}:xreply")):
		if d.get(k) != v:
			bad.append("dead letter %s: %s %r, expected %r" % (d.get("re"),
			    k, d.get(k), v))
	if d.get("by") not in ("a", "b") or d.get("from") not in ("a", "b"):
		bad.append("dead letter: by %r from %r" % (d.get("by"),
		    d.get("from")))
if len(xsa) != 1 or xsa[0].get("re") != xs or xsa[0].get("dc") != "2" or \
    xsa[0].get("by") not in ("a", "b") or xsa[0].get("cid") != "xs-0" or \
    xsa[0].get("err", {}).get("code") != "dead_lettered":
	bad.append("other:reply: %r, expected one dead_lettered answer to %s, "
	    "dc 2" % (xsa, xs))
for b in bad:
	sys.stderr.write("FAIL: %s\n" % b)
sys.exit(1 if bad else 0)
PY
    fp_fail "the survivors' answers, figures and logs (above)"

for p in $A $B; do
	fp_stop "$p" 20 || true
	assert_eq 0 "$FP_STATUS" "exit status of daemon $p after SIGTERM"
done
fp_check_no_workers 0
for i in 0 1 2; do
	cl pending --stream "{jobs$i}:tasks" --group forkpool >"$T/pending.json"
	assert_grep '"count": 0,' "$T/pending.json" \
	    "nothing pending on {jobs$i}:tasks after the stop"
done
