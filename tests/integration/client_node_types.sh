#!/bin/sh
# client_node_types.sh -- the Node.js client (tools/node), node --test
# tools/node/test/types.test.js:
# index.d.ts describes the API: test/types.ts compiles with
# tsc --noEmit --strict and misuses do not (skipped when typescript, a
# devDependency, is not installed).
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
# fp-once: what tsc checks does not depend on the daemon's build.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test types
