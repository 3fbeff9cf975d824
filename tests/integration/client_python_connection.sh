#!/bin/sh
# client_python_connection.sh -- the Python asyncio client (tools/python) when
# its connection goes: a daemon SIGKILLed with 100 calls outstanding, or in the
# middle of an 8 MiB answer, fails them all with ConnectionLost within a
# bounded time, and the next call reconnects once the daemon is back on the
# same socket; SIGQUIT answers them shutting_down; a missing socket gives
# Unavailable with the path and errno; failed attempts back off 50 ms doubling
# to 2 s; close() drains, abort() and a cancelled close() do not.
# The scenario is tools/python/tests/test_connection.py, run by Debian's
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
    "$py" -m unittest -v tests.test_connection) || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "tests.test_connection of tools/python: exit status $rc (see above)"
fi
fp_check_log
