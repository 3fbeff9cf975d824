#!/bin/sh
# startup_paths_refused.sh -- forkpoold -n refuses what a start refuses, with
# the same message: a file at the socket path that is not a socket (left
# as it was), a pidfile path that is a symbolic link (its target left
# alone) or not a regular file, a socket-group a non-root daemon is not in
# (no directory made).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

FP_CMD_TIMEOUT=15
: >"$FP_CONF"
fp_need_root "a daemon as nobody"
chmod 711 "$T"

: >"$T/file"
fp_refused "a file in the socket's place" "$T/file: exists and is not a socket" \
    -s "$T/file" -p none
assert_eq 0 "$(stat -c %s "$T/file")" "the file in the socket's place"
echo precious >"$T/victim"
ln -s "$T/victim" "$T/link.pid"
fp_refused "a symbolic link at the pidfile path" \
    "$T/link.pid: a symbolic link: refusing" -s "$FP_SOCK" -p "$T/link.pid"
assert_eq precious "$(cat "$T/victim")" "the symbolic link's target"
mkfifo "$T/fifo.pid"
fp_refused "a fifo at the pidfile path" "$T/fifo.pid: not a regular file" \
    -s "$FP_SOCK" -p "$T/fifo.pid"
if [ -e "$FP_SOCK" ]; then
	fp_fail "a start refused for its pidfile left its socket"
fi
# A non-root daemon cannot give its socket to a group it is not in.
printf 'socket-group root\n' >"$T/sgroot.conf"
mkdir -m 1777 "$T/tmp"
for opt in -n -d; do
	fp_run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$FORKPOOLD" "$opt" -f "$T/sgroot.conf" -s "$T/tmp/nb/s.sock" \
	    -p none
	assert_status 1 "forkpoold $opt as nobody, socket-group root"
	assert_grep "^forkpoold: socket-group root: not a group of uid" \
	    "$T/err" "forkpoold $opt as nobody, socket-group root: message"
	if [ -e "$T/tmp/nb" ]; then
		fp_fail "forkpoold $opt as nobody, socket-group root: left" \
		    "$T/tmp/nb"
	fi
done
