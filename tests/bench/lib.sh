# lib.sh -- what the benchmark scripts share (tests/bench/daemon.sh,
# tests/bench/clients.sh): a forkpoold of their own on a temporary socket,
# started and stopped by PID.  Sourced, never run.
#
# bench_start NAME BUILDDIR DIR [ARG ...]: BUILDDIR/forkpoold -d -s
# DIR/s.sock -p none ARG ..., its stderr in DIR/daemon.log, its PID in
# bench_pid; waits, at most 5 s, for the socket; exits 1 (saying so, as
# NAME, with the log) if the daemon does not come up.
# bench_stop: SIGTERM to that daemon (it drains), then waits for it.
#
# shellcheck shell=sh

bench_pid=

bench_start() {
	_bn=$1 _bb=$2 _bd=$3
	shift 3
	rm -f "$_bd/s.sock"
	"$_bb/forkpoold" -d -s "$_bd/s.sock" -p none "$@" \
	    2>"$_bd/daemon.log" &
	bench_pid=$!
	_bi=0
	until [ -S "$_bd/s.sock" ]; do
		_bi=$((_bi + 1))
		if [ "$_bi" -gt 500 ] || ! kill -0 "$bench_pid" 2>/dev/null
		then
			echo "$_bn: forkpoold did not start" >&2
			cat "$_bd/daemon.log" >&2
			exit 1
		fi
		sleep 0.01
	done
}

bench_stop() {
	if [ -n "$bench_pid" ]; then
		kill -TERM "$bench_pid" 2>/dev/null || true
		wait "$bench_pid" 2>/dev/null || true
		bench_pid=
	fi
}
