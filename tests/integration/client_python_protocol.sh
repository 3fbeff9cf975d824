#!/bin/sh
# client_python_protocol.sh -- the Python client package (tools/python) without
# a daemon: its frame decoder gets responses split at every byte boundary, a
# byte at a time and malformed; message IDs wrap at 2^32 and skip those in
# flight; forkpool.call's options are encoded and checked; every error code
# maps to its exception class (unknown codes to the base class); the default
# socket follows the C client's rule and its directory check.
# The scenario is tools/python/tests/test_protocol.py, run by Debian's
# python3 with unittest; its daemons' logs are in $T (copied to FP_LOGDIR).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

py=/usr/bin/python3
if [ ! -x "$py" ] || ! "$py" -c 'import msgpack' 2>/dev/null; then
	fp_skip "$py with the msgpack module is missing" \
	    "(apt-get install python3 python3-msgpack)"
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
FP_LOG=$T/$FP_NAME.log	# the daemons' log: its tail is shown on failure
rc=0
(cd "$root/tools/python" && FORKPOOLD="$FORKPOOLD" FP_LOGDIR="$T" \
    PYTHONPATH="$root/tools/python" timeout --foreground -k 2 150 \
    "$py" -m unittest -v tests.test_protocol) || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "tests.test_protocol of tools/python: exit status $rc (see above)"
fi
fp_check_log
