#!/bin/sh
# plugin_rpath.sh -- the dynamic linker looks, as root, for the libraries a
# plug-in needs in the directories of its RUNPATH or RPATH: forkpoold -n
# and a start refuse a plug-in whose RUNPATH or RPATH names a directory
# nobody owns (the library there, which nobody could replace, never runs),
# and one with $ORIGIN in it (loaded through its descriptor, the plug-in
# has no directory the linker could use); the same plug-in with a RUNPATH
# that root owns loads, and so does its library.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "plugin_rpath.sh must run as root (files owned by nobody)"
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
fp_msgpack_flags
chmod 0755 "$T"
mkdir -m 0755 "$T/safe" "$T/nob" "$T/lib"
chown nobody "$T/nob"

# The library: its constructor leaves a mark when it runs.
cat >"$T/helper.c" <<'C'
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void
mark(void)
{
	const char *f = getenv("HELPER_MARK");
	FILE	*fp;

	if (f != NULL && (fp = fopen(f, "a")) != NULL) {
		fprintf(fp, "helper ran\n");
		fclose(fp);
	}
}

int
helper(void)
{
	return 7;
}
C
# The plug-in, which needs it.
cat >"$T/rp.c" <<'C'
#include <forkpool_plugin.h>

int	helper(void);

static int
ping(struct fp_call *call, const msgpack_object *params)
{
	msgpack_pack_int(call->pk, helper());
	return 0;
}

static const struct fp_plugin_handler handlers[] = {
	{ "rp.ping", ping, 0 },
	{ NULL, NULL, 0 }
};

const struct fp_plugin forkpool_plugin = {
	FP_PLUGIN_HEADER,
	.name = "rp",
	.handlers = handlers,
};
C
CC=${CC:-cc}
for d in nob lib; do
	fp_run "$CC" -shared -fPIC -o "$T/$d/libfphelper.so" "$T/helper.c"
	assert_status 0 "building libfphelper.so in $d"
	chmod 0644 "$T/$d/libfphelper.so"
done
chown nobody "$T/nob/libfphelper.so"
# build_plugin NAME LDFLAGS...: $T/safe/NAME.so, linked with the helper.
build_plugin() {
	_n=$1
	shift
	# shellcheck disable=SC2086 # msgpack-c's flags are words
	fp_run "$CC" -shared -fPIC -o "$T/safe/$_n.so" "$T/rp.c" \
	    -I"$root/include" $MSGPACK_CFLAGS \
	    -Wl,--no-as-needed -L"$T/lib" -lfphelper "$@" \
	    $MSGPACK_LIBS
	assert_status 0 "building $_n.so"
	chmod 0644 "$T/safe/$_n.so"
}
build_plugin runpath -Wl,--enable-new-dtags -Wl,-rpath,"$T/nob"
build_plugin rpath -Wl,--disable-new-dtags -Wl,-rpath,"/usr/lib:$T/nob"
build_plugin origin -Wl,--enable-new-dtags -Wl,-rpath,"\$ORIGIN/../lib"
build_plugin good -Wl,--enable-new-dtags -Wl,-rpath,"$T/lib"
HELPER_MARK=$T/mark
export HELPER_MARK

# refused WHAT NAME REASON_ERE: forkpoold -n and a start refuse
# $T/safe/NAME.so naming REASON_ERE, and the library never ran.
refused() {
	_p=$T/safe/$2.so
	printf 'workers 1\nload "%s"\n' "$_p" >"$FP_CONF"
	fp_run "$FORKPOOLD" -n -f "$FP_CONF"
	assert_status 1 "forkpoold -n, $1"
	assert_grep "^forkpoold: $FP_CONF:2: load $_p: refused: $3" \
	    "$T/err" "forkpoold -n, $1"
	fp_run "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE"
	assert_status 1 "forkpoold start, $1"
	assert_grep "load $_p: refused: $3" "$T/err" "forkpoold start, $1"
	if [ -e "$T/mark" ]; then
		fp_fail "$1: the library's constructor ran: $(cat "$T/mark")"
	fi
}
refused "a RUNPATH naming nobody's directory" runpath \
    "the RUNPATH of $T/safe/runpath.so names $T/nob: directory $T/nob is owned by uid 65534"
refused "an RPATH naming nobody's directory" rpath \
    "the RPATH of $T/safe/rpath.so names $T/nob: directory $T/nob is owned by uid 65534"
refused "a RUNPATH with \$ORIGIN" origin \
    "the RUNPATH of $T/safe/origin.so names \"\\\$ORIGIN/../lib\": \\\$ORIGIN and other \\\$ tokens are not supported"
fp_info "RUNPATH, RPATH naming nobody's directory, and \$ORIGIN, refused"

# A RUNPATH root owns: loaded, with its library.
printf 'workers 1\nload "%s"\n' "$T/safe/good.so" >"$FP_CONF"
fp_start -w 1
fp_call_ok 7 "the plug-in's handler calls the library" rp.ping
fp_stop_clean
assert_grep "helper ran" "$T/mark" "the library of a safe RUNPATH"
fp_info "a RUNPATH root owns loads"
