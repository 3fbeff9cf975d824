#!/bin/sh
# plugin_loaded_is_checked.sh -- the file loaded is the file checked: a
# plug-in whose init, in the trial load, replaces the file its `load' line
# names, is still the plug-in that the daemon loads for good (the
# supervisor and the trial both load the one descriptor opened and
# checked, never the name again).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_safe_dir
root=$(cd "$(dirname "$0")/../.." && pwd)
fp_msgpack_flags

# ---- the file loaded is the file checked ------------------------------------
# swap.so's init renames testplug_name.so (plug-in testplug2, handler
# tp.ok) over the path of its own load line: it runs first in the trial
# load, so by the time the supervisor loads the plug-in for good the name
# is another file.  The supervisor must still load swap.so.
cat >"$T/swap.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <forkpool_plugin.h>

static int
init(const struct fp_host *host, const char *arg, void **state, char *err,
    size_t errlen)
{
	const char *from = getenv("SWAP_FROM"), *to = getenv("SWAP_TO");

	if (from != NULL && to != NULL)
		(void)rename(from, to);
	return 0;
}

static int
ping(struct fp_call *call, const msgpack_object *params)
{
	msgpack_pack_int(call->pk, 7);
	return 0;
}

static const struct fp_plugin_handler handlers[] = {
	{ "swap.ping", ping, 0 },
	{ NULL, NULL, 0 }
};

const struct fp_plugin forkpool_plugin = {
	FP_PLUGIN_HEADER,
	.name = "swap",
	.init = init,
	.handlers = handlers,
};
C
# shellcheck disable=SC2086 # msgpack-c's flags are words
fp_run "${CC:-cc}" -Wall -shared -fPIC -o "$T/safe/swap.so" "$T/swap.c" \
    -I"$root/include" $MSGPACK_CFLAGS \
    $MSGPACK_LIBS
assert_status 0 "building swap.so"
chmod 0644 "$T/safe/swap.so"
cp "$BD/tests/plugins/testplug_name.so" "$T/safe/other.so"
chmod 0644 "$T/safe/other.so"
printf 'workers 1\nload "%s"\n' "$T/safe/swap.so" >"$FP_CONF"
SWAP_FROM=$T/safe/other.so
SWAP_TO=$T/safe/swap.so
export SWAP_FROM SWAP_TO
fp_start -w 1
unset SWAP_FROM SWAP_TO
if [ -e "$T/safe/other.so" ]; then
	fp_fail "the trial load did not run swap.so's init"
fi
assert_grep 'event=plugin_loaded plugin=swap ' "$FP_LOG" \
    "the plug-in loaded for good is the one checked"
assert_no_grep 'plugin=testplug2' "$FP_LOG" "the file swapped in"
fp_call_ok 7 "the checked plug-in's handler" swap.ping
fp_stop_clean
fp_info "the file loaded is the file checked, though its name changed"
