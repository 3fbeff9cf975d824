# lib.sh -- helpers for the forkpool integration tests.
#
# Sourced (after `set -eu`) by every tests/integration/*.sh, never run:
#
#	. "$(dirname "$0")/../lib.sh"
#
# Environment: FORKPOOLD and FORKPOOL name the binaries under test; optional
# FP_LOGDIR (set by tests/run.sh) receives the daemon logs at exit so that
# the runner can scan them for sanitizer reports; optional FP_WRAP is a
# command the daemon is started under (tests/valgrind.sh); FP_INTEG is the
# directory of fpclient.py (default: the directory of the sourcing script);
# with FP_KEEP=1 a failed test keeps its temporary directory and prints its
# path.
#
# A test that cannot run here (not root, a tool or module missing) calls
# fp_skip: it prints `SKIPPED: reason' and exits 77, which tests/run.sh
# counts as skipped, never as passed.
#
# Synchronisation is bounded polling only (wait_for), never a bare sleep;
# the EXIT trap stops only processes this script started, by PID.
#
# shellcheck shell=sh

: "${FORKPOOLD:?FORKPOOLD must name the forkpoold binary}"
: "${FORKPOOL:?FORKPOOL must name the forkpool binary}"
: "${FP_INTEG:=$(cd "$(dirname "$0")" && pwd)}"
: "${FP_WRAP:=}"
: "${FP_START_TIMEOUT:=10}"
: "${FP_CMD_TIMEOUT:=30}"
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS UBSAN_OPTIONS

FP_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/fp.XXXXXX")
if [ ${#T} -gt 80 ]; then
	# sun_path holds 107 bytes: keep the socket paths short.
	rmdir "$T"
	T=$(mktemp -d /tmp/fp.XXXXXX)
fi
FP_SOCK=$T/s.sock
FP_PIDFILE=$T/fp.pid
FP_CONF=$T/forkpool.conf
FP_LOG=$T/daemon.log
FP_PID=
FP_DAEMONS=		# daemons this script started, not yet reaped
FP_ALLD=		# every daemon this script started
FP_PIDS=		# other background processes this script started
FP_WORKERS=		# "pid:starttime" of the workers seen by fp_record_workers
FP_STATUS=
FP_RC=
FP_FAILMSG=
FP_SKIPPED=
FP_NSTART=0
FORKPOOL_SOCKET=$FP_SOCK
PYTHONPATH=$FP_INTEG${PYTHONPATH:+:$PYTHONPATH}
PYTHONDONTWRITEBYTECODE=1
export T FP_SOCK FP_PIDFILE FP_CONF FORKPOOL_SOCKET PYTHONPATH \
    PYTHONDONTWRITEBYTECODE

# ---- reporting ---------------------------------------------------------

fp_info() {
	printf '%s: %s\n' "$FP_NAME" "$*"
}

# fp_fail MESSAGE: fail the test.  The message is printed again, last, by
# the EXIT trap so that it survives the runner's tail of the log.
fp_fail() {
	FP_FAILMSG=$*
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# fp_skip REASON: this test cannot run here.  Exit status 77, as automake's
# test drivers use, so that the runner tells it from a pass.
fp_skip() {
	printf 'SKIPPED: %s\n' "$*"
	FP_SKIPPED=1
	exit 77
}

# ---- time and polling --------------------------------------------------

# fp_now: centiseconds of uptime in FP_NOW, without a fork.
fp_now() {
	read -r _fp_up _fp_rest </proc/uptime
	FP_NOW=${_fp_up%.*}${_fp_up#*.}
	FP_NOW=${FP_NOW#"${FP_NOW%%[!0]*}"}
	: "${FP_NOW:=0}" "$_fp_rest"
}

# wait_for COND_CMD TIMEOUT_S: evaluate COND_CMD every 20 ms until it
# succeeds (return 0) or TIMEOUT_S whole seconds have passed (return 1).
wait_for() {
	fp_now
	_wf_end=$((FP_NOW + $2 * 100))
	while :; do
		if eval "$1"; then
			return 0
		fi
		fp_now
		if [ "$FP_NOW" -ge "$_wf_end" ]; then
			return 1
		fi
		sleep 0.02
	done
}

# ---- processes ---------------------------------------------------------

# fp_state PID: the state letter of PID, empty if there is no such process.
fp_state() {
	_st=
	if read -r _st_line 2>/dev/null <"/proc/$1/stat"; then
		_st=${_st_line##*) }
		_st=${_st%% *}
	fi
	printf '%s' "$_st"
}

# fp_alive PID: PID exists and is not a zombie.
fp_alive() {
	case $(fp_state "$1") in
	''|Z|X) return 1 ;;
	esac
	return 0
}

# fp_starttime PID: field 22 of /proc/PID/stat (start time since boot), to
# tell a process from a later one that reuses its PID.
fp_starttime() {
	if read -r _fst_line 2>/dev/null <"/proc/$1/stat"; then
		# shellcheck disable=SC2086
		set -- ${_fst_line##*) }
		shift 19
		printf '%s' "$1"
	fi
}

# fp_workers [PID]: the live (non-zombie) children of the daemon, one a line.
fp_workers() {
	ps --ppid "${1:-$FP_PID}" -o pid=,stat= 2>/dev/null |
	    awk '$2 !~ /^Z/ { print $1 }'
}

# fp_nworkers [PID]: how many live children the daemon has.
fp_nworkers() {
	fp_workers "$@" | wc -l | tr -d ' '
}

# fp_wait_nworkers N [TIMEOUT_S]: bounded wait (default 15 s) until the
# daemon has N live workers.
fp_wait_nworkers() {
	if ! wait_for "! fp_alive $FP_PID || [ \"\$(fp_nworkers)\" -eq $1 ]" \
	    "${2:-15}" || ! fp_alive "$FP_PID"; then
		if ! fp_alive "$FP_PID"; then
			FP_STATUS=0
			wait "$FP_PID" || FP_STATUS=$?
			fp_forget "$FP_PID"
			fp_fail "the daemon exited (status $FP_STATUS) while" \
			    "waiting for $1 workers"
		fi
		fp_fail "expected $1 workers, have $(fp_nworkers "$FP_PID"):" \
		    "$(fp_workers "$FP_PID" | tr '\n' ' ')"
	fi
}

# fp_record_workers [PID]: remember the daemon's workers (with their start
# times) so that fp_check_no_workers can tell that each of them is gone.
fp_record_workers() {
	for _w in $(fp_workers "${1:-$FP_PID}"); do
		_s=$(fp_starttime "$_w")
		if [ -n "$_s" ]; then
			FP_WORKERS="$FP_WORKERS $_w:$_s"
		fi
	done
}

# fp_leftovers: 0 if no process of a stopped daemon is alive; otherwise
# their PIDs in FP_LEFT and 1.  A process is a leftover if it is a worker
# recorded by fp_record_workers (same PID and start time), or a forkpoold
# process in this test's process group (or in a group led by one of our
# daemons) that is neither a live daemon of this script nor a child of one.
fp_leftovers() {
	FP_LEFT=
	for _ws in $FP_WORKERS; do
		_w=${_ws%%:*}
		if [ "$(fp_starttime "$_w")" = "${_ws#*:}" ] && fp_alive "$_w"; then
			FP_LEFT="$FP_LEFT $_w"
		fi
	done
	_live=
	for _d in $FP_DAEMONS; do
		if fp_alive "$_d"; then
			_live="$_live $_d"
		fi
	done
	read -r _l </proc/$$/stat
	# shellcheck disable=SC2086
	set -- ${_l##*) }
	_pg=$3
	for _f in /proc/[0-9]*/stat; do
		read -r _l 2>/dev/null <"$_f" || continue
		_p=${_l%% *}
		_c=${_l#*(}
		_c=${_c%)*}
		case $_c in forkpoold*) ;; *) continue ;; esac
		# shellcheck disable=SC2086
		set -- ${_l##*) }
		case $1 in Z|X) continue ;; esac
		case " $_live $FP_PIDS " in *" $_p "*|*" $2 "*) continue ;; esac
		case " $_pg $FP_ALLD " in *" $3 "*) ;; *) continue ;; esac
		case " $FP_LEFT " in *" $_p "*) ;; *) FP_LEFT="$FP_LEFT $_p" ;; esac
	done
	[ -z "$FP_LEFT" ]
}

