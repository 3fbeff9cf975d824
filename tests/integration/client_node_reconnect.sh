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

root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v node >/dev/null 2>&1; then
	fp_skip "no node"
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
	fp_skip "no node: node $(node --version) is older than 18"
fi
if [ ! -d "$root/tools/node/node_modules/msgpackr" ]; then
	fp_fail "tools/node/node_modules is missing: run" \
	    "'cd tools/node && npm ci' (or make node-deps) first"
fi
FP_BUILD=${FP_BUILD:-$(dirname "$FORKPOOLD")}
export FORKPOOLD FP_BUILD
if [ -n "${FP_LOGDIR:-}" ]; then
	export FP_LOGDIR
fi
rc=0
TMPDIR=$T node --test "$root/tools/node/test/reconnect.test.js" || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "node --test tools/node/test/reconnect.test.js: exit status $rc"
fi
