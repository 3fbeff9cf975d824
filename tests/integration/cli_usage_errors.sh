#!/bin/sh
# cli_usage_errors.sh -- forkpool(1) usage errors (no command, an unknown
# command or option, a call or notify without a method, -t without a
# number, an argument that is not one JSON value) exit 2 with a message on
# stderr and nothing on stdout, before any daemon is reached (none runs).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# usage_err WHAT ARG...
usage_err() {
	_what=$1
	shift
	fp_cli "$@"
	assert_status 2 "usage error: $_what"
	assert_grep . "$T/err" "usage error: $_what: message on stderr"
	assert_empty "$T/out" "usage error: $_what: stdout"
}
usage_err "no command"
usage_err "unknown command" frobnicate
usage_err "unknown option" -Z ping
usage_err "call without a method" call
usage_err "notify without a method" notify
usage_err "-t without a value" -t
usage_err "-t not a number" -t abc ping
usage_err "argument that is not JSON" call echo '{bad'
usage_err "two JSON values in one argument" call echo '1 2'
