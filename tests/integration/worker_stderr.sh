#!/bin/sh
# worker_stderr.sh -- what a worker writes to its standard error reaches
# the daemon log as worker_stderr lines tagged worker= pid= (issue 10,
# item 5).  In the foreground: the test handler stderr writes two lines
# (one with a control byte and quotes, logged escaped), a line of 2500
# bytes (logged in pieces of 1024, 1024 and 452), then text without a
# newline, which is logged when its worker crashes.  In daemon mode, whose
# log is the system log, each worker's standard error is a pipe whose
# other end the supervisor holds (it used to be /dev/null).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 1
min-worker-age 0
CONF
fp_start -T
fp_wait_nworkers 1
fp_py <<'PY' || fp_fail "worker stderr in the foreground (see above)"
import os, re
import fpclient as fc
sock = os.environ["FP_SOCK"]
c = fc.Conn(sock)

def call(method, params):
	return c.call(method, params, 20)

err, res = call("stderr", ['first line\nsecond \x01 "q"\n'])
if err is not None or res is not True:
	fc.fail("stderr: %r %r" % (err, res))
W = r"level=warning event=worker_stderr worker=0 pid=(\d+) "
fc.until(lambda: fc.nlog(W + r'line="second \\x01 \\"q\\""$') == 1,
    "the second line, escaped", 10)
first = fc.log_lines(W + r'line="first line"$')
if len(first) != 1:
	fc.fail("first line: %r" % (first,))
pid = re.search(W, first[0]).group(1)

call("stderr", ["x" * 2500 + "\n"])
fc.until(lambda: fc.nlog(W + r"line=x+$") == 3, "three pieces", 10)
sizes = [len(re.search(r"line=(x+)$", l).group(1))
    for l in fc.log_lines(W + r"line=x+$")]
if sizes != [1024, 1024, 452]:
	fc.fail("pieces of %r bytes, expected 1024, 1024, 452" % (sizes,))

call("stderr", ["last words"])
err, res = call("crash", [])
fc.expect_err(err, "worker_crashed", "crash")
fc.until(lambda: fc.nlog(W + r'line="last words"$') == 1,
    "the unfinished line, at its worker's death", 10)
if re.search(W, fc.log_lines(W + r'line="last words"$')[0]).group(1) != pid:
	fc.fail("the last words are not tagged with the crashed pid")
print("worker stderr logged: lines, pieces, last words")
PY
fp_stop_clean

fp_start_daemon -T
fp_py <<'PY' || fp_fail "worker stderr in daemon mode (see above)"
import os
import fpclient as fc
dpid = int(os.environ["FP_PID"])
kids = fc.wait_children(dpid, 1)
def fd(pid, n):
	return os.readlink("/proc/%d/fd/%d" % (pid, n))
mine = set()
for f in os.listdir("/proc/%d/fd" % dpid):
	try:
		mine.add(fd(dpid, int(f)))
	except OSError:
		pass
for k in kids:
	e = fd(k, 2)
	if not e.startswith("pipe:") or e not in mine:
		fc.fail("worker %d: stderr %r is not a pipe of the supervisor"
		    % (k, e))
print("daemon mode: the workers' stderr are pipes to the supervisor")
PY
fp_stop_daemon
