#!/bin/sh
# call_bad_params.sh -- forkpool(1) calls that the daemon refuses before
# any worker runs them: an unknown method (also a test handler of a daemon
# without -T) is answered no_such_method, parameters of the wrong type or
# range invalid_params; each prints `forkpool: CODE: message' on stderr,
# nothing on stdout, and exits 1.  The daemon keeps serving.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2

fp_call_err no_such_method . 'call no_such_method' no_such_method
fp_call_err no_such_method . 'call ehco "x"' ehco '"x"'
fp_call_err invalid_params . "call sleep '\"x\"'" sleep '"x"'
fp_call_err invalid_params . 'call sleep -1' sleep -1
fp_call_err invalid_params . 'call sleep 3600001' sleep 3600001
fp_call_err invalid_params . 'call spin 60000001' spin 60000001
fp_call_err invalid_params . 'call sleep 1.5' sleep 1.5
fp_call_err no_such_method . 'call crash without -T' crash
fp_call_err no_such_method . 'call hang without -T' hang
fp_call_err no_such_method . 'call exit without -T' exit
fp_call_ok '"still"' 'call echo after the refusals' echo '"still"'
fp_stop_clean
