#!/bin/sh
# client_backlog.sh -- a daemon that accepts nothing: stopped (SIGSTOP)
# with its listen backlog full, so that a non-blocking connect(2) fails
# with EAGAIN.  `forkpool -t 300 ping` (and notify) gives up in time
# instead of hanging in connect(2); epoll and libuv loops (tests/evloop/)
# keep their clients connecting, waking only for their retries, and
# complete every request once the daemon is continued (SIGCONT).  The
# programs stop and continue the daemon themselves, and continue it
# whatever happens.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

bin=${FP_BUILD:-$(dirname "$FORKPOOLD")}/evloop
for p in evloop_epoll evloop_uv; do
	if [ ! -x "$bin/$p" ]; then
		fp_fail "$bin/$p is not built (make)"
	fi
done
FP_CMD_TIMEOUT=150

# The ~1,025 connections that fill the backlog are accepted at SIGCONT:
# they must not crowd out the clients under test.
echo 'max-connections 8192' >"$FP_CONF"
fp_start -w 2

fp_py <<'PY' || fp_fail "forkpool ping against a full backlog (see above)"
import os, resource, signal, socket, subprocess, time
import fpclient as fc

pid = int(os.environ["FP_PID"])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fill = []
os.kill(pid, signal.SIGSTOP)
try:
	end = time.monotonic() + 10
	while fc._stat(pid)[0] != "T":
		if time.monotonic() > end:
			fc.fail("daemon not stopped after 10 s")
		time.sleep(0.005)
	while True:
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.setblocking(False)
		try:
			s.connect(os.environ["FP_SOCK"])
		except BlockingIOError:
			s.close()
			break
		fill.append(s)
		if len(fill) > 100000:
			fc.fail("no full backlog after 100000 connections")
	t0 = time.monotonic()
	try:
		p = subprocess.run([os.environ["FORKPOOL"], "-t", "300", "ping"],
		    capture_output=True, timeout=30)
	except subprocess.TimeoutExpired:
		fc.fail("forkpool -t 300 ping still running after 30 s")
	took = time.monotonic() - t0
	err = p.stderr.decode(errors="replace")
	if p.returncode != 1 or not err.startswith("forkpool: timeout:"):
		fc.fail("forkpool -t 300 ping: status %d, stderr %r" %
		    (p.returncode, err))
	print("ping against a backlog of %d: gave up after %.2f s: %s" %
	    (len(fill), took, err.strip()))
	try:
		p = subprocess.run([os.environ["FORKPOOL"], "-t", "300",
		    "notify", "echo", "1"], capture_output=True, timeout=30)
	except subprocess.TimeoutExpired:
		fc.fail("forkpool -t 300 notify still running after 30 s")
	err = p.stderr.decode(errors="replace")
	if p.returncode != 1 or not err.startswith("forkpool: timeout:"):
		fc.fail("forkpool -t 300 notify: status %d, stderr %r" %
		    (p.returncode, err))
finally:
	os.kill(pid, signal.SIGCONT)
	for s in fill:
		s.close()
PY
fp_cli -t 10000 ping
assert_status 0 "ping after SIGCONT"
assert_out pong "ping after SIGCONT"

for p in evloop_epoll evloop_uv; do
	fp_run "$bin/$p" -S "$FP_PID" -c 4 -d 16 -n 300 "$FP_SOCK"
	cat "$T/out" "$T/err"
	assert_status 0 "$p -S"
	assert_grep "^$p: 4 clients, 1200 requests, .*backlog of [0-9]+ held" \
	    "$T/out" "$p -S summary"
	assert_empty "$T/err" "$p -S stderr"
	fp_alive "$FP_PID" || fp_fail "the daemon died"
	if [ "$(fp_state "$FP_PID")" = T ]; then
		fp_fail "$p left the daemon stopped"
	fi
done
fp_stop_clean
