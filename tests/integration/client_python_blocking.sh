#!/bin/sh
# client_python_blocking.sh -- the Python blocking client (tools/python): calls
# and options, the same exceptions as the asyncio client, a daemon stopped with
# SIGSTOP holds a call with a timeout no longer than timeout + GRACE, a lost
# connection and the reconnection after it, threads sharing one client,
# notifications.
# The scenario is tools/python/tests/test_blocking.py, run by Debian's
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
    "$py" -m unittest -v tests.test_blocking) || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "tests.test_blocking of tools/python: exit status $rc (see above)"
fi
fp_check_log
