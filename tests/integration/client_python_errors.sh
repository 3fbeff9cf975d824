#!/bin/sh
# client_python_errors.sh -- each error code of the daemon that a test can
# provoke comes out of the Python asyncio client (tools/python) as the
# exception of its class with its attributes: no_such_method, invalid_params,
# too_large, queue_full, timeout (ran: attempts; queued: none), worker_crashed
# (signal, status), handler_error, circuit_open, cancelled, internal,
# permission_denied (as nobody).
# The scenario is tools/python/tests/test_errors.py, run by Debian's
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
    "$py" -m unittest -v tests.test_errors) || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "tests.test_errors of tools/python: exit status $rc (see above)"
fi
fp_check_log
