#!/bin/sh
# metrics_http.sh -- metrics-listen serves GET /metrics: 200 with the
# Prometheus text (version=0.0.4) that `promtool check metrics' passes, the
# same text as forkpool.metrics but for the values that change by
# themselves; forkpool_tasks_total and the histograms count exactly the
# calls made; HEAD, a query string, 404 for another path, 405 for POST.
# (Hostile clients: metrics_http_abuse.sh; the names against forkpoold(8):
# metrics_names.sh; a port in use: metrics_listen_busy.sh.)
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null 2>&1 || fp_skip "curl is not installed"
command -v promtool >/dev/null 2>&1 ||
	fp_skip "promtool is not installed (Debian: prometheus; make deps)"

port=$("$FP_PY" "$FP_INTEG/fphttp.py" port)
printf 'metrics-listen 127.0.0.1:%s\n' "$port" >"$FP_CONF"
fp_start -w 2
assert_grep "event=metrics_listen addr=127\.0\.0\.1:$port " "$FP_LOG" \
    "the listener is logged"
url=http://127.0.0.1:$port/metrics

# 37 calls of echo (ok) and 3 of sleep that fail (invalid_params).
fp_py <<'PY' || fp_fail "the calls (see above)"
import os
import fpclient as fc

c = fc.Conn(os.environ["FP_SOCK"])
for i in range(37):
	err, res = c.call("echo", [i])
	if err is not None or res != i:
		fc.fail("echo %d: %r %r" % (i, err, res))
for i in range(3):
	err, res = c.call("sleep", ["x"])
	if fc.code(err) != "invalid_params":
		fc.fail("sleep x: %r %r" % (err, res))
PY

# The workers' run times are folded on the 100 ms tick.
have_runs() {
	curl -sS --max-time 5 -o "$T/m" "$url" &&
	    grep -q '^forkpool_task_run_seconds_count{handler="echo"} 37$' \
	    "$T/m"
}
wait_for have_runs 10 || {
	cat "$T/m" >&2
	fp_fail "forkpool_task_run_seconds_count of echo never reached 37"
}

fp_run curl -sS --max-time 5 -D "$T/h" -o "$T/body" "$url"
assert_status 0 "curl $url"
tr -d '\r' <"$T/h" >"$T/head"
assert_grep '^HTTP/1\.1 200 OK$' "$T/head" "GET /metrics status"
assert_grep '^Content-Type: text/plain; version=0\.0\.4; charset=utf-8$' \
    "$T/head" "GET /metrics Content-Type"
assert_grep "^Content-Length: $(wc -c <"$T/body" | tr -d ' ')\$" \
    "$T/head" "GET /metrics Content-Length"
assert_grep '^Connection: close$' "$T/head" "GET /metrics Connection"
fp_run promtool check metrics <"$T/body"
if [ "$FP_RC" -ne 0 ] || [ -s "$T/out" ] || [ -s "$T/err" ]; then
	fp_show_output
	fp_fail "promtool check metrics found problems in the text"
fi

fp_version
for l in \
    'forkpool_tasks_total{handler="echo",outcome="ok"} 37' \
    'forkpool_tasks_total{handler="sleep",outcome="invalid_params"} 3' \
    'forkpool_task_wait_seconds_count{handler="echo"} 37' \
    'forkpool_task_wait_seconds_bucket{handler="echo",le="+Inf"} 37' \
    'forkpool_task_run_seconds_bucket{handler="echo",le="+Inf"} 37' \
    'forkpool_task_run_seconds_bucket{handler="echo",le="4294.967296"} 37' \
    'forkpool_workers{state="idle"} 2' \
    'forkpool_worker_spawns_total 2' \
    'forkpool_worker_exits_total{reason="crashed"} 0' \
    "forkpool_build_info{version=\"$version\"} 1" \
    'forkpool_queued_tasks 0'; do
	grep -qxF "$l" "$T/body" || {
		cat "$T/body" >&2
		fp_fail "no line '$l' in the metrics"
	}
done
assert_no_grep 'forkpool_tasks_total\{handler="sleep",outcome="ok"\}' \
    "$T/body" "only the outcomes seen have a series"
assert_grep '^forkpool_worker_resident_memory_bytes\{slot="0"\} [1-9][0-9]*$' \
    "$T/body" "the RSS of worker 0"

# The same text over RPC, but for values that change by themselves.
fp_py "$url" <<'PY' || fp_fail "forkpool.metrics against GET /metrics"
import os, subprocess, sys
import fpclient as fc
import fphttp

port = int(sys.argv[1].split(":")[2].split("/")[0])
c = fc.Conn(os.environ["FP_SOCK"])
err, text = c.call("forkpool.metrics", [])
if err is not None or not isinstance(text, str):
	fc.fail("forkpool.metrics: %r %r" % (err, text))
st, h, body = fphttp.get(port)
if st != 200:
	fc.fail("GET /metrics: %d" % st)
a, fa = fphttp.samples(text)
b, fb = fphttp.samples(body.decode())
if list(fa.items()) != list(fb.items()):
	fc.fail("families differ:\n%r\n%r" % (fa, fb))
if sorted(a) != sorted(b):
	fc.fail("series differ: %r" % sorted(set(a) ^ set(b)))
# The socket byte counters count the RPC call's own answer, sent after.
moving = ("forkpool_worker_resident_memory_bytes",
    "forkpool_oldest_running_task_seconds", "forkpool_bytes_")
for k in a:
	if not k.startswith(moving) and a[k] != b[k]:
		fc.fail("%s: %s over RPC, %s over HTTP" % (k, a[k], b[k]))
PY

fp_py "$port" <<'PY' || fp_fail "HEAD, query, 404, 405"
import sys
import fpclient as fc
import fphttp

port = int(sys.argv[1])
st, h, body = fphttp.get(port, method="HEAD")
if st != 200 or not h["content-type"].startswith("text/plain; version=0.0.4"):
	fc.fail("HEAD /metrics: %d %r" % (st, h))
st, h, body = fphttp.get(port, "/metrics?name[]=forkpool_queued_tasks")
if st != 200 or b"# TYPE forkpool_queued_tasks gauge" not in body:
	fc.fail("GET /metrics?...: %d %r" % (st, body[:200]))
for path in ("/other", "/", "/metrics/", "/metricsx"):
	st, h, body = fphttp.get(port, path)
	if st != 404:
		fc.fail("GET %s: %d, expected 404" % (path, st))
for m in ("POST", "PUT", "DELETE"):
	st, h, body = fphttp.get(port, method=m)
	if st != 405 or h.get("allow") != "GET, HEAD":
		fc.fail("%s /metrics: %d %r, expected 405" % (m, st, h))
PY
fp_run curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$port/other"
assert_out 404 "curl /other"
fp_run curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST \
    --data x "$url"
assert_out 405 "curl -X POST /metrics"
fp_stop_clean
