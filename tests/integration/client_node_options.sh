#!/bin/sh
# client_node_options.sh -- the Node.js client (tools/node), node --test
# tools/node/test/options.test.js:
# timeout, retries and id reach the daemon through forkpool.call (a
# crash retried, a deadline kills a sleep, corr in the task log), the
# pool's options are each call's defaults, and a stopped daemon does not
# hang a call with a timeout.
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
TMPDIR=$T node --test "$root/tools/node/test/options.test.js" || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "node --test tools/node/test/options.test.js: exit status $rc"
fi
