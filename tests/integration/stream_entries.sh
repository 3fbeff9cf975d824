#!/bin/sh
# stream_entries.sh -- forkpool-streams(7): the ENTRY FORMAT, the ANSWER
# FORMAT, the statistics and the metrics of a source.  One daemon (two
# workers, prefetch 1, breakers off, `handler sleep timeout 1s',
# max-request-size 64K, metrics-listen on a free port) reads entries made
# to test each field:
#   method  absent: bad_request; unknown or administrative (forkpool.ping):
#           no_such_method;
#   params  absent: [] (echo [] is the handler's invalid_params); a map,
#           bytes that are not MessagePack, a truncated array, two arrays,
#           text: bad_request; larger than max-request-size: too_large;
#   v       "1": run; "2" or "": bad_request;
#   cid     copied to the answer; 128 bytes: run; 129: bad_request;
#   timeout only shortens the configured one (sleep 2000 with 300 or 5000
#           both time out; sleep 50 with 5000 or 0 runs); not a decimal in
#           0..30 days: bad_request; counted from the entry's id: entries
#           added with the ids 1-1 (timeout 1000) and 1-2 (none: the
#           default 30 s) are answered timeout without running (they are
#           `crash': had they run, worker_crashed), as is a crash with
#           timeout 200 queued behind two sleep 400;
#   retries crash with 2: worker_crashed, attempts 3; with 0 or none
#           (the default): attempts 1; 101: bad_request;
#   reply_to absent or empty: no answer, yet acknowledged and counted in
#           answered; a key that is not a stream: no answer, acknowledged,
#           counted in lost, logged as source_answer_failed;
#   others  ignored.
# Each answer has re, cid (only if the entry had one), res or err, dc 1,
# by "a"; err decodes to a map {code, message} (attempts, signal, status
# where forkpool-rpc(7) says); exactly one answer per entry, nothing
# pending.  forkpool.stats "sources" has exactly the fields that
# forkpool-streams(7) STATISTICS lists, with answered equal to the
# outcomes above; the Prometheus text (over HTTP, which `promtool check
# metrics' passes) has exactly the forkpool_source_* families that
# STATISTICS names, labelled source="jobs" (and outcome), with the values
# of forkpool.stats.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=SCRIPTDIR/../redis.sh
. "$(dirname "$0")/../redis.sh"
fp_need_redis
command -v curl >/dev/null 2>&1 || fp_skip "curl is not installed"
command -v promtool >/dev/null 2>&1 ||
	fp_skip "promtool is not installed (Debian: prometheus; make deps)"

STREAM='{jobs}:tasks'
REPLY='{jobs}:reply'
fp_redis_start r
export RPORT STREAM REPLY

# Before the daemon (whose group starts at 0, so that it reads them):
# entries whose ids say they were added at the epoch.
fp_redis_cli r -e XADD "$STREAM" 1-1 method crash timeout 1000 cid old-1 \
    reply_to "$REPLY" >/dev/null
fp_redis_cli r -e XADD "$STREAM" 1-2 method crash cid old-2 \
    reply_to "$REPLY" >/dev/null
fp_redis_cli r -e SET '{jobs}:notastream' x >/dev/null

mport=$("$FP_PY" "$FP_INTEG/fphttp.py" port)
cat >"$FP_CONF" <<CONF
workers 2
prefetch 1
breaker-threshold 0
respawn-backoff-max 100ms
max-request-size 64K
handler sleep timeout 1s
metrics-listen 127.0.0.1:$mport
source "jobs" redis {
	port $RPORT
	stream "$STREAM"
	consumer "a"
	claim-idle 2s
	claim-interval 200ms
	io-timeout 1s
	reply-maxlen 1000000
}
CONF
fp_start -T
fp_source_up "$FP_SOCK"

fp_py <<'PY' || fp_fail "entries and answers (see above)"
import json, os, time
import msgpack, redis
import fpclient as fc
import fpstream

