#!/bin/sh
# cli_top_tmux.sh -- `forkpool top' (forkpool(1)) in an 80x24 terminal of a
# private tmux server, against a daemon of two workers running a `sleep'
# task: the screen shows the header and the busy worker's row with
# handler sleep on the alternate screen; `s' changes the sort named above
# the worker rows; a smaller window (SIGWINCH) cuts the lines to its
# width; `q' ends it with status 0, C-c (SIGINT) a second run with status
# 130, the daemon's exit a third with status 1 and a message: each time
# the terminal is restored (main screen, cursor shown, stty icanon and
# echo).  Into a file, `top -n 2' prints two plain snapshots.
# Optional arguments of lib.sh helpers default to this test's daemon, and
# wait_for takes code to evaluate later:
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v tmux >/dev/null 2>&1 ||
    fp_skip "no tmux (make deps installs it)"

printf 'workers 2\n' >"$FP_CONF"
fp_start
fp_wait_nworkers 2
fp_sleep_running 8000

TS=$T/tmux.sock
tm() {
	tmux -S "$TS" "$@"
}
pane() {
	tm capture-pane -p -t fp >"$T/pane"
}
# A shell in an 80x24 window; the server's pid is stopped at exit too.
tm -f /dev/null new-session -d -s fp -x 80 -y 24 "env PS1='fp\$ ' sh"
FP_PIDS="$FP_PIDS $(tm display -p '#{pid}')"
wait_for 'pane && grep -q "^fp\\$" "$T/pane"' 10 ||
    fp_fail "no shell prompt in the tmux pane"
# restored N: the pane is back on the main screen with the cursor shown,
# the terminal canonical with echo ($T/stty$N from the shell).
restored() {
	assert_eq "0 1" "$(tm display -p -t fp '#{alternate_on} #{cursor_flag}')" \
	    "run $1: alternate screen off and cursor shown after top"
	run=$1
	tm send-keys -t fp "stty -a >'$T/stty$run'; echo stty-done-$run" Enter
	wait_for 'pane && grep -q "^stty-done-$run\$" "$T/pane"' 10 ||
	    fp_fail "run $1: the shell did not run stty after top"
	sed 's/[ ;]/\n/g' "$T/stty$1" | grep -Ex -- '-?(icanon|echo)' |
	    tr '\n' ' ' >"$T/flags$1"
	assert_eq "icanon echo " "$(cat "$T/flags$1")" \
	    "run $1: terminal modes after top"
}
cmd="'$FORKPOOL' -s '$FP_SOCK' top -d 0.2"

# Run 1: the screen, s, a resize, q.
tm send-keys -t fp "$cmd; echo \"rc=\$?\" >'$T/rc1'" Enter
# shellcheck disable=SC2034 # wait_for's code uses it
busy='^ +[01] +[0-9]+ busy +sleep +[0-9.]+(us|ms|s) '
wait_for 'pane && grep -Eq "$busy" "$T/pane"' 10 || {
	cat "$T/pane" >&2
	fp_fail "no busy worker row with handler sleep on top's screen"
}
assert_eq 1 "$(tm display -p -t fp '#{alternate_on}')" \
    "top draws on the alternate screen"
assert_grep '^forkpool top: pid [0-9]+, up [0-9]+s, every 0\.2s$' "$T/pane" \
    "top's header"
assert_grep '^tasks/s [-0-9.]+  queued 0  running 1  workers 1/2 busy  conns ' \
    "$T/pane" "top's header: tasks/s, queue, workers"
assert_grep '^ok 0  failed 0  crashes 0  oldest [0-9.]+(us|ms|s)  run p99 1m \(worst handler\) ' \
    "$T/pane" "top's header: run p99"
assert_grep '^WORKERS: 2 slots, sorted by slot \(s: sort, q: quit\)$' \
    "$T/pane" "the sort marker"
assert_grep '^SLOT +PID STATE +HANDLER +RUNNING +TASKS +FAILS +RSS +AGE$' \
    "$T/pane" "the workers' header"
