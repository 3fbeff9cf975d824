#!/bin/sh
# reload.sh -- SIGHUP and forkpool.reload re-read the configuration file.
# A good file (workers 2 -> 3) starts a new generation: 3 new workers, the
# old ones retire (the idle one at once, the one running a 1.5 s sleep after
# it, and that sleep is answered with its result).  A bad file changes
# nothing: the daemon keeps its workers and configuration and logs
# reload_failed naming FILE:LINE; forkpool.reload answers bad_request with
# that message.  A changed socket (or socket-mode) is reported as a warning,
# in the log and in the reply, and ignored: the daemon keeps listening where
# it was.  The daemon is started without -s (its socket comes from
# $FORKPOOL_SOCKET) so that the file's socket keyword is the one in force.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
CONF
FP_NO_S=1
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "reload (see above)"
import os, re, signal, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
conf, T = os.environ["FP_CONF"], os.environ["T"]
LOG = os.path.join(T, "daemon.log")

def write_conf(text):
	with open(conf + ".new", "w") as f:
		f.write(text)
	os.rename(conf + ".new", conf)

def log_has(regex):
	return fc.nlog(regex, LOG, False) > 0

def wait(pred, what, timeout=15.0):
	return fc.until(pred, what, timeout, detail=lambda: "stats %r, "
	    "workers %r" % (fc.stats(sock), fc.children(dpid)))

# --- a good file, SIGHUP: workers 2 -> 3 while a task runs -------------
w0 = fc.wait_children(dpid, 2)
g0 = fc.stats(sock)["generation"]
c = fc.Conn(sock)
sleep_id = c.queue_request("sleep", [1500])
c.flush()
wait(lambda: fc.stats(sock)["workers_busy"] == 1, "the sleep to start")
write_conf("workers 3\n")
os.kill(dpid, signal.SIGHUP)
st = wait(lambda: (lambda s: s if s["generation"] == g0 + 1 else None)(
    fc.stats(sock)), "generation %d" % (g0 + 1))
if st["workers"] != 3:
	fc.fail("after reload to workers 3: stats %r" % (st,))
# The idle old worker goes at once; the busy one stays until its task ends.
kids = wait(lambda: (lambda k: k if len(k) == 4 and
    len(set(k) & set(w0)) == 1 else None)(fc.children(dpid)),
    "3 new workers and the busy old one")
st = fc.stats(sock)
if st["workers_retiring"] != 1:
	fc.fail("while the old worker finishes its sleep: %r" % (st,))
(m, _), = c.pump(1, 15)
fc.check_response(m)
if m[1] != sleep_id or m[2] is not None or m[3] != 1500:
	fc.fail("the sleep started before the reload: %r" % (m,))
w1 = fc.wait_children(dpid, 3, avoid=w0)
st = wait(lambda: (lambda s: s if s["workers_retiring"] == 0 else None)(
    fc.stats(sock)), "no retiring worker")
if st["tasks_failed"] != 0 or st["worker_crashes"] != 0:
	fc.fail("a reload failed a task or counted a crash: %r" % (st,))
if not log_has(r"event=reload .*generation=%d workers=3" % (g0 + 1)):
	fc.fail("no reload line for generation %d" % (g0 + 1))
err, res = c.call("echo", ["gen 1"])
if err is not None or res != "gen 1":
	fc.fail("echo after the reload: %r %r" % (err, res))
print("generation %d: workers %r -> %r" % (g0 + 1, w0, w1))

# --- a bad file, SIGHUP: nothing changes --------------------------------
write_conf("workers 2\n\nworkers-typo 1\n")
os.kill(dpid, signal.SIGHUP)
wait(lambda: log_has(r"event=reload_failed .*%s:3: " % re.escape(conf)),
    "reload_failed naming %s:3" % conf)
st = fc.stats(sock)
if st["generation"] != g0 + 1 or st["workers"] != 3:
	fc.fail("a bad file changed the configuration: %r" % (st,))
if fc.children(dpid) != w1:
	fc.fail("a bad file changed the workers: %r -> %r" % (w1,
	    fc.children(dpid)))
err, res = c.call("echo", ["still"])
if err is not None or res != "still":
	fc.fail("echo after a rejected reload: %r %r" % (err, res))

# ... and through forkpool.reload: the caller sees FILE:LINE.
err, res = c.call("forkpool.reload", [])
if fc.code(err) != "bad_request" or "%s:3:" % conf not in err["message"]:
	fc.fail("forkpool.reload error does not name %s:3: %r" % (conf, err))
if fc.stats(sock)["generation"] != g0 + 1:
	fc.fail("a bad file through forkpool.reload bumped the generation")

# --- socket and socket-mode cannot change: warnings ---------------------
other = os.path.join(T, "other.sock")
write_conf("workers 3\nsocket %s\nsocket-mode 0600\n" % other)
os.kill(dpid, signal.SIGHUP)
wait(lambda: log_has(r"event=reload_ignored keyword=socket "),
    "a reload_ignored warning for socket")
if not log_has(r"event=reload_ignored keyword=socket-mode "):
	fc.fail("no reload_ignored warning for socket-mode")
st = wait(lambda: (lambda s: s if s["generation"] == g0 + 2 else None)(
    fc.stats(sock)), "generation %d" % (g0 + 2))
if os.path.exists(other):
	fc.fail("the daemon created the new socket %s" % other)
err, res = c.call("forkpool.reload", [])
if err is not None or res.get("generation") != g0 + 3 or \
    not any("socket" in w and other in w for w in res.get("warnings", [])):
	fc.fail("forkpool.reload with a changed socket: %r %r" % (err, res))
# A new connection still reaches the daemon on its first socket.
c2 = fc.Conn(sock)
err, res = c2.call("echo", ["same socket"])
if err is not None or res != "same socket":
	fc.fail("echo on the old socket: %r %r" % (err, res))

# --- workers 3 -> 1 through forkpool.reload -----------------------------
before = fc.children(dpid)
write_conf("workers 1\n")
err, res = c.call("forkpool.reload", [])
if err is not None or res.get("generation") != g0 + 4 or res.get("warnings"):
	fc.fail("forkpool.reload to workers 1: %r %r" % (err, res))
fc.wait_children(dpid, 1, avoid=before)
st = fc.stats(sock)
if st["workers"] != 1 or st["tasks_failed"] != 0:
	fc.fail("after reload to 1 worker: %r" % (st,))
err, res = c.call("echo", ["one"])
if err is not None or res != "one":
	fc.fail("echo with one worker: %r %r" % (err, res))
PY
assert_no_grep 'event=worker_backoff' "$FP_LOG" "no back-off from retirements"
fp_stop_clean
