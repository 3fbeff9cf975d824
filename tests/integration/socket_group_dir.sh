#!/bin/sh
# socket_group_dir.sh -- with socket-group, the socket's directory that
# the daemon makes is mode 0750 and the socket group's, so that the group
# can reach the socket and nobody else can; the socket is root:GROUP 0660.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "socket_group_dir.sh must run as root (it gives files to nogroup)"
fi
printf 'workers 1\nsocket-group nogroup\n' >"$FP_CONF"
FP_SOCK=$T/sgdir/s.sock
fp_start_daemon
assert_eq "750 root:nogroup" "$(stat -c '%a %U:%G' "$T/sgdir")" \
    "the socket directory made with socket-group"
assert_eq "root:nogroup 660" "$(stat -c '%U:%G %a' "$FP_SOCK")" \
    "the socket made with socket-group"
fp_stop_daemon
