#!/usr/bin/env bash
# Build forkpoold from this checkout and the W3-style json.encode client
# into the harness's build/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
: "${PEERS_ROOT:?run through the peers harness}"
make -s -C "$top" build/forkpoold build/libforkpool.a
mkdir -p "$PEERS_ROOT/build"
# bench.c (flags, result line) needs jansson for its worker half only.
gcc -O2 -g -Wall -Wextra -I"$PEERS_ROOT/common/c" -I"$top/include" \
    -I"$top/tests/bench" $(pkg-config --cflags msgpack) \
    -o "$PEERS_ROOT/build/fp_json_client" "$here/fp_json_client.c" \
    "$PEERS_ROOT/common/c/bench.c" "$top/build/libforkpool.a" \
    $(pkg-config --libs msgpack) -ljansson
