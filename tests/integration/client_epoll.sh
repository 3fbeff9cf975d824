#!/bin/sh
# client_epoll.sh -- libforkpool in a single-threaded epoll loop
# (tests/evloop/evloop_epoll.c, the walk-through of forkpool(3)): four
# clients made with fp_client_connect, two level-triggered and two
# edge-triggered, 32 requests in flight on each, echos of up to 664 KiB
# that fill the socket so that POLLOUT is needed, error completions
# (no_such_method, invalid_params) checked by msgid, code and message.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

prog=${FP_BUILD:-$(dirname "$FORKPOOLD")}/evloop/evloop_epoll
if [ ! -x "$prog" ]; then
	fp_fail "$prog is not built (make)"
fi
FP_CMD_TIMEOUT=150	# 4,000 requests, 80 MB each way, under ASan too

fp_start -w 4
fp_run "$prog" -c 4 -d 32 -n 1000 "$FP_SOCK"
cat "$T/out" "$T/err"
assert_status 0 "evloop_epoll"
assert_grep '^evloop_epoll: 4 clients, 4000 requests,' "$T/out" \
    "evloop_epoll summary"
assert_empty "$T/err" "evloop_epoll stderr"
fp_stop_clean
