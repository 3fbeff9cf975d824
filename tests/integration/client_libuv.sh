#!/bin/sh
# client_libuv.sh -- libforkpool in a libuv loop without threads
# (tests/evloop/evloop_uv.c, the walk-through of forkpool(3)): a uv_poll_t
# on fp_client_fd and a uv_timer_t for connect retries per client, four
# clients, 32 requests in flight on each, echos of up to 664 KiB that
# fill the socket, error completions checked by msgid, code and message.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

prog=${FP_BUILD:-$(dirname "$FORKPOOLD")}/evloop/evloop_uv
if [ ! -x "$prog" ]; then
	fp_fail "$prog is not built (make; it needs libuv1-dev)"
fi
FP_CMD_TIMEOUT=150

fp_start -w 4
fp_run "$prog" -c 4 -d 32 -n 1000 "$FP_SOCK"
cat "$T/out" "$T/err"
assert_status 0 "evloop_uv"
assert_grep '^evloop_uv: 4 clients, 4000 requests,' "$T/out" \
    "evloop_uv summary"
assert_empty "$T/err" "evloop_uv stderr"
fp_stop_clean
