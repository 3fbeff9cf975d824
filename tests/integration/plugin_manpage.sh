#!/bin/sh
# plugin_manpage.sh -- the plug-in that forkpool_plugin(3) shows in EXAMPLES
# is real: cut it out of the page, build it as the page says
# (against include/ here instead of an installed header), load it, and get
# the answer the page prints.
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
fp_msgpack_flags
# The code runs from the line "/* words.c */" to the end of its display.
awk '/^\/\* words.c \*\/$/ { f = 1 } f && /^\.Ed$/ { exit } f { print }' \
    "$root/man/forkpool_plugin.3" | sed 's/\\e/\\/g' >"$T/words.c"
if ! grep -q '^const struct fp_plugin forkpool_plugin' "$T/words.c"; then
	cat "$T/words.c" >&2
	fp_fail "could not cut words.c out of man/forkpool_plugin.3"
fi
# shellcheck disable=SC2086 # CC's and msgpack-c's flags are words
fp_run ${CC:-cc} -Wall -Wextra -Werror -shared -fPIC -o "$T/words.so" \
    "$T/words.c" -I"$root/include" $MSGPACK_CFLAGS \
    $MSGPACK_LIBS
assert_status 0 "building the forkpool_plugin(3) example"

printf 'load "%s"\n' "$T/words.so" >"$FP_CONF"
fp_run "$FORKPOOLD" -n -f "$FP_CONF"
assert_status 0 "forkpoold -n with the example loaded"
assert_grep '^configuration OK$' "$T/out" "forkpoold -n output"

fp_start -w 1
fp_call_ok 4 "text.words as in the page" text.words '"to be or not"'
fp_call_ok 0 "text.words of blanks" text.words '"  \t "'
fp_call_err invalid_params "expected \[string\]" "text.words of a number" \
    text.words 12
fp_stop_clean