S, R = os.environ["STREAM"], os.environ["REPLY"]
r = redis.Redis(port=int(os.environ["RPORT"]), socket_timeout=10)
pk = lambda v: msgpack.packb(v, use_bin_type=True)
cases = {}	# id: (name, expected code, check or None, answered?)
answers = {}	# id: [decoded answers]
last = "0"


def add(name, fields, code, check=None, reply=True, eid="*"):
	f = dict(fields)
	if reply:
		f.setdefault("reply_to", R)
	x = fpstream.s(r.xadd(S, f, id=eid))
	cases[x] = (name, code, check, reply)
	return x


def collect(ids, tmo):
	"""Read the reply stream until each of ids is answered (bounded)."""
	global last
	end = time.monotonic() + tmo
	while not all(x in answers for x in ids):
		left = end - time.monotonic()
		if left <= 0:
			fc.fail("no answer to %r after %g s" % ([cases[x][0] for x in
			    ids if x not in answers], tmo))
		for _, ents in r.xread({R: last}, count=1000,
		    block=max(1, int(min(left, 0.2) * 1000))) or []:
			for aid, f in ents:
				last = fpstream.s(aid)
				a = fpstream.decode_answer(aid, f)
				a["fields"] = sorted(fpstream.s(k) for k in f)
				answers.setdefault(a["re"], []).append(a)


def attempts(n):
	def chk(a):
		if a["err"].get("attempts") != n:
			return "attempts %r, not %d" % (a["err"].get("attempts"), n)
	return chk


def result(v):
	def chk(a):
		if a["res"] != v:
			return "result %r, not %r" % (a["res"], v)
	return chk


def message(part):
	def chk(a):
		if part not in a["err"].get("message", ""):
			return "message %r lacks %r" % (a["err"].get("message"),
			    part)
	return chk


# The two entries added at the epoch: timeout without running.
for x in ("1-1", "1-2"):
	cases[x] = ("id %s, crash" % x, "timeout",
	    message("passed before it could run"), True)

# Phase 1: the format, entries that run at once or never.
add("good", {"method": "echo", "params": pk(["hi"]), "cid": "c-good",
    "v": "1", "timeout": "5000", "retries": "0", "x-other": "ignored"},
    "ok", result("hi"))
add("no cid", {"method": "echo", "params": pk([1])}, "ok", result(1))
add("no params", {"method": "echo", "cid": "c-np"}, "invalid_params")
add("no method", {"params": pk([1]), "cid": "c-nm"}, "bad_request")
add("unknown method", {"method": "nosuch", "cid": "c-um"}, "no_such_method")
add("admin method", {"method": "forkpool.ping"}, "no_such_method")
add("params map", {"method": "echo", "params": pk({"a": 1})}, "bad_request")
add("params not msgpack", {"method": "echo", "params": b"\xc1"},
    "bad_request")
add("params truncated", {"method": "echo", "params": b"\x92\x01"},
    "bad_request")
add("params two arrays", {"method": "echo", "params": b"\x90\x90"},
    "bad_request")
add("params text", {"method": "echo", "params": "hello"}, "bad_request")
add("params too large", {"method": "echo", "params": pk(["x" * 70000])},
    "too_large")
add("v 2", {"method": "echo", "params": pk([1]), "v": "2"}, "bad_request")
add("v empty", {"method": "echo", "params": pk([1]), "v": ""},
    "bad_request")
add("cid 128", {"method": "echo", "params": pk([2]), "cid": "x" * 128},
    "ok", result(2))
long_cid = add("cid 129", {"method": "echo", "params": pk([3]),
    "cid": "y" * 129}, "bad_request")
add("timeout abc", {"method": "echo", "params": pk([1]), "timeout": "abc"},
    "bad_request")
add("timeout -1", {"method": "echo", "params": pk([1]), "timeout": "-1"},
    "bad_request")
