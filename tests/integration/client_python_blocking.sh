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

fp_python_test test_blocking
