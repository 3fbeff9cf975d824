#!/bin/sh
# reload_special.sh -- a reload never blocks the loop nor fills the memory,
# whatever the configuration path has become.  The file given with -f is
# swapped for a FIFO that no one writes, a directory, a symlink to
# /dev/zero and one to /dev/urandom; each time forkpool.reload is answered
# bad_request naming the file (`FILE: not a regular file') within seconds,
# SIGHUP logs reload_failed with the same message, and the daemon goes on
# answering echo with the same generation, workers and a supervisor RSS
# that has not grown.  Then a regular file again reloads as usual.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
workers 2
CONF
fp_start
fp_wait_nworkers 2
fp_py <<'PY' || fp_fail "reload of special files (see above)"
import os, re, signal, time
import fpclient as fc
sock, dpid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
conf, T = os.environ["FP_CONF"], os.environ["T"]
LOG = os.path.join(T, "daemon.log")
GROWTH_KIB = 20 * 1024

def log_count(regex):
	return fc.nlog(regex, LOG, False)

def guarded_call(c, method, params, what, timeout=5.0):
	"""One request, answered within `timeout' s.  A daemon that starts
	eating memory meanwhile is killed at once rather than let run."""
	msgid = c.queue_request(method, params)
	deadline = time.monotonic() + timeout
	while True:
		try:
			(m, _), = c.pump(1, 0.1)
			break
		except fc.Timeout:
			pass
		rss = fc.vmrss_kib(dpid)
		if rss is not None and rss > rss0 + GROWTH_KIB:
			os.kill(dpid, signal.SIGKILL)
			fc.fail("%s: the supervisor grew to %d KiB (from %d); "
			    "killed" % (what, rss, rss0))
		if time.monotonic() > deadline:
			fc.fail("%s: no answer in %g s (the loop is blocked)" %
			    (what, timeout))
	fc.check_response(m)
	if m[1] != msgid:
		fc.fail("%s: response msgid %r, expected %r" % (what, m[1], msgid))
	return m[2], m[3]

def still_serving(what, gen):
	c = fc.Conn(sock)
	err, res = guarded_call(c, "echo", [what], "echo after " + what)
	c.close()
	if err is not None or res != what:
		fc.fail("echo after %s: %r %r" % (what, err, res))
	st = fc.stats(sock)
	if st["generation"] != gen or st["workers"] != 2:
		fc.fail("%s changed the configuration: %r" % (what, st))
	if len(fc.children(dpid)) != 2:
		fc.fail("%s changed the workers: %r" % (what, fc.children(dpid)))

def swap(make):
	os.unlink(conf) if not os.path.isdir(conf) or os.path.islink(conf) \
	    else os.rmdir(conf)
	make()

fc.wait_children(dpid, 2)
gen = fc.stats(sock)["generation"]
rss0 = fc.vmrss_kib(dpid)
c = fc.Conn(sock)
cases = [
	("a FIFO without a writer", lambda: os.mkfifo(conf, 0o600)),
	("a directory", lambda: os.mkdir(conf, 0o700)),
	("a link to /dev/zero", lambda: os.symlink("/dev/zero", conf)),
	("a link to /dev/urandom", lambda: os.symlink("/dev/urandom", conf)),
]
for what, make in cases:
	swap(make)
	# forkpool.reload: the error, at once.
	t0 = time.monotonic()
	err, res = guarded_call(c, "forkpool.reload", [], "forkpool.reload of "
	    + what)
	want = "%s: not a regular file" % conf
	if fc.code(err) != "bad_request" or want not in err["message"]:
		fc.fail("forkpool.reload of %s: %r %r, want bad_request with "
		    "%r" % (what, err, res, want))
	still_serving("forkpool.reload of " + what, gen)
	# SIGHUP: reload_failed in the log, and the loop goes on.
	n0 = log_count(r"event=reload_failed .*not a regular file")
	os.kill(dpid, signal.SIGHUP)
	deadline = time.monotonic() + 5
	while log_count(r"event=reload_failed .*not a regular file") <= n0:
		if time.monotonic() > deadline:
			fc.fail("SIGHUP with %s: no reload_failed in 5 s" % what)
		time.sleep(0.02)
	still_serving("SIGHUP with " + what, gen)
	print("%s: refused in %.3f s" % (what, time.monotonic() - t0))

rss = fc.vmrss_kib(dpid)
if rss > rss0 + GROWTH_KIB:
	fc.fail("the supervisor grew from %d to %d KiB" % (rss0, rss))

# A regular file again: an ordinary reload.
def regular():
	with open(conf, "w") as f:
		f.write("workers 3\n")
swap(regular)
err, res = guarded_call(c, "forkpool.reload", [], "forkpool.reload of a "
    "regular file")
if err is not None:
	fc.fail("forkpool.reload of a regular file: %r" % (err,))
fc.wait_stats(sock, lambda s: s["generation"] == gen + 1 and
    s["workers"] == 3, "generation %d with 3 workers" % (gen + 1))
print("rss %d -> %d KiB; then reloaded to generation %d" % (rss0, rss,
    gen + 1))
PY
fp_stop_clean
