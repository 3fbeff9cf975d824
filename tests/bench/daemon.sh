#!/bin/sh
# daemon.sh BUILDDIR -- the daemon end to end: start forkpoold on a
# temporary socket, run `forkpool bench' for echo at 1 and 128 in flight,
# 1 MiB echo and 100 us spin tasks, 3 runs each (the median is the one to
# quote), then the payload-size sweep (forkpool bench --sweep: 64 B to
# 64 MiB at 1 and 8 in flight, GB/s, latency, copies per byte; about a
# minute), stop the daemon.  The daemon runs its default configuration
# (-f /dev/null) with 2 workers.  Numbers are comparable only within one
# run.
set -eu

b=$1
t=$(mktemp -d)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
cleanup() {
	bench_stop
	rm -rf "$t"
}
trap cleanup EXIT INT TERM

bench_start daemon.sh "$b" "$t" -w 2 -f /dev/null

bench() {
	for _ in 1 2 3; do
		"$b/forkpool" -s "$t/s.sock" bench "$@"
	done
}
bench -m echo -d 1 -n 20000
bench -m echo -d 128 -n 200000 -W 2000
bench -m echo -d 8 -z 1048576 -n 1000 -W 50
bench -m spin -z 100 -d 128 -n 20000 -W 500
echo "payload sweep (forkpool bench --sweep):"
"$b/forkpool" -s "$t/s.sock" bench --sweep
