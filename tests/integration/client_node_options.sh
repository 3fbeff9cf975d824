#!/bin/sh
# client_node_options.sh -- the Node.js client (tools/node), node --test
# tools/node/test/options.test.js:
# timeout, retries and id reach the daemon through forkpool.call (a
# crash retried, a deadline kills a sleep, corr in the task log), the
# pool's options are each call's defaults, and a stopped daemon does not
# hang a call with a timeout; a forkpool.* call ends at its timeout,
# without the grace; durations beyond a day are TypeErrors.
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test options
