#!/bin/sh
# spin_busy.sh -- nobody spins while the processors are busy, and the
# spin comes back when they are free (spin in forkpool.conf(5)): with one
# busy loop more than there are processors, forkpool.stats says within a
# few ticks that neither the supervisor (spin_us 0) nor any worker
# (workers_spinning 0) may spin; once the loops are stopped, the
# supervisor may again (spin_us 100) and, with two processors or more, one
# worker too.  The daemon's own choice, read from its stats, not timing.
# Alone: its busy loops would slow the others, and theirs would keep the
# processors from being free.
# fp-serial
# shellcheck disable=SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

printf 'workers 2\n' >"$FP_CONF"
fp_start
ncpu=$(nproc)

# Polls of the free phases are paced: each fp_stat is a python process,
# and polled every 20 ms they kept a processor about busy themselves (the
# daemon counts them as load; the check failed now and then in CI).
# Free at first (the suite runs one test at a time).
wait_for '{ sleep 0.4; [ "$(fp_stat spin_us)" -eq 100 ]; }' 20 ||
    fp_fail "the supervisor may not spin on an idle machine: $(fp_stat spin_us)"

hogs=
i=0
while [ "$i" -le "$ncpu" ]; do
	fp_bg sh -c 'while :; do :; done'
	hogs="$hogs $FP_BGPID"
	i=$((i + 1))
done
wait_for '[ "$(fp_stat spin_us)" -eq 0 ] &&
    [ "$(fp_stat workers_spinning)" -eq 0 ]' 20 ||
    fp_fail "with $((ncpu + 1)) busy loops on $ncpu processors: spin_us" \
    "$(fp_stat spin_us), workers_spinning $(fp_stat workers_spinning)"
# It holds: a few ticks later, still nobody.
sleep 0.5
if [ "$(fp_stat spin_us)" -ne 0 ] ||
    [ "$(fp_stat workers_spinning)" -ne 0 ]; then
	fp_fail "a spinner came back while the processors were busy"
fi
fp_call_ok '"busy"' "echo while the processors are busy" echo '"busy"'

for p in $hogs; do
	kill "$p"
done
for p in $hogs; do
	fp_wait_bg "$p" 10
done
want=0
[ "$ncpu" -ge 2 ] && want=1
wait_for '{ sleep 0.4; [ "$(fp_stat spin_us)" -eq 100 ] &&
    [ "$(fp_stat workers_spinning)" -ge '"$want"' ]; }' 20 ||
    fp_fail "processors free again: spin_us $(fp_stat spin_us)," \
    "workers_spinning $(fp_stat workers_spinning), expected >= $want"
fp_info "busy: nobody spun; free again: spin_us 100, workers_spinning" \
    "$(fp_stat workers_spinning) on $ncpu processors"
fp_stop_clean
