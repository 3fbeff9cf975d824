#!/bin/sh
# client_python_calls.sh -- the Python asyncio client (tools/python) against a
# real daemon: echo round trips of every MessagePack type (bin, str, ints to
# 2^64-1 and -2^63, 0.1 exact, nested maps and arrays, nil, booleans); 10,000
# calls at once on one connection all answered right; timeout, retries (a crash
# with retries 2 ran 3 times) and id (logged as corr); the client's defaults;
# notifications; ping, stats, workers, handlers; close() waits for the calls
# outstanding.
# The scenario is tools/python/tests/test_calls.py, run by Debian's
# python3 with unittest; its daemons' logs are in $T (copied to FP_LOGDIR).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_python_test test_calls
