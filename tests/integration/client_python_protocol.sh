#!/bin/sh
# client_python_protocol.sh -- the Python client package (tools/python) without
# a daemon: its frame decoder gets responses split at every byte boundary, a
# byte at a time and malformed; message IDs wrap at 2^32 and skip those in
# flight; forkpool.call's options are encoded and checked; every error code
# maps to its exception class (unknown codes to the base class); the default
# socket follows the C client's rule and its directory check.
# The scenario is tools/python/tests/test_protocol.py, run by Debian's
# python3 with unittest; its daemons' logs are in $T (copied to FP_LOGDIR).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_python_test test_protocol