# fp_check_no_workers [GRACE_S]: fail if a process of a stopped daemon is
# still alive (after up to GRACE_S seconds of bounded polling; default 0:
# a graceful shutdown stops its workers before the daemon exits).
fp_check_no_workers() {
	if [ "${1:-0}" -gt 0 ]; then
		wait_for fp_leftovers "$1" || true
	fi
	if ! fp_leftovers; then
		# shellcheck disable=SC2086
		ps -o pid,ppid,pgid,stat,args -p "$(echo $FP_LEFT | tr ' ' ,)" \
		    >&2 || true
		fp_fail "processes of the daemon left after it stopped:$FP_LEFT"
	fi
	FP_WORKERS=
}

# fp_none_alive PID...: none of the PIDs is alive.
fp_none_alive() {
	for _na in "$@"; do
		if fp_alive "$_na"; then
			return 1
		fi
	done
	return 0
}

# fp_forget PID: drop PID from the lists of processes to stop at exit.
fp_forget() {
	_nd=
	for _x in $FP_DAEMONS; do
		[ "$_x" = "$1" ] || _nd="$_nd $_x"
	done
	FP_DAEMONS=$_nd
	_nd=
	for _x in $FP_PIDS; do
		[ "$_x" = "$1" ] || _nd="$_nd $_x"
	done
	FP_PIDS=$_nd
}

# fp_bg CMD...: run CMD in the background; its PID is in FP_BGPID and it
# is stopped at exit if still running.  Reap it with fp_wait_bg.
fp_bg() {
	"$@" &
	FP_BGPID=$!
	FP_PIDS="$FP_PIDS $FP_BGPID"
}

# fp_wait_bg PID TIMEOUT_S: bounded wait for a background process of ours;
# its exit status in FP_RC (SIGKILLed after the timeout: 137).
fp_wait_bg() {
	if ! wait_for "! fp_alive $1" "$2"; then
		fp_info "process $1 still running after $2 s; SIGKILL" >&2
		kill -KILL "$1" 2>/dev/null || true
	fi
	FP_RC=0
	wait "$1" || FP_RC=$?
	fp_forget "$1"
	return 0
}

# ---- the daemon --------------------------------------------------------

# A non-interactive shell starts background commands with SIGINT and
# SIGQUIT ignored; an operator's shell or systemd does not.  Start the
# daemon with the default dispositions, as it is started in real life.
FP_SIGDFL=
if env --default-signal=INT,QUIT true 2>/dev/null; then
	FP_SIGDFL="env --default-signal=INT,QUIT"
fi

# fp_start [OPTION...]: start forkpoold in the foreground on this test's
# socket, pidfile and configuration file ($FP_CONF, created empty if it does
# not exist), stderr appended to $FP_LOG; wait until the socket accepts a
# connection.  The daemon's PID is in FP_PID.  With FP_NO_S set, -s is not
# given: the daemon takes its socket from the file, or else from
# $FORKPOOL_SOCKET, which is this test's socket.
fp_start() {
	if [ ! -e "$FP_CONF" ]; then
		: >"$FP_CONF"
	fi
	FP_NSTART=$((FP_NSTART + 1))
	if [ -z "${FP_NO_S:-}" ]; then
		set -- -s "$FP_SOCK" "$@"
	fi
	printf '=== %s: start %d: forkpoold -d -p %s -f %s %s\n' \
	    "$FP_NAME" "$FP_NSTART" "$FP_PIDFILE" "$FP_CONF" "$*" >>"$FP_LOG"
	# shellcheck disable=SC2086
	$FP_SIGDFL $FP_WRAP "$FORKPOOLD" -d -p "$FP_PIDFILE" -f "$FP_CONF" \
	    "$@" </dev/null >>"$FP_LOG" 2>&1 &
	FP_PID=$!
	FP_DAEMONS="$FP_DAEMONS $FP_PID"
	FP_ALLD="$FP_ALLD $FP_PID"
	export FP_PID
	_rc=0
	"$FP_PY" "$FP_INTEG/fpclient.py" wait "$FP_SOCK" "$FP_PID" \
	    "$FP_START_TIMEOUT" || _rc=$?
	case $_rc in
	0)	;;
	2)	FP_RC=0
		wait "$FP_PID" || FP_RC=$?
		fp_forget "$FP_PID"
		tail -n 30 "$FP_LOG" >&2
		fp_fail "forkpoold $* exited with status $FP_RC during start-up" ;;
	*)	tail -n 30 "$FP_LOG" >&2
		fp_fail "forkpoold $*: socket $FP_SOCK not accepting after" \
		    "$FP_START_TIMEOUT s" ;;
	esac
}