add("timeout > 30 days", {"method": "echo", "params": pk([1]),
    "timeout": "2592000001"}, "bad_request")
add("timeout 30 days", {"method": "echo", "params": pk([4]),
    "timeout": "2592000000"}, "ok", result(4))
add("retries 101", {"method": "echo", "params": pk([1]), "retries": "101"},
    "bad_request")
add("sleep x", {"method": "sleep", "params": pk(["x"])}, "invalid_params")
ff = [add("no reply_to", {"method": "echo", "params": pk([5])}, "ok",
    reply=False),
    add("reply_to empty", {"method": "echo", "params": pk([6]),
    "reply_to": ""}, "ok", reply=False)]
failed = add("reply_to not a stream", {"method": "echo", "params": pk([7]),
    "reply_to": "{jobs}:notastream", "cid": "c-nas"}, None, reply=False)
collect([x for x in cases if cases[x][3]], 30)

def workers_ready():
	"""Both workers up and idle (after the kills of timeouts, crashes)."""
	fc.wait_stats(os.environ["FP_SOCK"], lambda st: st["workers_ready"] ==
	    2 and st["workers_busy"] == 0, "two idle workers", 20)


# Phase 2: timeout shortens the configured 1 s, never lengthens it.
ids = [add("sleep 2000 timeout 300", {"method": "sleep",
    "params": pk([2000]), "timeout": "300"}, "timeout"),
    add("sleep 2000 timeout 5000", {"method": "sleep",
    "params": pk([2000]), "timeout": "5000"}, "timeout")]
collect(ids, 20)
workers_ready()
ids = [add("sleep 50 timeout 5000", {"method": "sleep", "params": pk([50]),
    "timeout": "5000"}, "ok", result(50)),
    add("sleep 50 timeout 0", {"method": "sleep", "params": pk([50]),
    "timeout": "0"}, "ok", result(50))]
collect(ids, 20)

# Phase 3: a deadline that passes in the queue, behind two sleeps.
workers_ready()
ids = [add("sleep 400 (%d)" % i, {"method": "sleep", "params": pk([400])},
    "ok", result(400)) for i in (1, 2)]
ids.append(add("crash timeout 200, queued", {"method": "crash",
    "timeout": "200", "cid": "c-queued"}, "timeout"))
collect(ids, 20)

# Phase 4: retries.
ids = [add("crash retries 2", {"method": "crash", "retries": "2",
    "cid": "c-r2"}, "worker_crashed", attempts(3)),
    add("crash retries 0", {"method": "crash", "retries": "0"},
    "worker_crashed", attempts(1)),
    add("crash, no retries", {"method": "crash"}, "worker_crashed",
    attempts(1))]
collect(ids, 30)

# What nobody is answered to: acknowledged all the same.
def acked():
	return all(not r.xpending_range(S, "forkpool", min=x, max=x, count=1)
	    for x in ff + [failed])
if not fpstream.poll(10, acked)[2]:
	fc.fail("entries without an answer still pending after 10 s")
# Late duplicates, if any: a last look 300 ms on.
fpstream.poll(0.3, lambda: False)
collect([], 1)

