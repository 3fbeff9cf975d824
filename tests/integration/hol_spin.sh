#!/bin/sh
# hol_spin.sh -- hol_sleep.sh with a busy long task: `spin' [1000000]
# (one second of CPU) then 40 echoes on one connection, 2 workers, the
# default prefetch: every echo is answered within 50 ms of being sent,
# the spin after about 1 s, and tasks_revoked counts the echoes taken
# back from the spinning worker (hol.py).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start -T
fp_py <<'PY' || fp_fail "echoes behind a spin (see above)"
import hol
hol.long_then_echoes("spin", [1000000], 40, 1.0)
PY
fp_stop_clean
