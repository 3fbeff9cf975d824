#!/bin/sh
# stream_hostile.sh -- forkpool-streams(7) against a hostile producer
# (anyone who may XADD), the attacks found in review of issue 13:
#  - ids a producer chooses at the top of the range: 9223372036854775000-0
#    with a timeout (a signed overflow in the deadline killed the sanitizer
#    build) and 9999999999999999999-0 (read as negative: held unanswered,
#    and so every later `*' id of the stream, claimed and dead-lettered
#    without running): each runs at once (dc 1), answered ok;
#  - reply_to naming the source's own keys (the stream itself, its
#    dead-letter stream, its lease key, a done marker) or holding a NUL:
#    answered bad_request to nobody, the key untouched (no entry added, no
#    expiry on the task stream, lease key intact), logged
#    source_answer_failed;
#  - a cid holding a NUL: bad_request;
#  - an entry of 5,000 fields runs as any other; one of 5,000 fields at
#    max-deliveries is dead-lettered exactly once (its copy cut to 3,500
#    fields and `cut' 5000 recorded; an unpack of them all failed the
#    claim script after its answer, for ever: a dead_lettered answer at
#    each retry and the source down), and the source stays up: a plain
#    entry after it is answered.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis

fp_redis_start r
cat >"$FP_CONF" <<CONF
workers 2
source "jobs" redis {
	port $RPORT
	stream "{jobs}:tasks"
	consumer "a"
	claim-idle 1s
	claim-interval 200ms
	io-timeout 500ms
	max-deliveries 3
	reply-maxlen 100000
}
CONF
fp_start -T
fp_source_up "$FP_SOCK" 10

"$FP_PY" - "$RPORT" >"$T/py.out" 2>&1 <<'PY' || { cat "$T/py.out" >&2; fp_fail "see above"; }
import sys, time, msgpack, redis
r = redis.Redis(port=int(sys.argv[1]))
S, R, D = "{jobs}:tasks", "{jobs}:r", "{jobs}:tasks:dead"
P = msgpack.packb(["hi"])

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

def answers(timeout, want):
    end = time.time() + timeout
    while time.time() < end:
        got = {}
        for eid, f in r.xrange(R):
            got.setdefault(f[b"re"].decode(), []).append(f)
        if all(i in got for i in want):
            return got
        time.sleep(0.05)
    fail("not answered within %s s: %s" % (timeout,
        [i for i in want if i not in got]))

def one(got, i, code):
    a = got[i]
    if len(a) != 1:
        fail("%s answered %d times" % (i, len(a)))
    a = a[0]
    if code == "ok":
        if b"res" not in a:
            fail("%s: %r, expected a result" % (i, a))
    else:
        e = msgpack.unpackb(a[b"err"])
        if e["code"] != code:
            fail("%s: %r, expected %s" % (i, e, code))
    return a

# Ids at the top of the range, and `*' after them.
big = r.xadd(S, {"method": "echo", "params": P, "reply_to": R,
    "timeout": "5000"}, id="9223372036854775000-0").decode()
top = r.xadd(S, {"method": "echo", "params": P, "reply_to": R},
    id="9999999999999999999-0").decode()
after = r.xadd(S, {"method": "echo", "params": P, "reply_to": R}).decode()
got = answers(5, [big, top, after])
for i in (big, top, after):
    if one(got, i, "ok")[b"dc"] != b"1":
        fail("%s ran with dc %r, expected 1 (held, then claimed?)" %
            (i, got[i][0][b"dc"]))

# reply_to: the source's own keys, or a name with a NUL.
lease = [k.decode() for k in r.keys("{jobs}:tasks:alive:*")]
if len(lease) != 1:
    fail("lease keys: %r" % lease)
lease_val = r.get(lease[0])
r.set("{jobs}:tasks:done:1-1", "x")
slen, dlen = r.xlen(S), r.exists(D) and r.xlen(D)
bad = {}
for rt in (S, D, lease[0], "{jobs}:tasks:done:1-1", R + "\0x"):
    bad[r.xadd(S, {"method": "echo", "params": P,
        "reply_to": rt}).decode()] = rt
nul_cid = r.xadd(S, {"method": "echo", "params": P, "reply_to": R,
    "cid": "a\0b"}).decode()
got = answers(5, [nul_cid])
one(got, nul_cid, "bad_request")
end = time.time() + 5
while r.xpending(S, "forkpool")["pending"] and time.time() < end:
    time.sleep(0.05)
if r.xpending(S, "forkpool")["pending"]:
    fail("entries left pending: %r" % r.xpending(S, "forkpool"))
if r.xlen(S) != slen + len(bad) + 1:
    fail("the task stream grew by %d, expected %d (an answer written "
        "into it?)" % (r.xlen(S) - slen, len(bad) + 1))
if r.pttl(S) != -1:
    fail("the task stream got an expiry: %d ms" % r.pttl(S))
