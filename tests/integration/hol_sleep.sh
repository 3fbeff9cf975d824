#!/bin/sh
# hol_sleep.sh -- no task waits behind another while a worker is idle
# (issue 11, item 1).  2 workers, the default prefetch (32): one
# connection pipelines `sleep' [1000] then 40 echoes.  The echoes handed
# to the worker that runs the sleep are taken back and run by the other
# one: every echo is answered within 50 ms of being sent, the sleep after
# about 1 s, and forkpool.stats counts tasks_revoked (hol.py).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start -T
fp_py <<'PY' || fp_fail "echoes behind a sleep (see above)"
import hol
hol.long_then_echoes("sleep", [1000], 40, 1.0)
PY
fp_stop_clean
