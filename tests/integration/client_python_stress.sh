#!/bin/sh
# client_python_stress.sh -- the Python asyncio client (tools/python) under
# pressure: a 16 MiB bytes echo; 20,000 calls at once against a daemon with
# max-outstanding 64: all answered, nothing hangs, and the bytes the client
# holds for writing stay near its 1 MiB high mark (calls wait before they are
# encoded); a connection aborted with thousands of calls waiting to be written
# fails them all.
# The scenario is tools/python/tests/test_stress.py, run by Debian's
# python3 with unittest; its daemons' logs are in $T (copied to FP_LOGDIR).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_python_test test_stress
