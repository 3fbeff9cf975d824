#!/bin/sh
# client_node_codec.sh -- the Node.js client (tools/node), node --test
# tools/node/test/codec.test.js:
# the framer cuts a stream split at every byte boundary into the
# right messages; requests are standard MessagePack only; bin results
# are views or copies by the pinning rule; the default socket and the
# check of its directory follow the C client, $FORKPOOL_SOCKET read
# when the pool is made (no daemon; a fake one for that).
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test codec
