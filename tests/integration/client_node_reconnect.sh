#!/bin/sh
# client_node_reconnect.sh -- the Node.js client (tools/node), node --test
# tools/node/test/reconnect.test.js:
# no daemon: unavailable, not an exception; SIGQUIT and SIGKILL with
# 100 calls in flight reject them at once (shutting_down or
# connection_lost), a restart on the same socket serves again; a daemon
# closing mid-answer or at accept is no hang nor busy loop; an idle pool
# does not keep the process alive.
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test reconnect
