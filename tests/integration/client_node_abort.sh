#!/bin/sh
# client_node_abort.sh -- the Node.js client (tools/node), node --test
# tools/node/test/abort.test.js:
# an AbortSignal cancels a running and a queued call through
# forkpool.cancel (tasks_cancelled grows, AbortError at once, listener
# removed; one listener per signal however many calls share it, no
# MaxListenersExceededWarning); notify runs handlers.
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test abort
