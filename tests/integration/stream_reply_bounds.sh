#!/bin/sh
# stream_reply_bounds.sh -- forkpool-streams(7): a producer that never
# reads its answers costs Redis a bounded reply stream.  1,000 entries
# answered into one reply stream that nobody reads, with reply-maxlen 50
# and reply-ttl 2s: the stream never holds more than reply-maxlen and one
# node of Redis's (100 entries: MAXLEN ~ trims whole nodes), carries an
# expiry of at most reply-ttl, and is gone once that has passed with no
# answer added; every entry is acked (nothing pending) all the same.
# fp-once: a stream scenario; the sanitizer build runs the source code it
# reaches through stream_many, _entries, _kill9, _partition, _stop, _poison,
# _trim and _hostile (the suite stays under 10 minutes).
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
	claim-idle 2s
	claim-interval 200ms
	io-timeout 1s
	reply-maxlen 50
	reply-ttl 2s
}
CONF
fp_start -T
fp_source_up "$FP_SOCK" 10

"$FP_PY" - "$RPORT" >"$T/py.out" 2>&1 <<'PY' || { cat "$T/py.out" >&2; fp_fail "see above"; }
import sys, time, msgpack, redis
r = redis.Redis(port=int(sys.argv[1]))
S, R = "{jobs}:tasks", "{jobs}:r"
p = r.pipeline(transaction=False)
for i in range(1000):
    p.xadd(S, {"method": "echo", "params": msgpack.packb([i]), "reply_to": R})
p.execute()
most, ttls = 0, []
end = time.time() + 20
while time.time() < end:
    most = max(most, r.xlen(R))
    ttls.append(r.pttl(R))
    x = r.xinfo_groups(S)[0]
    if x["pending"] == 0 and x.get("lag", 0) == 0 and \
        r.xinfo_stream(R)["entries-added"] == 1000:
        break
    time.sleep(0.01)
else:
    print("FAIL: not all answered in 20 s: %r" % r.xinfo_groups(S))
    sys.exit(1)
most = max(most, r.xlen(R))
if most > 150:
    print("FAIL: the unread reply stream reached %d entries (reply-maxlen "
        "50)" % most)
    sys.exit(1)
if any(t > 2000 or t == -1 for t in ttls):
    print("FAIL: reply stream expiry %r, expected at most 2000 ms" %
        sorted(set(ttls))[-3:])
    sys.exit(1)
end = time.time() + 5
while r.exists(R) and time.time() < end:
    time.sleep(0.05)
if r.exists(R):
    print("FAIL: the reply stream outlived reply-ttl: pttl %d" % r.pttl(R))
    sys.exit(1)
print("most", most)
PY
fp_stop_clean
