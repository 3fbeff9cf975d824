#!/bin/sh
# client_node_errors.sh -- the Node.js client (tools/node), node --test
# tools/node/test/errors.test.js:
# each daemon error code a client can provoke (no_such_method,
# invalid_params, too_large, queue_full, timeout, worker_crashed with
# signal/status/attempts, handler_error, circuit_open, shutting_down,
# internal; cancelled and bad_response from a fake daemon) reaches the
# caller as a ForkPoolError with its code and fields; hostile answers
# (nested 100,000 deep, 0xc1, a 4 GiB bin header) fail a call or the
# connection, never the process.
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test errors
