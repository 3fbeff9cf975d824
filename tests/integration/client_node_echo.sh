#!/bin/sh
# client_node_echo.sh -- the Node.js client (tools/node), node --test
# tools/node/test/echo.test.js:
# every MessagePack type through echo and back (0.1 exactly, BigInt
# beyond 2^53, unicode, Buffers as bin both ways, nested maps, a 16 MiB
# Buffer), the administrative methods, TypeErrors for bad arguments and
# for values that cannot be encoded (circular, too deep, a Symbol).
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test echo
