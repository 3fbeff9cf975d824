#!/bin/sh
# lazy_nopwait2.sh -- on a kernel without epoll_pwait2(2) (before Linux
# 5.11; here an LD_PRELOAD shim that fails it with ENOSYS), the supervisor
# still takes the results of saturated workers in batches: with
# epoll_wait and 1 ms, once it has said so (event epoll_pwait2).  A
# saturating burst of spin tasks is answered in full and the daemon stays
# up.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

CC=${CC:-cc}
cat >"$T/nopwait2.c" <<'C'
#include <sys/epoll.h>
#include <errno.h>
#include <signal.h>
#include <time.h>

int
epoll_pwait2(int epfd, struct epoll_event *ev, int max,
    const struct timespec *ts, const sigset_t *ss)
{
	(void)epfd; (void)ev; (void)max; (void)ts; (void)ss;
	errno = ENOSYS;
	return -1;
}
C
fp_run "$CC" -shared -fPIC -o "$T/nopwait2.so" "$T/nopwait2.c"
# ASan wants its runtime first; the shim only replaces one symbol.
ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
export ASAN_OPTIONS
FP_WRAP="env LD_PRELOAD=$T/nopwait2.so"
printf 'workers 2\n' >"$FP_CONF"
fp_start -T
fp_cli bench -c 2 -d 64 -m spin -n 5000
grep -q "tasks=5000 errors=0" "$T/out" ||
    fp_fail "bench against the daemon without epoll_pwait2 (status" \
    "$FP_RC): $(cat "$T/out" "$T/err")"

kill -0 "$FP_PID" || fp_fail "the daemon died without epoll_pwait2"
grep -q 'event=epoll_pwait2 ' "$FP_LOG" ||
    fp_fail "no epoll_pwait2 line: the batches never waited"
FP_WRAP=
fp_stop_clean