# fp_start_daemon [OPTION...]: start forkpoold in daemon mode (no -d), as
# an operator or systemd does, on this test's socket, pidfile and
# configuration file like fp_start (FP_NO_S likewise; with FP_NO_P set, -p
# is not given and FP_PIDFILE must name the pidfile the daemon derives).
# The starting process must exit 0 within FP_START_TIMEOUT; what it
# printed is in $T/start.err (and the log).  The detached daemon's PID,
# read from the pidfile, is in FP_PID; it is stopped at exit.  It is not
# our child, so its exit status cannot be seen: fp_stop_daemon checks what
# it leaves instead.  Its stderr is /dev/null once it runs: a sanitizer
# build writes reports to $T/daemon-san.PID, which fp_check_daemon_san
# reads.
fp_start_daemon() {
	if [ ! -e "$FP_CONF" ]; then
		: >"$FP_CONF"
	fi
	FP_NSTART=$((FP_NSTART + 1))
	if [ -z "${FP_NO_S:-}" ]; then
		set -- -s "$FP_SOCK" "$@"
	fi
	if [ -z "${FP_NO_P:-}" ]; then
		set -- -p "$FP_PIDFILE" "$@"
	fi
	printf '=== %s: start %d (daemon mode): forkpoold -f %s %s\n' \
	    "$FP_NAME" "$FP_NSTART" "$FP_CONF" "$*" >>"$FP_LOG"
	_rc=0
	# shellcheck disable=SC2086
	ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$T/daemon-san" \
	    UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$T/daemon-san" \
	    timeout -k 2 "$FP_START_TIMEOUT" $FP_SIGDFL $FP_WRAP "$FORKPOOLD" \
	    -f "$FP_CONF" "$@" </dev/null >>"$FP_LOG" 2>"$T/start.err" ||
	    _rc=$?
	cat "$T/start.err" >>"$FP_LOG"
	if [ "$_rc" -ne 0 ]; then
		cat "$T/start.err" >&2
		fp_fail "forkpoold $* (daemon mode) exited with status $_rc"
	fi
	FP_PID=$(tr -d ' \n' <"$FP_PIDFILE" 2>/dev/null || true)
	case $FP_PID in
	''|*[!0-9]*)
		fp_fail "forkpoold $* (daemon mode): no pid in $FP_PIDFILE" ;;
	esac
	FP_DAEMONS="$FP_DAEMONS $FP_PID"
	FP_ALLD="$FP_ALLD $FP_PID"
	export FP_PID
	_rc=0
	"$FP_PY" "$FP_INTEG/fpclient.py" wait "$FP_SOCK" "$FP_PID" 1 || _rc=$?
	case $_rc in
	0)	;;
	2)	fp_fail "forkpoold $* (daemon mode): pid $FP_PID of the" \
		    "pidfile is not running" ;;
	*)	fp_fail "forkpoold $* (daemon mode) exited 0 before its" \
		    "socket $FP_SOCK accepted connections" ;;
	esac
}

# fp_check_daemon_san: fail on a sanitizer report of a daemon-mode daemon.
fp_check_daemon_san() {
	for _f in "$T"/daemon-san.*; do
		[ -e "$_f" ] || continue
		cat "$_f" >>"$FP_LOG"
		if grep -Eq "$FP_SANRE" "$_f"; then
			cat "$_f" >&2
			fp_fail "sanitizer report from a daemon in daemon mode"
		fi
	done
}

# fp_stop_daemon [SIGNAL [PID]]: stop a daemon started by fp_start_daemon
# with SIGNAL (default TERM) and require what a clean stop leaves: the
# process gone within 20 s, no socket, no pidfile, no worker, no sanitizer
# report.
fp_stop_daemon() {
	_sd_pid=${2:-$FP_PID}
	fp_record_workers "$_sd_pid"
	kill "-${1:-TERM}" "$_sd_pid"
	if ! wait_for "! fp_alive $_sd_pid" 20; then
		kill -KILL "$_sd_pid" 2>/dev/null || true
		fp_fail "daemon $_sd_pid still running 20 s after SIG${1:-TERM}"
	fi
	fp_forget "$_sd_pid"
	fp_check_no_workers 0
	fp_check_daemon_san
	if [ -e "$FP_SOCK" ]; then
		fp_fail "socket $FP_SOCK left after SIG${1:-TERM}"
	fi
	if [ -e "$FP_PIDFILE" ]; then
		fp_fail "pidfile $FP_PIDFILE left after SIG${1:-TERM}"
	fi
}

# fp_wait_exit [PID [TIMEOUT_S]]: bounded wait for a daemon of ours to
# exit; SIGKILL after the timeout (default 20 s).  Exit status in FP_STATUS
# (also returned).  Fails the test if the log shows a sanitizer report.
fp_wait_exit() {
	_we_pid=${1:-$FP_PID}
	_we_tmo=${2:-20}
	if ! wait_for "! fp_alive $_we_pid" "$_we_tmo"; then
		fp_info "daemon $_we_pid still running ${_we_tmo} s after" \
		    "SIGTERM; SIGKILL" >&2
		kill -KILL "$_we_pid" 2>/dev/null || true
	fi
	FP_STATUS=0
	wait "$_we_pid" || FP_STATUS=$?
	fp_forget "$_we_pid"
	fp_check_log
	return "$FP_STATUS"
}

# fp_stop [PID [TIMEOUT_S]]: record the daemon's workers, SIGTERM it and
# wait (bounded) for it to exit; returns its exit status (also FP_STATUS).
fp_stop() {
	_sp_pid=${1:-$FP_PID}
	fp_record_workers "$_sp_pid"
	kill -TERM "$_sp_pid" 2>/dev/null || true
	fp_wait_exit "$_sp_pid" "${2:-20}"
}

# fp_stop_clean [PID]: fp_stop and require what a clean shutdown leaves:
# exit status 0, no socket, no pidfile, no worker.
fp_stop_clean() {
	FP_STATUS=0
	fp_stop "${1:-$FP_PID}" || true
	assert_eq 0 "$FP_STATUS" "daemon exit status after SIGTERM"
	fp_check_no_workers 0
	if [ -e "$FP_SOCK" ]; then
		fp_fail "socket $FP_SOCK left after shutdown"
	fi
	if [ -e "$FP_PIDFILE" ]; then
		fp_fail "pidfile $FP_PIDFILE left after shutdown"
	fi
}

