#!/bin/sh
# stream_many.sh -- forkpool-streams(7), scenario 1 of the brief: 10,000
# entries across three daemons.  Three forkpoold of one worker each,
# consumers a, b and c of one group, read one stream; 10,000 echo entries,
# each with a cid that is also its params, are added once all three are
# up.  Proved: every entry id has exactly one answer, `ok', whose result
# is the entry's own cid (no result went to another entry), and whose cid
# field is the entry's; no answer to an id never added; nothing left
# pending in the group; each of the three consumers answered some; and the
# daemons' forkpool.stats "sources" add up: read + claimed + recovered
# over the three >= 10,000, answered exactly {"ok": 10000} in sum,
# suppressed 0, lost 0, dead_lettered 0, leases_lost 0, inflight 0 at the
# end, and each daemon's answered.ok is the count of answers whose `by'
# names its consumer.  The three stop with SIGTERM, exit 0, and leave
# nothing pending, no consumer in the group and no lease key; no daemon
# logged an outage, a claim or a loss.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

N=10000
STREAM='{jobs}:tasks'
fp_redis_start r

# conf CONSUMER: a daemon of one worker (two cores run three daemons) and
# the brief's short timers.
conf() {
	cat >"$T/$1.conf" <<CONF
workers 1
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "$1"
	claim-idle 2s
	claim-interval 200ms
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

fp_fpstream --port "$RPORT" produce --stream "$STREAM" -n "$N" \
    --cid e --cid-param --ids "$T/ids" >"$T/produce.json" ||
    fp_fail "produce $N entries: $(cat "$T/produce.json")"
assert_eq "$N" "$(wc -l <"$T/ids" | tr -d ' ')" "entries produced"

# Checked with res-cid: the result of each entry is its cid.
rc=0
fp_fpstream --port "$RPORT" verify --ids "$T/ids" --stream "$STREAM" \
    --group forkpool --check dups,missing,unexpected,pending,cid,res-cid \
    --codes "{\"ok\": $N}" --by-min 3 --wait 60 --linger 0.5 \
    >"$T/verify.json" || rc=$?
fp_info "verify: $(cat "$T/verify.json")"
[ "$rc" -eq 0 ] || fp_fail "verify of $N entries failed (exit status $rc)"

# The daemons count an answer once Redis replied to its script: a bounded
# wait until the three together count all of them, then the figures.
sums() {
	"$FP_PY" - "$FP_SOCK" "$T/b.sock" "$T/c.sock" <<'PY'
import json, sys
import fpclient as fc

tot = {"in": 0, "ok": 0, "other": {}, "suppressed": 0, "lost": 0,
    "dead_lettered": 0, "leases_lost": 0, "inflight": 0,
    "answers_dropped": 0, "by": {}}
for sock in sys.argv[1:]:
	src = fc.stats(sock)["sources"]
	assert len(src) == 1, src
	x = src[0]
	tot["in"] += x["read"] + x["claimed"] + x["recovered"]
	for k, v in x["answered"].items():
		if k == "ok":
			tot["ok"] += v
		elif v:
			tot["other"][k] = tot["other"].get(k, 0) + v
	for k in ("suppressed", "lost", "dead_lettered", "leases_lost",
	    "inflight", "answers_dropped"):
		tot[k] += x[k]
	tot["by"][x["consumer"]] = x["answered"]["ok"]
print(json.dumps(tot, sort_keys=True))
PY
}
all_counted() {
	sums >"$T/sums.json" &&
	    grep -q "\"ok\": $N," "$T/sums.json" &&
	    grep -q '"inflight": 0,' "$T/sums.json"
}
wait_for all_counted 20 ||
    fp_fail "the daemons' answered.ok does not add up to $N (or entries" \
    "still held): $(cat "$T/sums.json")"
fp_info "sources: $(cat "$T/sums.json")"
"$FP_PY" - "$T/sums.json" "$N" "$T/verify.json" <<'PY' ||
import json, sys

t, n = json.load(open(sys.argv[1])), int(sys.argv[2])
v = json.load(open(sys.argv[3]))
bad = []
if t["by"] != v["by"]:
	bad.append("answers by consumer: the daemons count %r, the reply "
	    "stream has %r" % (t["by"], v["by"]))
if t["in"] < n:
	bad.append("read + claimed + recovered %d < %d" % (t["in"], n))
if t["ok"] != n:
	bad.append("answered.ok %d != %d" % (t["ok"], n))
if t["other"]:
	bad.append("answered with errors: %r" % (t["other"],))
for k in ("suppressed", "lost", "dead_lettered", "leases_lost", "inflight",
    "answers_dropped"):
	if t[k] != 0:
		bad.append("%s %d, not 0" % (k, t[k]))
if sorted(t["by"]) != ["a", "b", "c"] or min(t["by"].values()) == 0:
	bad.append("each consumer answered some: %r" % (t["by"],))
for b in bad:
	sys.stderr.write("FAIL: %s\n" % b)
sys.exit(1 if bad else 0)
PY
    fp_fail "the sources' figures (above)"

# A graceful stop leaves the group clean: no consumer pending, no lease.
for p in $A $B $C; do
	fp_stop "$p" 20 || true
	assert_eq 0 "$FP_STATUS" "exit status of daemon $p after SIGTERM"
done
fp_fpstream --port "$RPORT" pending --stream "$STREAM" --group forkpool \
    >"$T/pending.json"
assert_grep '"count": 0,' "$T/pending.json" "nothing pending after the stop"
assert_eq "" "$(fp_redis_cli r XINFO CONSUMERS "$STREAM" forkpool)" \
    "consumers left in the group after the stops"
for x in a b c; do
	assert_eq 0 "$(fp_redis_cli r EXISTS "$STREAM:alive:$x")" \
	    "lease key of $x after its stop"
done
for l in "$T"/*.log; do
	assert_no_grep 'event=source_(down|suppressed|lost|lease_lost|claim)' \
	    "$l" "no outage, claim or loss in ${l##*/}"
done
