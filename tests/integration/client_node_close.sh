#!/bin/sh
# client_node_close.sh -- the Node.js client (tools/node), node --test
# tools/node/test/close.test.js:
# close() drains the calls in flight, then rejects new ones "closed";
# close({ force: true }) rejects them at once and the daemon cancels
# what waited; idempotent; a call waiting out the reconnection delay
# while close() drains is sent when the daemon comes back.
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test close