# Clients as another user (tests that run as root).  FP_NOBODY is the
# command prefix that runs a command as nobody (uid and gid 65534, no
# other group), used unquoted: `fp_run $FP_NOBODY CMD...'; fp_nobody CMD...
# runs CMD so; FP_NOBODY_PY (set once python3 is found, below) is a
# bounded python3 with msgpack for it.
FP_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
fp_nobody() {
	# shellcheck disable=SC2086 # a command and its arguments
	$FP_NOBODY "$@"
}

# fp_run_nobody CMD...: fp_run CMD as nobody with the defaults of a user
# who has neither FORKPOOL_SOCKET nor XDG_RUNTIME_DIR, and TMPDIR=$T/tmp.
fp_run_nobody() {
	# shellcheck disable=SC2086 # a command and its arguments
	fp_run $FP_NOBODY env -u FORKPOOL_SOCKET -u XDG_RUNTIME_DIR \
	    TMPDIR="$T/tmp" "$@"
}

# fp_refused_as MODE SUFFIX WHAT PATTERN OPTION...: `forkpoold MODE -f
# $FP_CONF OPTION...' exits 1 with `forkpoold: PATTERN' on stderr; SUFFIX
# names the mode in the failure messages.
fp_refused_as() {
	_rf_mode=$1
	_rf_what=$3$2
	_rf_pat=$4
	shift 4
	fp_run "$FORKPOOLD" "$_rf_mode" -f "$FP_CONF" "$@"
	assert_status 1 "$_rf_what"
	assert_grep "^forkpoold: $_rf_pat" "$T/err" "$_rf_what: message"
}

# fp_refused_start WHAT PATTERN OPTION...: `forkpoold -d -f $FP_CONF
# OPTION...' exits 1 with `forkpoold: PATTERN' on stderr.
fp_refused_start() {
	fp_refused_as -d "" "$@"
}

# fp_refused WHAT PATTERN OPTION...: fp_refused_start, and `forkpoold -n'
# with the same options refuses it too, with the same message.
fp_refused() {
	fp_refused_start "$@"
	fp_refused_as -n " (-n)" "$@"
	assert_no_grep "configuration OK" "$T/out" "$1 (-n)"
}

# fp_load_refused WHAT LINE PATH REASON_ERE: with $FP_CONF, whose line
# LINE is `load PATH', forkpoold -n and a daemon start exit 1 with
# `FILE:LINE: load PATH: refused: REASON_ERE', and no socket is left.
fp_load_refused() {
	fp_run "$FORKPOOLD" -n -f "$FP_CONF"
	assert_status 1 "forkpoold -n, $1"
	assert_grep "^forkpoold: $FP_CONF:$2: load $3: refused: $4" \
	    "$T/err" "forkpoold -n, $1"
	assert_no_grep "configuration OK" "$T/out" "forkpoold -n, $1"
	fp_run "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" -p "$FP_PIDFILE"
	assert_status 1 "forkpoold start, $1"
	assert_grep "^forkpoold: $FP_CONF:$2: load $3: refused: $4" \
	    "$T/err" "forkpoold start, $1"
	if [ -e "$FP_SOCK" ]; then
		fp_fail "$1: a socket was left by the refused start"
	fi
}

# fp_load_path_refused WHAT PATH REASON_ERE: fp_load_refused with a
# configuration of one worker and `load PATH' on its line 2.
fp_load_path_refused() {
	printf 'workers 1\nload "%s"\n' "$2" >"$FP_CONF"
	fp_load_refused "$1" 2 "$2" "$3"
}

# fp_safe_dir: for the tests of `load' paths (plugin_paths*.sh,
# plugin_loaded_is_checked.sh), which run as root only (they make files
# owned by nobody): $T/safe is a directory only root may change, and
# SAFE_TP a copy of the build's testplug.so there (mode 0644); BD is the
# build directory.
fp_safe_dir() {
	if [ "$(id -u)" != 0 ]; then
		fp_skip "must run as root (files owned by nobody)"
	fi
	BD=$(cd "$(dirname "$FORKPOOLD")" && pwd)
	chmod 0755 "$T"
	mkdir -m 0755 "$T/safe"
	SAFE_TP=$T/safe/testplug.so
	cp "$BD/tests/plugins/testplug.so" "$SAFE_TP"
	chmod 0644 "$SAFE_TP"
}

# fp_check_log: fail on a sanitizer report in the daemon log.
FP_SANRE='ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:'
fp_check_log() {
	if grep -En "$FP_SANRE" "$FP_LOG" >&2 2>/dev/null; then
		fp_fail "sanitizer report in the daemon log"
	fi
}

# ---- running commands --------------------------------------------------

# fp_run CMD...: run CMD (bounded by FP_CMD_TIMEOUT) with stdout in $T/out
# and stderr in $T/err; its status in FP_RC.  Never fails by itself.
fp_run() {
	FP_RC=0
	timeout --foreground -k 2 "$FP_CMD_TIMEOUT" "$@" >"$T/out" 2>"$T/err" ||
	    FP_RC=$?
	if [ "$FP_RC" -eq 124 ] || [ "$FP_RC" -eq 137 ]; then
		fp_info "command timed out after $FP_CMD_TIMEOUT s: $*" >&2
	fi
	# A sanitizer build of the client (or of forkpoold -n) reports here.
	if grep -Eq "$FP_SANRE" "$T/err"; then
		cat "$T/err" >&2
		fp_fail "sanitizer report from: $*"
	fi
	return 0
}

# fp_cli ARG...: fp_run the forkpool client.
fp_cli() {
	fp_run "$FORKPOOL" "$@"
}

# fp_py [ARG...]: run the Python program on stdin (bounded), with fpclient
# importable; its status is returned.
fp_py() {
	timeout --foreground -k 2 "${FP_PY_TIMEOUT:-120}" "$FP_PY" - "$@"
}

# fp_stat KEY: print one field of forkpool.stats (JSON).
fp_stat() {
	"$FP_PY" "$FP_INTEG/fpclient.py" stat "$FP_SOCK" "$1"
}

# ---- assertions --------------------------------------------------------

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	if [ "$1" != "$2" ]; then
		fp_fail "$3: expected '$1', got '$2'"
	fi
}

