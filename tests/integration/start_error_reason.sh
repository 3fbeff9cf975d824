#!/bin/sh
# start_error_reason.sh -- a start that fails on a call that sets no errno
# (a pidfile write cut short by a file size limit: pwrite returns fewer
# bytes, errno keeps whatever an earlier call left) names that reason,
# not the stale strerror, with -d and in daemon mode, and leaves neither
# pidfile nor socket behind.
# shellcheck disable=SC2016 # wait_for takes code to evaluate later
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if ! command -v prlimit >/dev/null 2>&1; then
	fp_fail "prlimit (util-linux) is needed to set a file size limit"
fi
: >"$FP_CONF"

# start_limited WHAT OPTION...: forkpoold with RLIMIT_FSIZE at 1 byte and
# its stderr on a pipe (a regular file would be cut too); its stderr in
# $T/err, its exit status in FP_RC.
start_limited() {
	_what=$1
	shift
	(
		set +e
		timeout --foreground -k 2 "$FP_CMD_TIMEOUT" \
		    prlimit --fsize=1:1 "$FORKPOOLD" -f "$FP_CONF" -w 1 \
		    -s "$FP_SOCK" -p "$FP_PIDFILE" "$@" 2>&1 >/dev/null
		echo "status $?"
	) | cat >"$T/err"
	FP_RC=$(sed -n 's/^status //p' "$T/err")
	# A daemon that did start is ours to stop at exit.
	if [ -s "$FP_PIDFILE" ]; then
		FP_DAEMONS="$FP_DAEMONS $(tr -cd 0-9 <"$FP_PIDFILE")"
	fi
	if grep -Eq "$FP_SANRE" "$T/err"; then
		cat "$T/err" >&2
		fp_fail "$_what: sanitizer report"
	fi
	assert_status 1 "$_what: exit status"
	assert_grep "^forkpoold: $FP_PIDFILE: short write \\(1 of [0-9]+ bytes\\)" \
	    "$T/err" "$_what: the reason"
	assert_no_grep "No such file|File exists" "$T/err" "$_what: no stale errno"
	if [ -e "$FP_PIDFILE" ] || [ -e "$FP_SOCK" ]; then
		fp_fail "$_what: left $(ls "$T")"
	fi
}

start_limited "forkpoold -d" -d
start_limited "daemon mode"

# The limit alone is not the failure: without it the same start works.
fp_start -w 1
fp_stop_clean
