#!/bin/sh
# worker_log_corr.sh -- while a worker runs a task, its log lines carry
# the task's correlation id (issue 10, item 5): a built-in handler's line
# (logflood 1) and a plug-in's host->log line (testplug's tp.log), both
# called with forkpool.call and an `id', come out of the supervisor tagged
# worker= pid= and corr= with the id quoted as the supervisor's own lines
# quote it; the same calls without an id log no corr=, and a line a worker
# logs outside a task (worker_ready, at level debug: -v) has none.
# A plug-in's event name with upper-case letters, `-' and `.' is kept as
# host->log made it (attack finding F12: it became worker_log).  An id
# whose quoted form is longer than the 512 bytes a task carries is cut
# after a whole escape and closed with a quote (F3).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_testplug_conf 2
fp_start -T -v
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "corr= on worker lines (see above)"
import os, re
import fpclient as fc
sock = os.environ["FP_SOCK"]
c = fc.Conn(sock)

def call(method, params, opts):
	err, res = c.call("forkpool.call", [method, params, opts], 20)
	if err is not None:
		fc.fail("%s %r: %r" % (method, params, err))
	return res

W = r"worker=\d+ pid=\d+ "
call("logflood", [1], {"id": "abc 1"})
call("tp.log", ["marked 1"], {"id": "abc 2"})
call("logflood", [1], {})
call("tp.log", ["plain 2"], {})
fc.until(lambda: fc.nlog(r"event=(logflood|tp_log) ") == 4,
    "the four worker lines in the log", 10)
for pat in (r"level=info event=logflood " + W + r'seq=0 corr="abc 1"$',
    r"level=info event=tp_log " + W +
    r'plugin=testplug msg="marked 1" corr="abc 2"$',
    r"level=info event=logflood " + W + r"seq=0$",
    r"level=info event=tp_log " + W + r'plugin=testplug msg="plain 2"$'):
	if len(fc.log_lines(pat)) != 1:
		fc.fail("not one line matching %r" % pat)
fc.until(lambda: fc.nlog(r"level=debug event=worker_ready ") == 2,
    "both workers' worker_ready lines", 10)
ready = fc.log_lines(r"level=debug event=worker_ready ")
if [l for l in ready if not
    re.search(r"event=worker_ready worker=\d+ pid=\d+$", l)]:
	fc.fail("worker_ready lines: %r" % (ready,))
print("corr= on the lines of tasks that have one, and only there")

call("tp.log", ["named", "Tp-Event.X"], {"id": "abc 4"})
fc.until(lambda: fc.nlog(r"level=info event=Tp-Event\.X " + W +
    r'plugin=testplug msg="named" corr="abc 4"$') == 1,
    "tp.log's line with its own event name", 10)
if fc.nlog(r"event=worker_log "):
	fc.fail("event=worker_log: %r" % fc.log_lines(r"event=worker_log "))

# A line whose fields the supervisor escapes to 4 KiB (900 control bytes,
# 3600 after escaping) still ends with its corr= (attack F11: the line was
# cut at 2048 bytes, in the open quote).
call("tp.log", ["\x01" * 900], {"id": "long-1"})
fc.until(lambda: fc.nlog(r"level=info event=tp_log " + W +
    r'plugin=testplug msg="(\\x01){900}" corr=long-1$') == 1,
    "the long line whole, with its corr=", 10)

# A plug-in that puts a client's text in unquoted cannot add fields after
# the supervisor's (attack F10): such fields go out as one quoted value.
call("tp.log", ['a" event=forged worker=9 x="b'], {"id": "inj-1"})
fc.until(lambda: fc.nlog(r'level=info event=tp_log ' + W +
    r'fields="plugin=testplug msg=\\"a\\" event=forged worker=9 '
    r'x=\\"b\\" corr=inj-1"$') == 1,
    "the forged fields quoted as one value", 10)
if fc.nlog(r"level=\w+ event=forged"):
	fc.fail("a forged event: %r" % fc.log_lines(r"level=\w+ event=forged"))

# The longest id (128 bytes) quoted passes 512 bytes only when each byte
# is a 4-byte escape: cut after the 127th escape, closed with a quote.
for k, ident in enumerate(("\x01" * 128, "\x7f" * 128)):
	call("logflood", [1], {"id": ident})
	esc = "\\x%02x" % ord(ident[0])
	want = r'seq=0 corr="%s"$' % (re.escape(esc) * 127)
	fc.until(lambda: fc.nlog(r"event=logflood " + W + want) == 1,
	    "the line of id %d, cut after a whole escape" % k, 10)
print("event names as host->log makes them; long ids cut whole")
PY
fp_stop_clean
