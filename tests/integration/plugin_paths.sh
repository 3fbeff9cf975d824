#!/bin/sh
# plugin_paths.sh -- a `load' path (forkpool.conf(5)) reaches the plug-in
# file only through things root controls, or it is refused by forkpoold -n
# and at start, naming the reason: a chain of symbolic links with a hop in
# a directory nobody owns, or a hop that is itself a link owned by nobody
# in a sticky directory, even though the file at the end is root's and
# safe.  The same chains with every part root's load.  (A real path longer
# than PATH_MAX: plugin_paths_too_long.sh; the file loaded is the file
# checked: plugin_loaded_is_checked.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_safe_dir
TP=$SAFE_TP

# accepted WHAT PATH: forkpoold -n says OK with `load PATH'.
accepted() {
	printf 'workers 1\nload "%s"\n' "$2" >"$FP_CONF"
	fp_run "$FORKPOOLD" -n -f "$FP_CONF"
	assert_status 0 "forkpoold -n, $1"
	assert_out "configuration OK" "forkpoold -n, $1"
}

# ---- a chain of links through a directory nobody owns ----------------------
mkdir -m 0755 "$T/nob"
chown nobody "$T/nob"
ln -s "$TP" "$T/nob/hop"
chown -h nobody "$T/nob/hop"
ln -s "$T/nob/hop" "$T/safe/entry.so"
fp_load_path_refused "a link through a directory nobody owns" \
    "$T/safe/entry.so" \
    "directory $T/nob is owned by uid 65534, not by root or the daemon's user"

# ---- a link nobody owns, in a sticky directory root owns -------------------
mkdir -m 1777 "$T/sticky"
ln -s "$TP" "$T/sticky/hop"
chown -h nobody "$T/sticky/hop"
ln -s "$T/sticky/hop" "$T/safe/entry2.so"
fp_load_path_refused "a link nobody owns in a sticky directory" \
    "$T/safe/entry2.so" \
    "symbolic link $T/sticky/hop is owned by uid 65534, not by root or the daemon's user"

# ---- the same chains, root's: accepted --------------------------------------
chown root "$T/nob" "$T/nob/hop"
chown -h root "$T/nob/hop" "$T/sticky/hop"
accepted "a chain of links root owns" "$T/safe/entry.so"
accepted "a root's link in a sticky directory" "$T/safe/entry2.so"
fp_info "other users' paths refused; root's chains accepted"