bad = []
for x, (name, code, check, reply) in cases.items():
	got = answers.get(x, [])
	if not reply:
		if got:
			bad.append("%s: answered %r" % (name, got))
		continue
	if len(got) != 1:
		bad.append("%s: %d answers" % (name, len(got)))
		continue
	a = got[0]
	if a["code"] != code:
		bad.append("%s: %s, expected %s (%r)" % (name, a["code"], code,
		    a.get("err")))
		continue
	if a["dc"] != "1" or a["by"] != "a":
		bad.append("%s: dc %r by %r" % (name, a["dc"], a["by"]))
	cid = fpstream.s(r.xrange(S, x, x)[0][1].get(b"cid"))
	want = ["by", "dc", "re", "res" if code == "ok" else "err"]
	if cid is not None and x != long_cid:
		want.append("cid")
	if x == long_cid and "cid" in a["fields"]:
		want.append("cid")	# copied or left out: both honest
	if a["fields"] != sorted(want):
		bad.append("%s: fields %r, expected %r" % (name, a["fields"],
		    sorted(want)))
	if "cid" in a["fields"] and a["cid"] != cid:
		bad.append("%s: cid %r, the entry's is %r" % (name, a["cid"], cid))
	if code != "ok":
		e = a["err"]
		if not isinstance(e, dict) or not isinstance(e.get("message"),
		    str) or not e["message"]:
			bad.append("%s: err %r is not {code, message}" % (name, e))
		else:
			extra = set(e) - {"code", "message"}
			allowed = {"attempts", "signal", "status"} \
			    if code in ("worker_crashed", "timeout") else set()
			if extra - allowed:
				bad.append("%s: err %r has keys beyond {code, "
				    "message}" % (name, e))
	if check is not None:
		why = check(a)
		if why:
			bad.append("%s: %s" % (name, why))
extra = set(answers) - set(cases)
if extra:
	bad.append("answers to ids never added: %r" % (sorted(extra),))
if r.xpending(S, "forkpool")["pending"] != 0:
	bad.append("pending: %r" % (r.xpending(S, "forkpool"),))
for b in bad:
	print("FAIL: %s" % b)
if bad:
	raise SystemExit(1)

want = {}
for name, code, check, reply in cases.values():
	if code is not None:
		want[code] = want.get(code, 0) + 1
json.dump({"answered": want, "entries": len(cases)},
    open(os.environ["T"] + "/want.json", "w"))
print("%d entries, answered %r" % (len(cases), want))
PY

# The figures: settled once the last answer script has replied.
settled() {
	fp_sources "$FP_SOCK" >"$T/src.json" &&
	    grep -q '"inflight": 0,' "$T/src.json" &&
	    "$FP_PY" -c 'import json, sys
x, w = json.load(open(sys.argv[1]))[0], json.load(open(sys.argv[2]))
sys.exit(0 if x["answered"] == w["answered"] and x["lost"] == 1 else 1)' \
	    "$T/src.json" "$T/want.json"
}
wait_for settled 10 ||
    fp_fail "forkpool.stats sources: $(cat "$T/src.json"), expected" \
    "answered $(cat "$T/want.json") and lost 1"
assert_grep 'event=source_answer_failed source="?jobs"? id=[0-9]+-[0-9]+ cid="?c-nas"? ' \
    "$FP_LOG" "the answer to a reply_to that is not a stream"
assert_grep 'event=task_failed .*handler=crash .*corr="?c-r2"?' "$FP_LOG" \
    "task events carry the entry's cid"

url=http://127.0.0.1:$mport/metrics
fp_run curl -sS --max-time 5 -o "$T/metrics" "$url"
assert_status 0 "curl $url"
fp_run promtool check metrics <"$T/metrics"
if [ "$FP_RC" -ne 0 ] || [ -s "$T/out" ] || [ -s "$T/err" ]; then
	fp_show_output
	fp_fail "promtool check metrics found problems in the text"
fi
fp_sources "$FP_SOCK" >"$T/src.json"

fp_py "$FP_ROOT/man/forkpool-streams.7" "$T/src.json" "$T/metrics" \
    "$T/want.json" <<'PY' || fp_fail "stats and metrics against forkpool-streams(7)"
import json, re, sys
import fpclient as fc
import fphttp

man = open(sys.argv[1]).read().split("\n")
src = json.load(open(sys.argv[2]))
vals, fams = fphttp.samples(open(sys.argv[3]).read())
want = json.load(open(sys.argv[4]))

