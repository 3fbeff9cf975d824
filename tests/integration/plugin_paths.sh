#!/bin/sh
# plugin_paths.sh -- a `load' path (forkpool.conf(5)) reaches the plug-in
# file only through things root controls, or it is refused by forkpoold -n
# and at start, naming the reason:
#   - a path whose real form is longer than PATH_MAX (a deep tree reached
#     through symbolic links, all root's): it cannot be checked, so it is
#     refused, never let through unchecked;
#   - a chain of symbolic links with a hop in a directory nobody owns, or a
#     hop that is itself a link owned by nobody in a sticky directory, even
#     though the file at the end is root's and safe;
#   - the same chains with every part root's load.
# And the file loaded is the file checked: a plug-in whose init, in the
# trial load, replaces the file its load line names, is still the plug-in
# that the daemon loads for good (the supervisor and the trial both load
# the one descriptor opened and checked, never the name again).
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "plugin_paths.sh must run as root (files owned by nobody)"
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
BD=$(cd "$(dirname "$FORKPOOLD")" && pwd)
chmod 0755 "$T"
mkdir -m 0755 "$T/safe"
cp "$BD/tests/plugins/testplug.so" "$T/safe/testplug.so"
chmod 0644 "$T/safe/testplug.so"
TP=$T/safe/testplug.so

# refused WHAT PATH REASON_ERE: forkpoold -n and a start with `load PATH'
# exit 1 naming the line, the path and REASON_ERE.
refused() {
	printf 'workers 1\nload "%s"\n' "$2" >"$FP_CONF"
	fp_load_refused "$1" 2 "$2" "$3"
}
# accepted WHAT PATH: forkpoold -n says OK with `load PATH'.
accepted() {
	printf 'workers 1\nload "%s"\n' "$2" >"$FP_CONF"
	fp_run "$FORKPOOLD" -n -f "$FP_CONF"
	assert_status 0 "forkpoold -n, $1"
	assert_out "configuration OK" "forkpoold -n, $1"
}

# ---- a real path longer than PATH_MAX ------------------------------------
# 25 directories of 200 characters (about 5000 bytes), reached by two
# relative links so that each link and the path as written stay short.
python3 - "$T/deep" "$TP" <<'PY'
import os, shutil, sys
top, tp = sys.argv[1], sys.argv[2]
os.mkdir(top, 0o755)
fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
name = "d" * 200
rel1, rel2 = [], []
for i in range(25):
    os.mkdir(name, 0o755, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
    (rel1 if i < 15 else rel2).append(name)
dst = os.open("tp.so", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
with open(tp, "rb") as src:
    os.write(dst, src.read())
os.close(dst)
os.symlink("/".join(rel1), top + "/l1")
fd1 = os.open(top + "/l1", os.O_RDONLY | os.O_DIRECTORY)
os.symlink("/".join(rel2) + "/tp.so", "l2", dir_fd=fd1)
PY
refused "a real path longer than PATH_MAX" "$T/deep/l1/l2" \
    ".*(path|real path).* too long"

# ---- a chain of links through a directory nobody owns ----------------------
mkdir -m 0755 "$T/nob"
chown nobody "$T/nob"
ln -s "$TP" "$T/nob/hop"
chown -h nobody "$T/nob/hop"
ln -s "$T/nob/hop" "$T/safe/entry.so"
refused "a link through a directory nobody owns" "$T/safe/entry.so" \
    "directory $T/nob is owned by uid 65534, not by root or the daemon's user"

# ---- a link nobody owns, in a sticky directory root owns -------------------
mkdir -m 1777 "$T/sticky"
ln -s "$TP" "$T/sticky/hop"
chown -h nobody "$T/sticky/hop"
ln -s "$T/sticky/hop" "$T/safe/entry2.so"
refused "a link nobody owns in a sticky directory" "$T/safe/entry2.so" \
    "symbolic link $T/sticky/hop is owned by uid 65534, not by root or the daemon's user"

# ---- the same chains, root's: accepted --------------------------------------
chown root "$T/nob" "$T/nob/hop"
chown -h root "$T/nob/hop" "$T/sticky/hop"
accepted "a chain of links root owns" "$T/safe/entry.so"
accepted "a root's link in a sticky directory" "$T/safe/entry2.so"
fp_info "long, and other users' paths refused; root's chains accepted"

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
# shellcheck disable=SC2046
fp_run "${CC:-cc}" -Wall -shared -fPIC -o "$T/safe/swap.so" "$T/swap.c" \
    -I"$root/include" $(pkg-config --cflags msgpack) \
    $(pkg-config --libs msgpack)
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
