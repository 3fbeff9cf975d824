#!/bin/sh
# bench_sweep.sh -- `forkpool bench --sweep' over a small range (64 B to
# 4 KiB, 100 ms a row, depths 1 and 3) prints its header and one row per
# size and depth, in order, with tasks, tasks/s and GB/s above 0, GB/s
# agreeing with size times tasks/s, p50 at most p99, and copies per byte
# finite and at least 1 (each byte is read from and written to the socket
# once); an 8 MiB row asked at depth 16 runs cut to 8 in flight (64 MiB
# of payload at most).  Its usage errors exit 2.  (make bench runs the full
# sweep; the counters it reads: bench_bytes.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2

fp_cli bench --sweep --sweep-min 64 --sweep-max 4K --sweep-time 100 \
    --inflight 1,3
assert_status 0 "bench --sweep 64..4K"
cp "$T/out" "$T/small"
fp_cli bench --sweep --sweep-min 8M --sweep-max 8M --sweep-time 10 \
    --inflight 16
assert_status 0 "bench --sweep of 8M at depth 16"
cp "$T/out" "$T/big"

fp_py "$T/small" "$T/big" <<'PY' || fp_fail "the sweep's table (see above)"
import math, sys
import fpclient as fc

HEAD = ["size", "inflight", "tasks", "tasks/s", "GB/s", "p50_us", "p99_us",
    "copies/B"]

def table(path, want):
	lines = open(path).read().splitlines()
	print("".join(l + "\n" for l in lines), end="")
	if not lines or lines[0].split() != HEAD:
		fc.fail("%s: header %r" % (path, lines[:1]))
	rows = [l.split() for l in lines[1:]]
	if [(r[0], r[1]) for r in rows] != want:
		fc.fail("%s: rows %r, expected %r" % (path,
		    [(r[0], r[1]) for r in rows], want))
	for r in rows:
		size = {"K": 1024, "M": 1 << 20}.get(r[0][-1], 1) * \
		    int(r[0].rstrip("KM"))
		tasks, rate, gbs, p50, p99, cpb = int(r[2]), float(r[3]), \
		    float(r[4]), float(r[5]), float(r[6]), float(r[7])
		if tasks < 5 or rate <= 0 or gbs <= 0:
			fc.fail("row %r: tasks, tasks/s, GB/s" % (r,))
		# GB/s is printed with 3 significant digits, tasks/s with
		# one decimal.
		if abs(gbs - size * rate / 1e9) > \
		    0.01 * gbs + size * 0.05 / 1e9:
			fc.fail("row %r: GB/s is not size x tasks/s" % (r,))
		if not 0 < p50 <= p99:
			fc.fail("row %r: p50, p99" % (r,))
		if not math.isfinite(cpb) or cpb < 1:
			fc.fail("row %r: copies per byte" % (r,))

table(sys.argv[1], [(s, d) for s in ("64", "256", "1K", "4K")
    for d in ("1", "3")])
table(sys.argv[2], [("8M", "8")])
PY

# Usage errors: exit 2, nothing run.
for a in "--sweep-min 64" "--sweep -d 4" "--sweep --sweep-max 65M" \
    "--sweep --inflight 0" "--sweep --sweep-min 4K --sweep-max 1K" \
    "--sweep --sweep-time 5" "--sweep --sweep-min"; do
	# shellcheck disable=SC2086
	fp_cli bench $a
	assert_status 2 "bench $a"
	assert_empty "$T/out" "stdout of bench $a"
done
fp_stop_clean
