#!/bin/sh
# config_errors.sh -- forkpoold -n rejects a bad keyword or value with
# `forkpoold: FILE:LINE: ...' and exit 1, never `configuration OK'; a
# missing -f file is an error naming it, with -n and at start; a bad file
# stops the start-up before the socket is made.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# bad LINE TEXT WHAT: a file whose line LINE is TEXT (after two good lines
# and possibly blank/comment lines) is rejected with FILE:LINE:.
bad() {
	_line=$1
	_text=$2
	_what=$3
	{
		echo "# line 1"
		echo "workers 2"
		_i=3
		while [ "$_i" -lt "$_line" ]; do
			echo
			_i=$((_i + 1))
		done
		printf '%s\n' "$_text"
		echo "queue-limit 10"
	} >"$T/bad.conf"
	fp_run "$FORKPOOLD" -n -f "$T/bad.conf"
	assert_status 1 "forkpoold -n: $_what"
	assert_grep "^forkpoold: $T/bad.conf:$_line: ." "$T/err" \
	    "forkpoold -n: $_what: message"
	assert_no_grep "configuration OK" "$T/out" "forkpoold -n: $_what"
}
bad 3 'wokers 4' 'unknown keyword'
assert_grep '"wokers"' "$T/err" "unknown keyword: names it"
bad 5 'workers 0' 'workers 0'
bad 3 'prefetch 0' 'prefetch 0'
bad 4 'workers 1025' 'workers 1025'
bad 3 'workers two' 'workers two'
bad 3 'workers 4x' 'workers 4x'
bad 3 'workers' 'keyword without a value'
bad 3 'workers 2 3' 'two values'
bad 3 'workers 2' 'a keyword given twice'
bad 3 'ring-size 100K' 'ring-size not a power of two'
bad 3 'ring-size 32K' 'ring-size below 64K'
bad 3 'ring-size 512M' 'ring-size above 256M'
bad 3 'max-request-size 512' 'max-request-size below 1K'
bad 3 'max-request-size 2G' 'max-request-size above 1G'
bad 3 'max-request-size 1T' 'unknown size suffix'
bad 3 'queue-limit 1000001' 'queue-limit above 1000000'
bad 3 'queue-limit -1' 'negative queue-limit'
bad 3 'shutdown-timeout 2h' 'shutdown-timeout above 1h'
bad 3 'shutdown-timeout 61m' 'shutdown-timeout 61m'
bad 3 'shutdown-timeout 5y' 'unknown duration unit'
bad 3 'test-handlers maybe' 'test-handlers maybe'
bad 3 'log-level loud' 'log-level loud'
bad 3 'socket-mode 0999' 'socket-mode not octal'
bad 3 'socket-mode 01777' 'socket-mode above 0777'
bad 3 'user fp-no-such-user' 'an unknown user'
bad 3 'admin-group fp-no-such-group' 'an unknown admin-group'
bad 3 'pidfile' 'pidfile without a value'
bad 3 'socket "unterminated' 'unterminated quote'
bad 3 "socket /$(printf '%0120d' 0)" 'socket path over 107 bytes'
bad 3 'max-connections 0' 'max-connections 0'
bad 3 'max-outstanding 0' 'max-outstanding 0'
bad 3 'max-connection-output 1K' 'max-connection-output below 4K'
bad 3 'max-buffered 512K' 'max-buffered below 1M'
bad 3 'workers 99999999999999999999' 'workers overflowing'
bad 3 'retries 101' 'retries above 100'
bad 3 'cancel-running maybe' 'cancel-running maybe'
bad 3 'breaker-window 10ms' 'breaker-window below 100ms'
bad 3 'respawn-backoff-max 11m' 'respawn-backoff-max above 10m'
bad 3 'max-worker-rss 100K' 'max-worker-rss below 1M'
bad 3 'handler nosuch timeout 1s' 'handler: unknown handler'
bad 3 'handler echo speed 1s' 'handler: unknown key'
bad 3 'handler echo timeout' 'handler: no value'
bad 3 'handler echo timeout 1s 2s' 'handler: two values'

# A missing -f file is an error, naming the file.
fp_run "$FORKPOOLD" -n -f "$T/missing.conf"
assert_status 1 "forkpoold -n -f missing.conf"
assert_grep "$T/missing.conf" "$T/err" "missing -f file: message"
assert_no_grep "configuration OK" "$T/out" "missing -f file"
# ... also when starting, not only with -n.
fp_run "$FORKPOOLD" -d -f "$T/missing.conf" -s "$T/m.sock" -p none
assert_status 1 "forkpoold -d -f missing.conf"
# A bad file stops the start-up too.
fp_run "$FORKPOOLD" -d -f "$T/bad.conf" -s "$T/m.sock" -p none
assert_status 1 "forkpoold -d -f bad.conf"
if [ -e "$T/m.sock" ]; then
	fp_fail "forkpoold with a bad configuration created its socket"
fi
