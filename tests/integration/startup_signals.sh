#!/bin/sh
# startup_signals.sh -- a stop signal that comes during start-up, while a
# plug-in is being tried by its probe child (testplug gate-init: its init
# waits until the test opens a gate), neither kills the starting daemon
# started with -d nor leaves the probe behind: it is held until the daemon
# is ready, then acted on as forkpoold(8) says.  SIGTERM: the daemon
# starts, drains and exits 0; SIGINT likewise, even when the daemon was
# started with it ignored (as a shell's `&' does); SIGQUIT: it starts and
# stops, exit 0.  The probe runs with the signals as forkpoold was started
# with, not blocked.  No process is left.  (SIGHUP:
# startup_signals_hup.sh; daemon mode: startup_signals_daemon_mode.sh; -n:
# startup_signals_check.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_gate_conf

# ---- with -d: TERM, INT (also when started with it ignored), QUIT -------

for case in TERM INT INT:sigign QUIT; do
	sig=${case%%:*}
	how=${case#"$sig"}
	fp_gated_fg "$sig" "${how#:}"
	fp_record_workers
	fp_wait_bg "$FP_PID" 15
	if [ "$FP_RC" != 0 ]; then
		cat "$FP_LOG" >&2
		fp_fail "-d, SIG$sig during start-up ($case): exit status" \
		    "$FP_RC, expected 0"
	fi
	fp_check_log
	assert_grep "event=start " "$FP_LOG" "-d SIG$sig: the daemon started"
	if [ "$sig" = QUIT ]; then
		assert_grep "event=shutdown_stop .*reason=SIGQUIT" "$FP_LOG" \
		    "-d SIGQUIT: stopped"
	else
		assert_grep "event=shutdown_drain " "$FP_LOG" \
		    "-d SIG$sig: drained"
	fi
	fp_gate_after "-d SIG$sig"
done
