#!/usr/bin/env bash
# Build forkpoold from this checkout and the benchmark client into the
# harness's build/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
: "${PEERS_ROOT:?run through the peers harness}"
make -s -C "$top" build/forkpoold build/libforkpool.a
mkdir -p "$PEERS_ROOT/build"
gcc -O2 -g -Wall -Wextra -I"$PEERS_ROOT/common/c" -I"$top/include" \
    -o "$PEERS_ROOT/build/fp_client" "$here/fp_client.c" \
    "$PEERS_ROOT/common/c/bench.c" "$top/build/libforkpool.a" -ljansson