# assert_status EXPECTED WHAT: FP_RC of the last fp_run must be EXPECTED.
assert_status() {
	if [ "$FP_RC" != "$1" ]; then
		fp_show_output
		fp_fail "$2: expected exit status $1, got $FP_RC"
	fi
}

# assert_grep PATTERN FILE WHAT: FILE has a line matching the ERE PATTERN.
assert_grep() {
	if ! grep -Eq -- "$1" "$2"; then
		printf -- '--- %s:\n' "$2" >&2
		head -c 4000 "$2" >&2
		fp_fail "$3: no line matching /$1/ in $(basename "$2")"
	fi
}

# assert_no_grep PATTERN FILE WHAT
assert_no_grep() {
	if grep -Eq -- "$1" "$2"; then
		printf -- '--- %s:\n' "$2" >&2
		head -c 4000 "$2" >&2
		fp_fail "$3: unexpected line matching /$1/ in $(basename "$2")"
	fi
}

# assert_out EXPECTED WHAT: stdout of the last fp_run is exactly EXPECTED
# (one line).
assert_out() {
	_ao=$(cat "$T/out")
	if [ "$_ao" != "$1" ]; then
		fp_show_output
		fp_fail "$2: expected stdout '$1', got '$_ao'"
	fi
}

# assert_json EXPECTED WHAT: stdout of the last fp_run is one line of JSON
# equal to EXPECTED (same values and types; spacing and key order free).
assert_json() {
	if [ "$(wc -l <"$T/out" | tr -d ' ')" != 1 ]; then
		fp_show_output
		fp_fail "$2: expected one line of JSON on stdout"
	fi
	if ! "$FP_PY" -c '
import json, sys
a = json.loads(sys.argv[1])
b = json.loads(open(sys.argv[2]).read())
c = lambda v: json.dumps(v, sort_keys=True)
sys.exit(0 if c(a) == c(b) else 1)' "$1" "$T/out" 2>"$T/json.err"; then
		cat "$T/json.err" >&2
		fp_show_output
		fp_fail "$2: expected JSON $1, got $(head -c 300 "$T/out")"
	fi
}

# assert_expected FILE [NAME]: FILE is exactly the expected output
# tests/integration/expected/NAME (default: this script's name); else the
# test fails showing `diff -u EXPECTED FILE'.
assert_expected() {
	_ex=$FP_INTEG/expected/${2:-$FP_NAME}
	if [ ! -f "$_ex" ]; then
		fp_fail "no expected output $_ex"
	fi
	if ! diff -u "$_ex" "$1" >"$T/diff" 2>&1; then
		cat "$T/diff" >&2
		fp_fail "output differs from expected/${_ex##*/} (diff -u above)"
	fi
}

# assert_empty FILE WHAT
assert_empty() {
	if [ -s "$1" ]; then
		printf -- '--- %s:\n' "$1" >&2
		head -c 4000 "$1" >&2
		fp_fail "$2: expected no output"
	fi
}

fp_show_output() {
	printf -- '--- stdout:\n' >&2
	head -c 2000 "$T/out" >&2
	printf -- '--- stderr:\n' >&2
	head -c 2000 "$T/err" >&2
}

# fp_need_root WHY: skip the test unless it runs as root and setpriv(1) is
# there (to run clients or daemons as other users, own files as them);
# WHY says what for.
fp_need_root() {
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
		fp_skip "needs root and setpriv ($*)"
	fi
}

# fp_other_user WHY: for the tests of paths another user could change
# (path_symlinks*.sh): fp_need_root WHY; ATT is that other user's uid
# (12345: no passwd entry needed), $T is searchable by all (0711) and
# $T/tmp stands for /tmp (mode 1777).
fp_other_user() {
	fp_need_root "$@"
	# shellcheck disable=SC2034 # for the scripts that source this file
	ATT=12345
	chmod 711 "$T"
	mkdir -m 1777 "$T/tmp"
}

# fp_nobody_reach WHY: fp_need_root WHY, then let nobody reach this test's
# directory (mode 0711) and fail unless nobody may read the directory of
# fpclient.py and run the client, as the tests whose clients run as
# nobody need.
fp_nobody_reach() {
	fp_need_root "$@"
	chmod 0711 "$T"
	for _d in "$FP_INTEG" "$(dirname "$FORKPOOL")"; do
		if ! fp_nobody test -r "$_d" -a -x "$_d"; then
			fp_fail "$_d is not readable by nobody"
		fi
	done
}

# fp_start_open WHY: fp_nobody_reach WHY, then start a daemon of one worker
# on a socket of mode 0666, which nobody may connect to (admin_perm.sh,
# admin_group.sh).
fp_start_open() {
	fp_nobody_reach "$@"
	printf 'workers 1\nsocket-mode 0666\n' >"$FP_CONF"
	fp_start
	fp_wait_nworkers 1
}

# fp_held N: start tests/integration/conn_hold.py N as nobody, which holds
# the connections of N pings it got answers to; that count is in HELD, the
# holder's PID in HOLDER.  fp_release lets it close them and reaps it.
fp_held() {
	rm -f "$T/release" "$T/hold.out"
	: >"$T/hold.out"
	chmod 0666 "$T/hold.out"
	# shellcheck disable=SC2086 # FP_NOBODY_PY is a command and its arguments
	fp_bg fp_nobody $FP_NOBODY_PY "$FP_INTEG/conn_hold.py" "$1" \
	    >"$T/hold.out"
	HOLDER=$FP_BGPID
	# shellcheck disable=SC2016 # wait_for evaluates it
	wait_for '[ -s "$T/hold.out" ]' 20 ||
	    fp_fail "conn_hold.py $1 printed nothing"
	# shellcheck disable=SC2034 # for the scripts that source this file
	HELD=$(cat "$T/hold.out")
}
fp_release() {
	: >"$T/release"
	fp_wait_bg "$HOLDER" 10
}

# ---- set-up and clean-up -----------------------------------------------

fp_find_python() {
	for _py in ${FP_PY:-} /usr/bin/python3 python3; do
		if "$_py" -c 'import msgpack' >/dev/null 2>&1; then
			FP_PY=$_py
			return 0
		fi
	done
	fp_skip "no python3 with the msgpack module (apt-get install" \
	    "python3-msgpack)"
}

