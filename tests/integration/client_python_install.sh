#!/bin/sh
# client_python_install.sh -- `pip install ./tools/python` with no package
# index: into a venv made with --system-site-packages (Debian's python3-msgpack
# satisfies msgpack>=1.0), with --no-index and with an index that does not
# answer; the installed package imports from anywhere and calls a daemon; pip
# uninstall removes every file; the wheel's RECORD hashes and METADATA are
# right; the build writes nothing in the source tree.
# The scenario is tools/python/tests/test_install.py, run by Debian's
# python3 with unittest; its daemons' logs are in $T (copied to FP_LOGDIR).
# fp-once: what pip builds and installs does not depend on the daemon's build.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_python_test test_install
