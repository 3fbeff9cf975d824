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

fp_python_test test_cancel
