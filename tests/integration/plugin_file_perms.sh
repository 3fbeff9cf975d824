#!/bin/sh
# plugin_file_perms.sh -- a plug-in file others could have written is
# refused by forkpoold -n and at start, naming the line, the path and the
# reason: writable by anyone or by its group, owned by another user than
# root or the daemon's, in a directory others may write to (also through a
# symbolic link, by the target's directories); the same file, safe again,
# loads.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "plugin_file_perms.sh must run as root (it owns files as nobody)"
fi
fp_plugins
mkdir "$T/plug"
chmod 0755 "$T/plug"
cp "$TP" "$T/plug/testplug.so"
chmod 0644 "$T/plug/testplug.so"
TP=$T/plug/testplug.so

# refused WHAT PATH REASON_ERE: fp_load_refused, `load PATH' on the last
# line of $FP_CONF.
refused() {
	fp_load_refused "$1" "$(wc -l <"$FP_CONF" | tr -d ' ')" "$2" "$3"
}
printf 'workers 1\nuser nobody\nload "%s"\n' "$TP" >"$FP_CONF"
chmod 0666 "$TP"
refused "a plug-in of mode 0666" "$TP" "file $TP is writable by anyone"
chmod 0664 "$TP"
refused "a plug-in of mode 0664" "$TP" "file $TP is writable by its group"
chmod 0644 "$TP"
chown nobody "$TP"
refused "a plug-in owned by nobody" "$TP" \
    "file $TP is owned by uid 65534, not by root or the daemon's user"
chown root "$TP"
chmod 0777 "$T/plug"
refused "a plug-in in a directory of mode 0777" "$TP" \
    "directory $T/plug is writable by anyone"
chmod 0755 "$T/plug"
# Through a symbolic link: the directories of the target count too.
mkdir "$T/open"
chmod 0777 "$T/open"
cp "$TP" "$T/open/tp.so"
ln -s "$T/open/tp.so" "$T/plug/link.so"
printf 'workers 1\nload "%s"\n' "$T/plug/link.so" >"$FP_CONF"
refused "a link to a plug-in in a directory of mode 0777" \
    "$T/plug/link.so" "directory $T/open is writable by anyone"
# The same file, safe again, loads.
chmod 0755 "$T/open"
fp_run "$FORKPOOLD" -n -f "$FP_CONF"
assert_status 0 "forkpoold -n, a plug-in in safe directories"
assert_out "configuration OK" "forkpoold -n, a plug-in in safe directories"

