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
    "$py" -m unittest -v tests.test_stress) || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "tests.test_stress of tools/python: exit status $rc (see above)"
fi
fp_check_log
