#!/bin/sh
# client_python_cancel.sh -- cancelling the asyncio task that awaits a call of
# the Python client (tools/python) cancels it in the daemon: a running sleep
# 5000 is stopped promptly and its worker (cancel-running kill) takes the next
# call; asyncio.wait_for does the same; queued calls never run; the late
# answers are read and dropped; cancelled and answered calls mixed on one
# connection each get their own answer.
# The scenario is tools/python/tests/test_cancel.py, run by Debian's
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
    "$py" -m unittest -v tests.test_cancel) || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "tests.test_cancel of tools/python: exit status $rc (see above)"
fi
fp_check_log
