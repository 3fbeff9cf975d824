#!/bin/sh
# chaos_kill.sh -- every accepted request gets exactly one response while
# workers are SIGKILLed at random (one every 50-200 ms) under a mixed load
# of eight connections: echo (a payload unique to the request, sometimes
# 100-300 KB), spin, sleep, crash and hang, as plain requests and through
# forkpool.call with retries 0-2 and some deadlines.
#
# From the client's own records, at the end: every request got exactly
# one response (none missing, no msgid answered twice or unknown on a
# connection); every success carries its request's result (the echo
# payload exactly); every error is one the faults explain: worker_crashed
# with signal 9 (a kill) or, for crash, 11, and attempts = retries + 1;
# timeout only for a request with a deadline (hang; the echoes with
# timeout_ms); nothing else.  Then the worker count returns to 3, no zombie
# child remains, no worker ever seen lives outside the daemon's tree, the
# supervisor's RSS is within FP_CHAOS_RSS_KIB of its RSS after 3 s of load
# (not under AddressSanitizer nor FP_WRAP), and the daemon stops cleanly.
# The set-up and the soak's length: fp_chaos in tests/lib.sh.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_chaos 1 0