if (r.exists(D) and r.xlen(D)) != dlen:
    fail("the dead-letter stream changed")
if r.get(lease[0]) != lease_val or r.get("{jobs}:tasks:done:1-1") != b"x":
    fail("a key of the source's own was written")
if r.exists(R + "\0x") or r.exists(R + "\0"):
    fail("an answer went to a reply_to with a NUL")
for i in list(bad) + [nul_cid]:
    if i in got and i != nul_cid:
        fail("%s answered on %s" % (i, R))

# 5,000 fields: run, and dead-lettered at max-deliveries.
many = {"f%d" % k: "v%d" % k for k in range(4997)}
many.update({"method": "echo", "params": P, "reply_to": R})
ran = r.xadd(S, many).decode()
got = answers(5, [ran])
one(got, ran, "ok")
PY
grep -q '^FAIL' "$T/py.out" && { cat "$T/py.out" >&2; fp_fail "see above"; }

# The poison entry: delivered 5 times to consumer x, which died, while a
# is stopped; then a plain entry.  a, started again, claims it after
# claim-idle and dead-letters it.
fp_stop_clean
"$FP_PY" - "$RPORT" >"$T/py2.out" 2>&1 <<'PY' || { cat "$T/py2.out" >&2; fp_fail "see above"; }
import sys, msgpack, redis
r = redis.Redis(port=int(sys.argv[1]))
S, R = "{jobs}:tasks", "{jobs}:r"
P = msgpack.packb(["hi"])
many = {"f%d" % k: "v%d" % k for k in range(4997)}
many.update({"method": "echo", "params": P, "reply_to": R})
poison = r.xadd(S, many).decode()
got = r.xreadgroup("forkpool", "x", {S: ">"}, count=10)
ids = [e[0].decode() for e in got[0][1]]
if ids != [poison]:
    print("FAIL: read %r, expected only %s" % (ids, poison))
    sys.exit(1)
r.xclaim(S, "forkpool", "x", 0, [poison], retrycount=5, justid=True)
plain = r.xadd(S, {"method": "echo", "params": P, "reply_to": R}).decode()

print(poison, plain)
PY
read -r poison plain <"$T/py2.out"
fp_start -T
fp_source_up "$FP_SOCK" 10
"$FP_PY" - "$RPORT" "$poison" "$plain" >"$T/py3.out" 2>&1 <<'PY' || { cat "$T/py3.out" >&2; fp_fail "see above"; }
import sys, time, msgpack, redis
r = redis.Redis(port=int(sys.argv[1]))
S, R, D = "{jobs}:tasks", "{jobs}:r", "{jobs}:tasks:dead"
poison, plain = sys.argv[2], sys.argv[3]
def answers_of(i):
    return [f for _, f in r.xrange(R) if f[b"re"].decode() == i]
end = time.time() + 8
while time.time() < end and not (answers_of(poison) and answers_of(plain)):
    time.sleep(0.05)
time.sleep(1.5)		# retries, if any, would add answers meanwhile
a, b = answers_of(poison), answers_of(plain)
if len(b) != 1 or b"res" not in b[0]:
    print("FAIL: the plain entry after the poison: %r" % b)
    sys.exit(1)
if len(a) != 1:
    print("FAIL: the poison entry answered %d times" % len(a))
    sys.exit(1)
e = msgpack.unpackb(a[0][b"err"])
if e["code"] != "dead_lettered" or a[0][b"dc"] != b"5":
    print("FAIL: poison answered %r dc %r" % (e, a[0][b"dc"]))
    sys.exit(1)
dead = r.xrange(D)
if len(dead) != 1:
    print("FAIL: %d dead-letter copies" % len(dead))
    sys.exit(1)
f = dead[0][1]
if f.get(b"cut") != b"5000" or f.get(b"re") != poison.encode() or \
    b"f3490" not in f:
    print("FAIL: dead-letter copy: cut=%r re=%r fields=%d" %
        (f.get(b"cut"), f.get(b"re"), len(f)))
    sys.exit(1)
if r.xpending(S, "forkpool")["pending"]:
    print("FAIL: pending: %r" % r.xpending(S, "forkpool"))
    sys.exit(1)
PY
src=$(fp_sources "$FP_SOCK")
printf '%s\n' "$src" | "$FP_PY" -c '
import json, sys
s = json.load(sys.stdin)[0]
assert s["state"] == "up", s["state"]
assert s["dead_lettered"] == 1, s["dead_lettered"]
assert s["reconnects"] == 0, ("reconnects", s["reconnects"])
' || fp_fail "sources after the poison entry: $src"
if grep -q 'source_down' "$FP_LOG"; then
	grep 'source_down' "$FP_LOG" >&2
	fp_fail "the source went down"
fi
assert_grep 'event=source_answer_failed .*reply_to names one of the source' \
    "$FP_LOG" "reply_to refused, logged"
fp_stop_clean
