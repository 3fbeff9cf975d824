#!/bin/sh
# client_node_pipeline.sh -- the Node.js client (tools/node), node --test
# tools/node/test/pipeline.test.js:
# 10,000 pipelined calls over 2 connections in a few writes, answers
# matched by msgid in any order, 20,000 against max-outstanding 64 with
# bounded memory.
# Each test file starts its own daemons from $FORKPOOLD in a temporary
# directory and stops them; their logs go to $FP_LOGDIR for the
# sanitizer scan.  Skipped without node 18 or later; fails if
# tools/node/node_modules is missing (cd tools/node && npm ci, which
# `make node-deps' runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_node_test pipeline