# At exit: stop (SIGTERM, bounded wait, SIGKILL) the daemons and other
# background processes this script started, and the workers of those
# daemons; keep the daemon log for the runner; remove the temporary dir.
fp_cleanup() {
	_rc=$?
	set +e
	trap - EXIT HUP INT TERM
	_kids=
	for _p in $FP_DAEMONS; do
		if fp_alive "$_p"; then
			_kids="$_kids $(fp_workers "$_p" | tr '\n' ' ')"
			kill -TERM "$_p" 2>/dev/null
		fi
	done
	for _p in $FP_PIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	# Bounded: the runner's timeout allows 5 s between TERM and KILL.
	# shellcheck disable=SC2016
	wait_for 'fp_none_alive $FP_DAEMONS $FP_PIDS' 3
	for _p in $FP_DAEMONS $FP_PIDS $_kids; do
		kill -KILL "$_p" 2>/dev/null
	done
	for _p in $FP_DAEMONS $FP_PIDS; do
		wait "$_p" 2>/dev/null
	done
	if [ "$_rc" -ne 0 ] && [ -s "$FP_LOG" ]; then
		printf -- '--- daemon log (last 20 lines):\n' >&2
		tail -n 20 "$FP_LOG" >&2
	fi
	if [ -n "${FP_LOGDIR:-}" ] && [ -d "$FP_LOGDIR" ]; then
		cp "$T"/*.log "$FP_LOGDIR"/ 2>/dev/null
	fi
	if [ -n "$FP_SKIPPED" ]; then
		rm -rf "$T"
		exit "$_rc"
	fi
	if [ "$_rc" -ne 0 ] && [ "${FP_KEEP:-0}" = 1 ]; then
		printf '%s: FP_KEEP=1: temporary directory kept: %s\n' \
		    "$FP_NAME" "$T" >&2
	else
		rm -rf "$T"
	fi
	if [ -n "$FP_FAILMSG" ]; then
		printf 'FAIL: %s\n' "$FP_FAILMSG" >&2
	elif [ "$_rc" -eq 129 ] || [ "$_rc" -eq 130 ] || [ "$_rc" -eq 143 ]; then
		printf 'FAIL: %s: interrupted by a signal (timeout?)\n' \
		    "$FP_NAME" >&2
	elif [ "$_rc" -ne 0 ]; then
		printf 'FAIL: %s: exit status %s (a command failed under set -e)\n' \
		    "$FP_NAME" "$_rc" >&2
	fi
	exit "$_rc"
}

trap fp_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
fp_find_python
# shellcheck disable=SC2034 # for the scripts that source this file
FP_NOBODY_PY="timeout --foreground -k 2 60 $FP_PY"

# fp_version: FP_VERSION of include/forkpool.h (MAJOR.MINOR.PATCH) in
# version; fails if there is none.
fp_version() {
	version=$(sed -n 's/^#define FP_VERSION[^"]*"\(.*\)"/\1/p' \
	    "$FP_INTEG/../../include/forkpool.h")
	case $version in
	[0-9]*.[0-9]*.[0-9]*) ;;
	*)	fp_fail "no FP_VERSION in include/forkpool.h: '$version'" ;;
	esac
}

# fp_msgpack_flags: MSGPACK_CFLAGS and MSGPACK_LIBS, msgpack-c's compiler
# and linker flags as the build resolved them (its config.mk), for the
# scripts that compile a plug-in of their own.
# shellcheck disable=SC2034 # for the scripts that source this file
fp_msgpack_flags() {
	_mk=${FP_BUILD:-$(dirname "$FORKPOOLD")}/config.mk
	[ -f "$_mk" ] || fp_fail "$_mk: no such file (run make)"
	MSGPACK_CFLAGS=$(sed -n 's/^MSGPACK_CFLAGS = *//p' "$_mk")
	MSGPACK_LIBS=$(sed -n 's/^MSGPACK_LIBS = *//p' "$_mk")
}

# fp_plugins: the build's handler plug-ins, exported: AGG (the example
# plugins/aggregate.so), TP (tests/plugins/testplug.so), TP_ABI and
# TP_NOSYM (the same built with another ABI version, without the
# forkpool_plugin symbol); BD is the build directory.  Fails if one is not
# built.
fp_plugins() {
	BD=$(cd "${FP_BUILD:-$(dirname "$FORKPOOLD")}" && pwd)
	AGG=$BD/plugins/aggregate.so
	TP=$BD/tests/plugins/testplug.so
	TP_ABI=$BD/tests/plugins/testplug_abi.so
	TP_NOSYM=$BD/tests/plugins/testplug_nosym.so
	for _f in "$AGG" "$TP" "$TP_ABI" "$TP_NOSYM"; do
		if [ ! -f "$_f" ]; then
			fp_fail "$_f is not built (run make)"
		fi
	done
	export AGG TP
}

# fp_testplug_conf N: fp_plugins, and $FP_CONF holds N workers and
# `load $TP' (the daemon_mode*.sh scenarios).
fp_testplug_conf() {
	fp_plugins
	printf 'workers %s\nload "%s"\n' "$1" "$TP" >"$FP_CONF"
}

# fp_sleep_running MS: `forkpool call sleep MS' in the background (its
# output in $T/job.out, its PID in JOB), and a bounded wait until the
# daemon runs it.
fp_sleep_running() {
	fp_bg "$FORKPOOL" call sleep "$1" >"$T/job.out" 2>&1
	JOB=$FP_BGPID
	# shellcheck disable=SC2016 # wait_for evaluates it
	wait_for '[ "$(fp_stat running)" -ge 1 ]' 10 ||
	    fp_fail "the sleep did not start"
}

# fp_start_plugins: after fp_plugins, start a daemon of two workers
# (prefetch 1, no retries, no default timeout) with aggregate.so (argument
# max-groups=50) and testplug.so, `handler tp.deadline timeout 300ms' and
# `handler tp.ok timeout 2s'; forkpoold -n accepts that configuration.
fp_start_plugins() {
	cat >"$FP_CONF" <<CONF
workers 2
prefetch 1
retries 0
timeout 0
load-timeout 10s
load "$AGG" "max-groups=50"
load "$TP"
handler tp.deadline timeout 300ms
handler tp.ok timeout 2s
CONF
	fp_run "$FORKPOOLD" -n -f "$FP_CONF"
	assert_status 0 "forkpoold -n with both plug-ins"
	assert_out "configuration OK" "forkpoold -n with both plug-ins"
	fp_start
	fp_wait_nworkers 2
}

