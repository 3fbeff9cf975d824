#!/bin/sh
# config_check.sh -- forkpoold -n: `configuration OK` and exit 0 for a good
# file using every keyword, for an empty one (the built-in defaults) and
# for the other spellings the format allows; -nv prints every keyword with
# its value, in a form that is itself a valid configuration (and prints the
# same again); command-line options override the file.  (Bad files:
# config_errors.sh; no file: config_default_file.sh; usage: daemon_usage.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

KEYWORDS="workers socket socket-mode pidfile queue-limit prefetch ring-size
max-request-size max-connections max-outstanding shutdown-timeout
test-handlers log-level timeout retries kill-grace cancel-running
breaker-threshold breaker-window breaker-cooldown min-worker-age
respawn-backoff-max max-tasks-per-worker max-worker-rss load-timeout
user group socket-owner socket-group admin-group"
# Memory bounds (issue 8).
KEYWORDS="$KEYWORDS max-connection-output max-buffered"
KEYWORDS="$KEYWORDS max-connections-per-user"

cat >"$T/good.conf" <<CONF
# a configuration that uses every keyword

workers 3			# comment after a value
socket "$T/x y.sock"
socket-mode 0600
pidfile $T/good.pid
queue-limit 0
prefetch 1024
ring-size 64K
max-request-size 1G
max-connections 1000000
max-connections-per-user 8
max-outstanding 1
shutdown-timeout 60m
test-handlers yes
log-level debug
timeout 2500ms
retries 3
kill-grace 1s
cancel-running kill
breaker-threshold 7
breaker-window 30s
breaker-cooldown 2s
min-worker-age 500ms
respawn-backoff-max 1m
max-tasks-per-worker 1000
max-worker-rss 512M
load-timeout 5s
user nobody
group nogroup
socket-owner 0
socket-group nogroup
admin-group 0
max-connection-output 64K
max-buffered 3G
handler sleep timeout 10s
handler crash retries 0
handler echo breaker-threshold 0
CONF

fp_run "$FORKPOOLD" -n -f "$T/good.conf"
assert_status 0 "forkpoold -n -f good.conf"
assert_out "configuration OK" "forkpoold -n -f good.conf"
assert_empty "$T/err" "forkpoold -n -f good.conf: stderr"
for f in "$T/x y.sock" "$T/good.pid"; do
	if [ -e "$f" ]; then
		fp_fail "forkpoold -n created $f"
	fi
done

# nv_check FILE WHAT [OPTION...]: -nv output has every keyword once, ends
# with `configuration OK`, and read back gives the same output.
nv_check() {
	_f=$1
	_what=$2
	shift 2
	fp_run "$FORKPOOLD" -nv -f "$_f" "$@"
	assert_status 0 "$_what"
	if [ "$(tail -n 1 "$T/out")" != "configuration OK" ]; then
		fp_show_output
		fp_fail "$_what: last line is not 'configuration OK'"
	fi
	sed '$d' "$T/out" >"$T/nv.conf"
	for k in $KEYWORDS; do
		_n=$(grep -Ec "^[[:blank:]]*${k}[[:blank:]]+[^[:blank:]]" \
		    "$T/nv.conf" || true)
		if [ "$_n" != 1 ]; then
			fp_show_output
			fp_fail "$_what: keyword $k printed $_n times"
		fi
	done
	cp "$T/out" "$T/nv.first"
	fp_run "$FORKPOOLD" -nv -f "$T/nv.conf"
	assert_status 0 "$_what, read back"
	# Comments (the file read) may differ; nothing else may.
	grep -v '^[[:blank:]]*#' "$T/nv.first" >"$T/nv.a" || true
	grep -v '^[[:blank:]]*#' "$T/out" >"$T/nv.b" || true
	if ! cmp -s "$T/nv.a" "$T/nv.b"; then
		diff -u "$T/nv.a" "$T/nv.b" >&2 || true
		fp_fail "$_what: the printed configuration read back prints" \
		    "differently"
	fi
}

# kv KEYWORD: the value -nv printed for KEYWORD (from $T/nv.conf).
kv() {
	awk -v k="$1" '$1 == k { $1 = ""; sub(/^[ \t]+/, ""); print; exit }' \
	    "$T/nv.conf"
}

nv_check "$T/good.conf" "forkpoold -nv -f good.conf"
assert_eq 3 "$(kv workers)" "-nv: workers"
case $(kv socket) in
*"x y.sock"*) ;;
*)	fp_fail "-nv: socket: expected $T/x y.sock, got $(kv socket)" ;;
esac
case $(kv test-handlers) in
yes|on|true) ;;
*)	fp_fail "-nv: test-handlers: expected yes, got $(kv test-handlers)" ;;
esac
assert_eq debug "$(kv log-level)" "-nv: log-level"
assert_eq 2500ms "$(kv timeout)" "-nv: timeout"
assert_eq kill "$(kv cancel-running)" "-nv: cancel-running"
assert_eq 512M "$(kv max-worker-rss)" "-nv: max-worker-rss"
assert_eq '"nobody"' "$(kv user)" "-nv: user"
assert_eq '"nogroup"' "$(kv socket-group)" "-nv: socket-group"
assert_eq 64K "$(kv max-connection-output)" "-nv: max-connection-output"
assert_eq 3G "$(kv max-buffered)" "-nv: max-buffered"
for _h in "handler sleep timeout 10s" "handler crash retries 0" \
    "handler echo breaker-threshold 0"; do
	assert_grep "^$_h\$" "$T/nv.conf" "-nv: $_h"
done

# Options override the file.
nv_check "$T/good.conf" "forkpoold -nv -w 5 -s ... -p none" -w 5 \
    -s "$T/o.sock" -p none
assert_eq 5 "$(kv workers)" "-nv -w 5: workers"
assert_eq "$T/o.sock" "$(kv socket | tr -d '"')" "-nv -s: socket"
assert_eq none "$(kv pidfile | tr -d '"')" "-nv -p none: pidfile"

# Built-in defaults from an empty file.
: >"$T/empty.conf"
nv_check "$T/empty.conf" "forkpoold -nv -f empty.conf"
assert_eq "$(getconf _NPROCESSORS_ONLN)" "$(kv workers)" \
    "-nv: default workers (online CPUs)"
assert_eq 4M "$(kv max-connection-output)" "-nv: default max-connection-output"
assert_eq 256M "$(kv max-buffered)" "-nv: default max-buffered"
fp_run "$FORKPOOLD" -n -f /dev/null
assert_status 0 "forkpoold -n -f /dev/null"
assert_out "configuration OK" "forkpoold -n -f /dev/null"

# Other spellings that the file format allows.
cat >"$T/spell.conf" <<'CONF'
   workers	"2"
ring-size 1m
max-request-size 2MB
shutdown-timeout 250ms
queue-limit 10 # ten
test-handlers off
log-level warn
socket "/tmp/a \"quoted\" \\ name"
CONF
fp_run "$FORKPOOLD" -n -f "$T/spell.conf"
assert_status 0 "forkpoold -n -f spell.conf"
assert_out "configuration OK" "forkpoold -n -f spell.conf"
