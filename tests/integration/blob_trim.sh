#!/bin/sh
# blob_trim.sh -- the blob rings give their pages back once idle
# (fp_ring_trim; issue 11 attack finding 3): a burst of 15 MiB echoes on
# two connections fills the task and result blob rings of both workers
# (the supervisor's shared memory, RssShmem, grows by tens of MB); once
# the daemon is idle (the supervisor trims the task blob rings on its
# first idle tick, each worker its result blob ring after a second
# without work) it falls back to a few MB: the rings keep their first
# megabyte, and the small rings.  Large echoes work again afterwards.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start
fp_py <<'PY' || fp_fail "blob rings trimmed when idle (see above)"
import os, threading, time
import fpclient as fc
sock, pid = os.environ["FP_SOCK"], int(os.environ["FP_PID"])
fc.wait_stats(sock, lambda s: s["workers_ready"] == 2, "2 workers ready")

def shmem():
	return fc._status_kib(pid, "RssShmem")

base = shmem()
# The peak, sampled while the burst runs: the supervisor trims the task
# rings on its first idle tick, which may come before a slow client (a
# loaded machine, ASan) has collected its answers.
peaks, done = [base], threading.Event()
def sample():
	while not done.is_set():
		peaks.append(shmem())
		time.sleep(0.005)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
big = [bytes([k]) * (15 << 20) for k in range(3)]
conns = [fc.Conn(sock, timeout=60) for i in range(2)]
want = {}
for c in conns:
	for k in range(3):
		want[(id(c), c.queue_request("echo", [big[k]]))] = big[k]
	c.flush()
for c in conns:
	ids = [m for (cid, m) in want if cid == id(c)]
	got = fc.collect(c, ids, 60, "15 MiB echoes")
	for m, (msg, _) in got.items():
		if msg[2] is not None or msg[3] != want[(id(c), m)]:
			fc.fail("15 MiB echo %d: %r" % (m, msg[2]))
done.set()
sampler.join()
peak = max(peaks + [shmem()])
if peak - base < 30 * 1024:
	fc.fail("RssShmem %d -> %d KiB: the burst did not fill the blob "
	    "rings, the test proves nothing" % (base, peak))
fc.until(lambda: shmem() < base + 8 * 1024,
    "RssShmem back near %d KiB (peak %d KiB)" % (base, peak), 10)
print("RssShmem %d KiB before, %d at the peak, %d idle" % (base, peak,
    shmem()))
c = conns[0]
err, res = c.call("echo", [big[1]], 60)
if err is not None or res != big[1]:
	fc.fail("a 15 MiB echo after the trim: %r" % (err,))
PY
fp_stop_clean