# fp_start_violation: start a daemon with the test handlers for the
# scenarios of workers that break the protocol or are asked for huge
# results (worker_violation.sh, worker_stats_lie.sh, json_encode_*.sh): two
# workers, max-request-size 512K (a result may hold 2 MB, 4 times that),
# ring-size 16M (a record holds up to 4 MB, so that an oversized result
# comes both as one record and in fragments), killed workers backing off
# (min-worker-age 1s, respawn-backoff-max 400ms), breakers that do not
# open (breaker-threshold 1000).
fp_start_violation() {
	cat >"$FP_CONF" <<'CONF'
workers 2
max-request-size 512K
ring-size 16M
blob-size 16M
min-worker-age 1s
respawn-backoff-max 400ms
breaker-threshold 1000
CONF
	fp_start -T
	fp_wait_nworkers 2
}

# fp_start_breakers: start a daemon of two workers with the test handlers
# for the circuit-breaker scenarios (breaker.sh, breaker_timeouts.sh; their
# Python is tests/integration/breaking.py): breaker-threshold 3 within a
# window of 10 s, cool-down 500 ms, `handler sleep timeout 100ms'.
fp_start_breakers() {
	cat >"$FP_CONF" <<'CONF'
workers 2
breaker-threshold 3
breaker-window 10s
breaker-cooldown 500ms
handler sleep timeout 100ms
CONF
	fp_start -T
	fp_wait_nworkers 2
}

# The start-up signal scenarios (startup_signals*.sh): a signal that comes
# while a plug-in is being tried by its probe child.  fp_gate_conf writes
# $FP_CONF with one worker and testplug.so's gate-init, whose init (in the
# probe, and again in the daemon) writes `init pid=PID sigterm=...' to
# $T/init and waits until $T/gate exists.
fp_gate_conf() {
	fp_plugins
	TESTPLUG_INIT_FILE=$T/init
	TESTPLUG_INIT_GATE=$T/gate
	export TESTPLUG_INIT_FILE TESTPLUG_INIT_GATE
	cat >"$FP_CONF" <<CONF
workers 1
load-timeout 20s
load "$TP" gate-init
CONF
}

# fp_ppid PID: the parent of PID.
fp_ppid() {
	read -r _l <"/proc/$1/stat"
	# shellcheck disable=SC2086
	set -- ${_l##*) }
	printf '%s' "$2"
}

# fp_wait_probe WHAT: wait until the plug-in's init runs in the probe; its
# pid in PROBE, its parent (the process loading plug-ins) in LOADER.
fp_wait_probe() {
	# shellcheck disable=SC2016 # wait_for evaluates it
	wait_for '[ -s "$T/init" ]' 10 ||
	    fp_fail "$1: the plug-in's init did not start"
	PROBE=$(sed -n '1s/^init pid=\([0-9]*\) .*/\1/p' "$T/init")
	assert_grep '^init pid=[0-9]+ sigterm=unblocked$' "$T/init" \
	    "$1: the probe's signal mask"
	LOADER=$(fp_ppid "$PROBE")
}

# fp_gate_open WHAT: let init go on; the probe must then finish.
fp_gate_open() {
	: >"$T/gate"
	wait_for "! fp_alive $PROBE" 10 ||
	    fp_fail "$1: the probe $PROBE still runs after its init returned"
}

# fp_gate_reset: no init, gate, socket, pidfile or log left by a previous
# start.
fp_gate_reset() {
	rm -f "$T/init" "$T/gate" "$FP_SOCK" "$FP_PIDFILE"
	: >"$FP_LOG"
}

# fp_gate_after WHAT: what a daemon that took the signal leaves once it
# is gone: init ran twice (in the probe and in the daemon), no process of
# it, no socket and no pidfile.
fp_gate_after() {
	assert_eq 2 "$(grep -c '^init pid=' "$T/init")" \
	    "$1: init ran in the probe and in the daemon"
	fp_check_no_workers 5
	if [ -e "$FP_SOCK" ] || [ -e "$FP_PIDFILE" ]; then
		fp_fail "$1: socket or pidfile left"
	fi
}

# fp_gated_fg SIG [sigign]: forkpoold -d, SIG sent while the probe runs;
# with sigign it was started with SIGINT and SIGQUIT ignored (plain `&').
fp_gated_fg() {
	fp_gate_reset
	if [ "${2:-}" = sigign ]; then
		fp_bg "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" \
		    -p "$FP_PIDFILE" </dev/null >>"$FP_LOG" 2>&1
	else
		# shellcheck disable=SC2086
		fp_bg $FP_SIGDFL "$FORKPOOLD" -d -f "$FP_CONF" -s "$FP_SOCK" \
		    -p "$FP_PIDFILE" </dev/null >>"$FP_LOG" 2>&1
	fi
	FP_PID=$FP_BGPID
	FP_ALLD="$FP_ALLD $FP_PID"
	fp_wait_probe "-d SIG$1"
	assert_eq "$FP_PID" "$LOADER" "-d SIG$1: parent of the probe"
	kill "-$1" "$FP_PID"
	fp_gate_open "-d SIG$1"
}

# fp_chaos KILL HUP: the chaos scenarios (chaos_*.sh; the programs are
# tests/integration/chaos.py).  Three workers with the test handlers,
# `handler hang timeout 300ms', breakers off (with workers killed at random
# every handler fails now and then, and circuit_open would be an answer no
# single fault explains) and the respawn back-off capped at 200 ms (so that
# the pool keeps serving under 5-20 kills a second).  `chaos.py load' keeps
# a mixed load in flight on eight connections while `chaos.py faults'
# SIGKILLs a random worker every 50-200 ms (KILL 1) and sends the daemon
# SIGHUP every second (HUP 1); then `chaos.py after' checks what is left
# and the daemon must stop cleanly.  Each of the three chaos scripts soaks
# a third of FP_CHAOS_SECONDS (default 30; tests/run.sh sets it), at least
# 3 s; FP_CHAOS_SEED (default: the PID) seeds the load and the faults,
# FP_CHAOS_RSS_KIB (default 8192) bounds the supervisor's RSS growth.
fp_chaos() {
	_cs=$(( ${FP_CHAOS_SECONDS:-30} / 3 ))
	if [ "$_cs" -lt 3 ]; then
		_cs=3
	fi
	FP_CHAOS_SECONDS=$_cs
	: "${FP_CHAOS_RSS_KIB:=8192}"
	: "${FP_CHAOS_SEED:=$$}"
	export FP_CHAOS_SECONDS FP_CHAOS_RSS_KIB FP_CHAOS_SEED FP_WRAP
	cat >"$FP_CONF" <<'CONF'
workers 3
test-handlers yes
handler hang timeout 300ms
breaker-threshold 0
respawn-backoff-max 200ms
CONF
	fp_start
	fp_wait_nworkers 3
	fp_bg "$FP_PY" "$FP_INTEG/chaos.py" faults "$1" "$2"
	_chaos_pid=$FP_BGPID
	_load_rc=0
	timeout --foreground -k 2 $((FP_CHAOS_SECONDS + 60)) "$FP_PY" \
	    "$FP_INTEG/chaos.py" load || _load_rc=$?
	fp_wait_bg "$_chaos_pid" 10
	assert_eq 0 "$FP_RC" "exit status of the fault injector"
	if ! fp_alive "$FP_PID"; then
		fp_fail "chaos: the daemon died (load: exit status $_load_rc)"
	fi
	fp_wait_nworkers 3 30
	"$FP_PY" "$FP_INTEG/chaos.py" after ||
	    fp_fail "chaos: the state after the load (see above)"
	fp_stop_clean "$FP_PID"
	if [ "$_load_rc" -ne 0 ]; then
		fp_fail "chaos: the clients' records (see above)"
	fi
}

# fp_call_ok JSON_OUT WHAT ARG...: `forkpool call ARG...` exits 0, prints
# JSON_OUT (as assert_json compares) and nothing on stderr.
fp_call_ok() {
	_exp=$1
	_what=$2
	shift 2
	fp_cli call "$@"
	assert_status 0 "$_what"
	assert_json "$_exp" "$_what"
	assert_empty "$T/err" "$_what: stderr"
}

# fp_call_err CODE PATTERN WHAT ARG...: `forkpool call ARG...` exits 1,
# prints nothing on stdout and `forkpool: CODE: ...PATTERN` on stderr.
fp_call_err() {
	_code=$1
	_pat=$2
	_what=$3
	shift 3
	fp_cli call "$@"
	assert_status 1 "$_what"
	assert_grep "^forkpool: $_code: .*$_pat" "$T/err" "$_what: stderr"
	assert_empty "$T/out" "$_what: stdout"
}

# ---- the client packages of tools/ ---------------------------------------

FP_ROOT=$(cd "$FP_INTEG/../.." && pwd)

# fp_need_node: the Node.js client and its examples need node 18 or later
# (skipped without it) and tools/node/node_modules (failed without it:
# `make node-deps', which make check and check-all run, installs it).
# FP_NODE is that node.
fp_need_node() {
	FP_NODE=$(command -v node 2>/dev/null) || fp_skip "no node"
	_major=$("$FP_NODE" -p 'process.versions.node.split(".")[0]')
	if [ "$_major" -lt 18 ]; then
		fp_skip "no node: node $("$FP_NODE" --version) is older than 18"
	fi
	if [ ! -d "$FP_ROOT/tools/node/node_modules/msgpackr" ]; then
		fp_fail "tools/node/node_modules is missing: run 'make" \
		    "node-deps' (cd tools/node && npm ci) first"
	fi
}

# fp_logs_clean: fail on a sanitizer report in any daemon log in $T (the
# client test suites start daemons of their own and log them there).
fp_logs_clean() {
	for _l in "$T"/*.log; do
		[ -f "$_l" ] || continue
		if grep -En "$FP_SANRE" "$_l" >&2; then
			fp_fail "sanitizer report in ${_l##*/}"
		fi
	done
}

