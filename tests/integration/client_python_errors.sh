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

fp_python_test test_errors
