#!/bin/sh
# run.sh -- forkpool's benchmarks (`make bench').
#
#	sh tests/bench/run.sh [BUILDDIR]
#
# Runs every benchmark of BUILDDIR (default build) in turn and prints their
# tables.  Benchmarks are measurements, not tests: their numbers are only
# comparable within one run on one machine (see DESIGN.md, section 9).
# FP_BENCH_SECONDS sets the duration of each bench_ring test (default 1.5).
# Exits non-zero if a benchmark fails to run.

set -eu

b=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

run() {
	echo "== $*"
	"$@"
	echo
}

# Shared-memory ring against pipe(2): one-way rate and round trips.
run "$b/bench/bench_ring"

# json_encode / json_decode MB/s on the peers' W3 dataset, in one process.
run "$b/bench/bench_json"

# fp_client_submit of the W3 value: the client's params scan and copy.
run "$b/bench/bench_client"

# Later benchmarks go here, one `run' line each.

# The daemon end to end through forkpool bench (2 workers), then its
# payload-size sweep (forkpool bench --sweep).
run sh tests/bench/daemon.sh "$b"

# The clients of tools/ on the seed systems' scenarios: the Node.js
# money-flow pool and serialisation off the loop, against Piscina and
# in-process; the Python asyncio agent-state service, against
# run_in_executor (tests/bench/clients.sh; tools/*/examples/README.md).
run sh tests/bench/clients.sh "$b"

# forkpoold as a consumer of a Redis stream, against its socket and
# BullMQ on the same Redis (tests/bench/streams.sh; skipped, saying why,
# without redis-server or python3-redis).
run sh tests/bench/streams.sh "$b"

# The peers harness (../shared/peers) compares forkpool with other systems
# in one run; see tests/peers/forkpool/system.json and the README there.
