#!/bin/sh
# client_python_install.sh -- `pip install ./tools/python` with no package
# index: into a venv made with --system-site-packages (Debian's python3-msgpack
# satisfies msgpack>=1.0), with --no-index and with an index that does not
# answer; the installed package imports from anywhere and calls a daemon; pip
# uninstall removes every file; the wheel's RECORD hashes and METADATA are
# right; the build writes nothing in the source tree.
# The scenario is tools/python/tests/test_install.py, run by Debian's
# python3 with unittest; its daemons' logs are in $T (copied to FP_LOGDIR).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

py=/usr/bin/python3
if [ ! -x "$py" ] || ! "$py" -c 'import msgpack' 2>/dev/null; then
	fp_skip "$py with the msgpack module is missing" \
	    "(apt-get install python3 python3-msgpack)"
fi
if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
	fp_skip "$py has no venv/ensurepip module (apt-get install python3-venv)"
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
FP_LOG=$T/$FP_NAME.log	# the daemons' log: its tail is shown on failure
rc=0
(cd "$root/tools/python" && FORKPOOLD="$FORKPOOLD" FP_LOGDIR="$T" \
    PYTHONPATH="$root/tools/python" timeout --foreground -k 2 150 \
    "$py" -m unittest -v tests.test_install) || rc=$?
if [ "$rc" -ne 0 ]; then
	fp_fail "tests.test_install of tools/python: exit status $rc (see above)"
fi
fp_check_log
