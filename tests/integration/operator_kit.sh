#!/bin/sh
# operator_kit.sh -- what an operator installs and runs (-V and -h:
# version_usage.sh).  `make install' puts a systemd unit (its paths
# substituted, systemd-analyze verify clean where systemd-analyze exists)
# and a commented sample forkpool.conf in place.  The unit runs the daemon
# in daemon mode with the pidfile the daemon uses, maps reload and stop to
# SIGHUP and SIGTERM with a stop timeout longer than shutdown-timeout, and
# has the hardening options; the sample installed is src/dist/forkpool.conf
# (what it holds: config_sample_keywords.sh).  The unit's ExecReload, run
# against a daemon started as ExecStart starts it, reloads it.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FP_BUILD:-$(dirname "$FORKPOOLD")}
san=
case ${build%/} in
*/build-san)	san=SANITIZE=1 ;;
*/build)	;;
*)		fp_fail "unknown build directory $build" ;;
esac

fp_version

# ---- make install ----------------------------------------------------------

FP_CMD_TIMEOUT=120	# make finds everything built: it only installs
prefix=$T/p
fp_run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" \
    --no-print-directory $san PREFIX="$prefix" install
assert_status 0 "make install"
FP_CMD_TIMEOUT=30
unit=$prefix/lib/systemd/system/forkpoold.service
sample=$prefix/share/forkpool/forkpool.conf.sample
for f in "$unit" "$sample" "$prefix/sbin/forkpoold"; do
	if [ ! -s "$f" ]; then
		fp_fail "make install did not install $f"
	fi
done
assert_grep "^Version: $version\$" "$prefix/lib/pkgconfig/forkpool.pc" \
    "the version in forkpool.pc"

# ---- the unit ---------------------------------------------------------------

assert_no_grep '@[A-Z]+@' "$unit" "unsubstituted @...@ in the unit"
assert_grep "^ExecStart=$prefix/sbin/forkpoold\$" "$unit" "ExecStart"
for d in 'Type=forking' "ExecReload=$prefix/bin/forkpool reload" \
    'KillSignal=SIGTERM' 'KillMode=mixed' 'RuntimeDirectory=forkpool' \
    'LimitNOFILE=[0-9]+' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
    'ProtectHome=(yes|read-only|tmpfs)' 'PrivateTmp=yes' \
    'RestrictAddressFamilies=AF_UNIX'; do
	assert_grep "^$d\$" "$unit" "the unit's $d"
done
# The pidfile systemd watches is the one the daemon writes (root, defaults).
fp_run env -u FORKPOOL_SOCKET -u XDG_RUNTIME_DIR "$FORKPOOLD" -nv \
    -f "$sample"
assert_status 0 "forkpoold -nv -f forkpool.conf.sample"
pidfile=$(awk '$1 == "pidfile" { gsub(/"/, "", $2); print $2 }' "$T/out")
shutdown=$(awk '$1 == "shutdown-timeout" { sub(/s$/, "", $2); print $2 }' \
    "$T/out")
if [ "$(id -u)" = 0 ]; then
	assert_grep "^PIDFile=$pidfile\$" "$unit" "PIDFile, the daemon's pidfile"
fi
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$unit")
if [ -z "$stop" ] || [ "$stop" -le "$((shutdown + 3))" ]; then
	fp_fail "TimeoutStopSec=$stop is not longer than shutdown-timeout" \
	    "${shutdown}s and the 3 s to stop the workers after it"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	# Documentation= names the installed pages: man must find them.
	fp_run env MANPATH="$prefix/share/man" systemd-analyze verify "$unit"
	assert_status 0 "systemd-analyze verify forkpoold.service"
	assert_empty "$T/err" "systemd-analyze verify forkpoold.service"
else
	fp_info "no systemd-analyze: the unit is not verified"
fi

# ---- the sample configuration ---------------------------------------------

# Installed as it is in the tree (its content: config_sample_keywords.sh).
if ! cmp -s "$root/src/dist/forkpool.conf" "$sample"; then
	fp_fail "the installed sample differs from src/dist/forkpool.conf"
fi

# ---- the unit's commands against a daemon ----------------------------------

# ExecStart (daemon mode, the sample) on this test's socket, then the
# unit's ExecReload with $MAINPID from the pidfile, then KillSignal.
cp "$sample" "$FP_CONF"
fp_start_daemon -w 1
fp_wait_nworkers 1
reload=$(sed -n 's/^ExecReload=//p' "$unit")
# shellcheck disable=SC2034 # $MAINPID of ExecReload, under eval
MAINPID=$FP_PID
eval "fp_run $reload"
assert_status 0 "ExecReload"
wait_for '[ "$(fp_stat generation)" = 1 ]' 10 ||
    fp_fail "ExecReload did not reload (generation $(fp_stat generation))"
# A bad file: ExecReload fails (systemctl reload says so), nothing changes.
printf 'workers many\n' >>"$FP_CONF"
eval "fp_run $reload"
assert_status 1 "ExecReload of a bad forkpool.conf"
assert_grep 'workers many' "$T/err" "ExecReload of a bad forkpool.conf"
assert_eq 1 "$(fp_stat generation)" "the generation after a failed reload"
fp_stop_daemon "$(sed -n 's/^KillSignal=SIG//p' "$unit")"
