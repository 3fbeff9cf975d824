#!/bin/sh
# config_sample_keywords.sh -- the sample configuration src/dist/forkpool.conf
# (installed as forkpool.conf.sample: operator_kit.sh) is accepted by
# forkpoold -n, shows every keyword, commented out, with its built-in
# default, a load and a handler line, and uncommented it is still a valid
# configuration.
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

sample=$(cd "$FP_INTEG/../../src/dist" && pwd)/forkpool.conf

fp_run "$FORKPOOLD" -n -f "$sample" -s "$T/x.sock" -p none
assert_status 0 "forkpoold -n -f forkpool.conf.sample"
assert_out "configuration OK" "forkpoold -n -f forkpool.conf.sample"
# Every keyword, commented out, with its default (workers, socket and
# pidfile depend on the machine).
fp_run "$FORKPOOLD" -nv -f /dev/null
grep -v '^#' "$T/out" | sed '$d' >"$T/defaults"
while read -r kw val; do
	case $kw in
	workers|socket|pidfile) pat="^#$kw " ;;
	*) pat="^#$kw $val\$" ;;
	esac
	assert_grep "$pat" "$sample" "the sample's $kw (default $val)"
done <"$T/defaults"
assert_grep '^#load /' "$sample" "the sample's load"
assert_grep '^#handler [a-z.]+ [a-z-]+ ' "$sample" "the sample's handler"
sed -e 's/^#\([a-z]\)/\1/' -e '/^load /d' "$sample" >"$T/uncommented.conf"
fp_run "$FORKPOOLD" -n -f "$T/uncommented.conf" -s "$T/x.sock" -p none
assert_status 0 "forkpoold -n, the sample uncommented"
assert_out "configuration OK" "forkpoold -n, the sample uncommented"