assert_grep '^ +[01] +[0-9]+ idle +- +- ' "$T/pane" "the idle worker's row"
assert_grep '^HANDLER +CALLS/S +ERR/1M +WAIT_P50 +WAIT_P99 +RUN_P50 +RUN_P99$' \
    "$T/pane" "the handlers' header"

tm send-keys -t fp s
wait_for 'pane && grep -q "sorted by running for" "$T/pane"' 5 ||
    fp_fail "s did not change the sort marker"
tm send-keys -t fp s
wait_for 'pane && grep -q "sorted by tasks" "$T/pane"' 5 ||
    fp_fail "a second s did not sort by tasks"

# SIGWINCH: at 50 columns the second header line is cut to 50.
tm resize-window -t fp -x 50 -y 12
wait_for 'pane && [ "$(sed -n 2p "$T/pane" | tr -d "\n" | wc -c)" -eq 50 ]' 5 || {
	cat "$T/pane" >&2
	fp_fail "after the resize the lines are not cut to 50 columns"
}
assert_grep '^forkpool top: pid ' "$T/pane" "the header after the resize"

tm send-keys -t fp q
wait_for '[ -s "$T/rc1" ]' 10 || fp_fail "q did not end top"
assert_eq rc=0 "$(cat "$T/rc1")" "top's exit status after q"
restored 1

# Run 2: ended by C-c.
tm resize-window -t fp -x 80 -y 24
tm send-keys -t fp "$cmd" Enter
wait_for 'pane && grep -q "^forkpool top: pid" "$T/pane" &&
    [ "$(tm display -p -t fp "#{alternate_on}")" = 1 ]' 10 ||
    fp_fail "the second top did not start"
tm send-keys -t fp C-c
# The shell drops the rest of a command line after a job killed by
# SIGINT: ask for the status once the shell is in front again.
wait_for '[ "$(tm display -p -t fp "#{alternate_on} #{pane_current_command}")" = "0 sh" ]' 10 ||
    fp_fail "C-c did not end top"
tm send-keys -t fp "echo \"rc=\$?\" >'$T/rc2'" Enter
wait_for '[ -s "$T/rc2" ]' 10 || fp_fail "no status from the shell after C-c"
assert_eq rc=130 "$(cat "$T/rc2")" "top's exit status after C-c (SIGINT)"
restored 2

# Not a terminal: -n snapshots as plain text, the rates measured.
fp_cli top -d 0.1 -n 2
assert_status 0 "forkpool top -n 2 into a file"
assert_empty "$T/err" "forkpool top -n 2 into a file: stderr"
assert_eq 2 "$(grep -c '^forkpool top: pid [0-9]*, up ' "$T/out")" \
    "forkpool top -n 2 into a file: snapshots"
assert_eq 2 "$(grep -Ec '^tasks/s [0-9]+\.[0-9]  queued ' "$T/out")" \
    "forkpool top -n 2 into a file: tasks/s measured"
if LC_ALL=C grep -q "$(printf '\033')" "$T/out"; then
	fp_fail "forkpool top into a file wrote escape sequences"
fi

# Run 3: the daemon goes away.
fp_wait_bg "$JOB" 15
assert_eq 8000 "$(cat "$T/job.out")" "the sleep's answer"
tm send-keys -t fp "clear; $cmd; echo \"rc=\$?\" >'$T/rc3'" Enter
wait_for 'pane && grep -q "^forkpool top: pid" "$T/pane" &&
    [ "$(tm display -p -t fp "#{alternate_on}")" = 1 ]' 10 ||
    fp_fail "the third top did not start"
fp_stop_clean
wait_for '[ -s "$T/rc3" ]' 10 || fp_fail "top did not end with the daemon"
assert_eq rc=1 "$(cat "$T/rc3")" "top's exit status when the daemon is gone"
pane
assert_grep '^forkpool: top: ' "$T/pane" \
    "top's message, after the restore, when the daemon is gone"
restored 3

tm kill-server
fp_info "top under tmux: screen, sort, resize; q, C-c and the daemon's" \
    "exit restore the terminal"