# fp_node_test NAME: `node --test tools/node/test/NAME.test.js' (bounded),
# whose daemons, started from FORKPOOLD, log into $T; fails if it fails.
# A test case that skipped itself makes the whole script skipped, with the
# reasons: a skip never counts as a pass.
fp_node_test() {
	fp_need_node
	_rc=0
	FORKPOOLD=$FORKPOOLD FP_BUILD=${FP_BUILD:-$(dirname "$FORKPOOLD")} \
	    FP_LOGDIR=$T TMPDIR=$T timeout --foreground -k 2 150 \
	    "$FP_NODE" --test --test-reporter=tap \
	    "$FP_ROOT/tools/node/test/$1.test.js" >"$T/tests.out" 2>&1 ||
	    _rc=$?
	cat "$T/tests.out"
	fp_logs_clean
	if [ "$_rc" -ne 0 ]; then
		fp_fail "node --test tools/node/test/$1.test.js: exit status" \
		    "$_rc (see above)"
	fi
	# The TAP summary: `# skipped N' (`# skip N' in older Node), `# todo N'.
	if ! grep -Eq '^# skip(ped)? 0$' "$T/tests.out" ||
	    ! grep -q '^# todo 0$' "$T/tests.out"; then
		fp_skip "tools/node/test/$1.test.js skipped cases:" \
		    "$(sed -n 's/.* # \(SKIP\|TODO\) *//p' "$T/tests.out" |
		    sort -u | tr '\n' ';')"
	fi
}

# fp_python_test NAME: `python3 -m unittest -v tests.NAME' in tools/python
# (bounded), whose daemons, started from FORKPOOLD, log into $T; fails if
# it fails.  A test case that skipped itself makes the whole script
# skipped, with the reasons.
fp_python_test() {
	_rc=0
	(cd "$FP_ROOT/tools/python" && FORKPOOLD=$FORKPOOLD FP_LOGDIR=$T \
	    PYTHONPATH="$FP_ROOT/tools/python" timeout --foreground -k 2 150 \
	    "$FP_PY" -m unittest -v "tests.$1") >"$T/tests.out" 2>&1 || _rc=$?
	cat "$T/tests.out"
	fp_logs_clean
	if [ "$_rc" -ne 0 ]; then
		fp_fail "tests.$1 of tools/python: exit status $_rc (see above)"
	fi
	if grep -q '^OK (.*skipped=' "$T/tests.out"; then
		fp_skip "tests.$1 of tools/python skipped cases:" \
		    "$(sed -n "s/.* \.\.\. skipped '\(.*\)'\$/\1/p" \
		    "$T/tests.out" | sort -u | tr '\n' ';')"
	fi
}