# STATISTICS: `.It Cm name' or `.It Cm a , b , c', up to `.El'; then the
# gauges, the `.Li forkpool_source_...' after "The gauges are".
a = man.index(".Sh STATISTICS")
b = next(i for i in range(a + 1, len(man)) if man[i].startswith(".Sh "))
sec = man[a:b]
fields = []
for ln in sec[:sec.index(".El")]:
	m = re.match(r"\.It Cm (.*)$", ln)
	if m:
		fields += [x.strip() for x in m.group(1).split(",")]
g = sec.index("The gauges are")
gauges = [re.match(r"\.Li (forkpool_source_\w+)", ln).group(1)
    for ln in sec[g:] if re.match(r"\.Li forkpool_source_\w+", ln)]
if len(fields) < 20 or len(gauges) < 4:
	fc.fail("forkpool-streams.7 STATISTICS: fields %r, gauges %r" %
	    (fields, gauges))

if len(src) != 1:
	fc.fail("sources: %r" % (src,))
x = src[0]
if sorted(x) != sorted(fields):
	fc.fail("forkpool.stats sources fields %r; STATISTICS lists %r" %
	    (sorted(x), sorted(fields)))
exp = {"name": "jobs", "stream": "{jobs}:tasks", "group": "forkpool",
    "consumer": "a", "state": "up", "up": True, "reconnects": 0,
    "read": want["entries"], "claimed": 0, "recovered": 0,
    "suppressed": 0, "dead_lettered": 0, "lost": 1, "leases_lost": 0,
    "inflight": 0, "answers_buffered": 0, "answers_dropped": 0,
    "answered": want["answered"]}
for k, v in exp.items():
	if x[k] != v:
		fc.fail("sources[0].%s is %r, expected %r" % (k, x[k], v))
for k in ("lease_renewals", "reads_skipped", "rtt_us"):
	if type(x[k]) is not int or x[k] < 0:
		fc.fail("sources[0].%s is %r" % (k, x[k]))

# The families: each number but the gauges' is a counter NAME_total.
nums = [k for k in fields if type(x[k]) is int or k == "answered"]
gauge_of = {"forkpool_source_" + k: k for k in nums
    if "forkpool_source_" + k in gauges}
gauge_of["forkpool_source_up"] = "up"
gauge_of["forkpool_source_rtt_seconds"] = "rtt_us"
counters = {"forkpool_source_%s_total" % k: k for k in nums
    if k not in gauge_of.values()}
page = dict((n, "gauge") for n in gauges)
page.update((n, "counter") for n in counters)
mine = {n: t for n, t in fams.items() if n.startswith("forkpool_source_")}
if mine != page:
	fc.fail("forkpool_source_* families %r; STATISTICS says %r" %
	    (mine, page))
if sorted(gauge_of) != sorted(gauges):
	fc.fail("gauges %r, STATISTICS %r" % (sorted(gauge_of), gauges))
series = {k: v for k, v in vals.items()
    if k.startswith("forkpool_source_")}
seen = set()
changing = ("lease_renewals", "rtt_us", "reads_skipped")
for n, k in list(counters.items()) + list(gauge_of.items()):
	if k == "answered":
		for code, v in x["answered"].items():
			s = '%s{source="jobs",outcome="%s"}' % (n, code)
			if series.get(s) != str(v):
				fc.fail("%s is %r, forkpool.stats says %r" %
				    (s, series.get(s), v))
			seen.add(s)
		continue
	s = '%s{source="jobs"}' % n
	if s not in series:
		fc.fail("no %s in the metrics" % s)
	seen.add(s)
	if k in changing:
		continue
	v = int(x[k]) if k != "up" else (1 if x[k] else 0)
	if series[s] != str(v):
		fc.fail("%s is %s, forkpool.stats says %r" % (s, series[s], v))
if set(series) != seen:
	fc.fail("series not in forkpool.stats: %r" %
	    (sorted(set(series) - seen),))
print("%d forkpool_source_* series, as STATISTICS lists them" % len(seen))
PY
