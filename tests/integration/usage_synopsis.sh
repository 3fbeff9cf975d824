#!/bin/sh
# usage_synopsis.sh -- the usage text of forkpoold and of forkpool is the
# SYNOPSIS of its man page: `-h` prints it on standard output and exits 0,
# and a bad option prints it on standard error, after the reason, and
# exits 2.  The SYNOPSIS is rendered with mandoc -T ascii; both sides are
# compared with diff -u once each synopsis line is joined with its
# continuation lines and runs of blanks are made one space (the page and
# the program may wrap a long line at different places).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v mandoc >/dev/null 2>&1; then
	fp_fail "mandoc is not installed (Debian package mandoc)"
fi
bs=$(printf '\b')

# normalise PROG: stdin, a synopsis or a usage text, one line per synopsis
# line of PROG: "usage:" dropped, continuation lines joined, blanks squeezed.
normalise() {
	awk -v prog="$1" '
	{
		sub(/^usage:/, "")
		gsub(/[ \t]+/, " ")
		sub(/^ /, "")
		sub(/ $/, "")
	}
	$0 == ""	{ next }
	$1 == prog	{ if (line != "") print line; line = $0; next }
			{ line = line " " $0 }
	END		{ if (line != "") print line }'
}

# check PROG BINARY PAGE
check() {
	mandoc -T ascii "$root/man/$3" | sed "s/.$bs//g" |
	    awk '/^SYNOPSIS$/ { f = 1; next } f && /^[^ \t]/ { exit } f' \
	    >"$T/$1.synopsis"
	if ! grep -q "^[ \t]*$1 " "$T/$1.synopsis"; then
		cat "$T/$1.synopsis" >&2
		fp_fail "no SYNOPSIS of $1 in man/$3"
	fi
	normalise "$1" <"$T/$1.synopsis" >"$T/$1.want"

	fp_run "$2" -h
	assert_status 0 "$1 -h"
	assert_empty "$T/err" "stderr of $1 -h"
	if ! grep -q "^usage: $1 " "$T/out"; then
		fp_show_output
		fp_fail "$1 -h does not print a usage text"
	fi
	cp "$T/out" "$T/$1.usage"
	normalise "$1" <"$T/$1.usage" >"$T/$1.got"
	if ! diff -u "$T/$1.want" "$T/$1.got" >"$T/$1.diff"; then
		cat "$T/$1.diff" >&2
		fp_fail "$1 -h differs from the SYNOPSIS of man/$3"
	fi

	# A usage error: the reason on one line, then the same text.
	fp_run "$2" -%
	assert_status 2 "$1 -%"
	assert_empty "$T/out" "stdout of $1 -%"
	sed 1d "$T/err" >"$T/$1.err"
	if ! diff -u "$T/$1.usage" "$T/$1.err" >"$T/$1.diff"; then
		cat "$T/$1.diff" >&2
		fp_fail "$1 -% does not print the usage text of $1 -h"
	fi
}

check forkpoold "$FORKPOOLD" forkpoold.8
check forkpool "$FORKPOOL" forkpool.1
