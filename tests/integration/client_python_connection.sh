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

fp_python_test test_connection
