#!/bin/sh
# shm_payloads.sh -- libforkpool passes params and results larger than 64K
# through the connection's shared-memory arena (forkpool(3), Shared
# memory): `forkpool bench' echoes, pipelined, of sizes around the 64K
# thresholds of params and results, around a quarter of the ring (the
# largest record; larger goes inline) and past it, come back byte for
# byte; the daemon reads only the small requests from the socket
# (bytes_received far below the payload bytes) while FORKPOOL_SHM=0 or
# max-shm-size 0 (after a reload) send them inline, and forkpool.stats
# counts the arena of a client while it is connected.
# shellcheck disable=SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

cat >"$FP_CONF" <<'CONF'
test-handlers yes
CONF
fp_start -w 2

# bench_ok N SIZE DEPTH: N echoes of SIZE bytes, DEPTH in flight, all right.
bench_ok() {
	fp_cli -s "$FP_SOCK" -t 60000 bench -z "$2" -d "$3" -n "$1" -W 2
	if [ "$FP_RC" -ne 0 ] || ! grep -q ' errors=0 ' "$T/out"; then
		cat "$T/out" "$T/err" >&2
		fp_fail "bench of $1 echoes of $2 bytes, depth $3"
	fi
}
received() {
	fp_stat bytes_received
}

# The params' threshold: array + bin 16 header + 65533 is the first past
# 64K; the result's (bin 16 header + 65534) one byte later; bin 32 from
# 65536; 4M is a quarter of libforkpool's 16M rings.
for z in 65531 65532 65533 65534 65535 65536 100000 1048576 \
    $((4194304 - 64)) 4194305 12000000; do
	bench_ok 12 "$z" 4
done

# The bytes did not cross the socket: 200 echoes of 1M (but the first
# depth-full, sent inline while the attach is not answered yet, and those
# that find ring 0 full: it holds each request's params until the request
# is answered, and what does not fit goes inline; 20 % allowed).
r0=$(received)
bench_ok 200 1048576 8
r1=$(received)
d=$((r1 - r0))
fp_info "200 x 1M through the arena: the daemon read $d bytes"
[ "$d" -lt $((40 * 1048576)) ] ||
    fp_fail "bytes_received grew by $d for 202 MiB of params in the arena"

# FORKPOOL_SHM=0: inline, same answers.
FORKPOOL_SHM=0
export FORKPOOL_SHM
r0=$(received)
bench_ok 40 1048576 8
r1=$(received)
unset FORKPOOL_SHM
d=$((r1 - r0))
[ "$d" -ge $((42 * 1048576)) ] ||
    fp_fail "FORKPOOL_SHM=0: bytes_received grew by only $d for 42 MiB"

# A client's arena is counted while it is connected.
fp_bg "$FORKPOOL" -s "$FP_SOCK" bench -z 1048576 -d 2 -n 1000000 -W 0 \
    >"$T/bg.out" 2>&1
wait_for '[ "$(fp_stat shm_connections)" -ge 1 ]' 20 ||
    fp_fail "shm_connections never reached 1 while bench ran"
b=$(fp_stat shm_bytes)
[ "$b" -ge $((2 * 16777216)) ] || fp_fail "shm_bytes $b for one 16M arena"
kill "$FP_BGPID"
fp_wait_bg "$FP_BGPID" 10
wait_for '[ "$(fp_stat shm_connections)" -eq 0 ]' 10 ||
    fp_fail "shm_connections not back to 0 after the client left"

# max-shm-size 0 (reloaded): the attach is refused, everything inline.
printf 'test-handlers yes\nmax-shm-size 0\n' >"$FP_CONF"
fp_cli -s "$FP_SOCK" reload
assert_status 0 "forkpool reload"
r0=$(received)
bench_ok 20 1048576 4
bench_ok 20 200000 4
r1=$(received)
d=$((r1 - r0))
[ "$d" -ge $((22 * 1048576 + 22 * 200000)) ] ||
    fp_fail "max-shm-size 0: bytes_received grew by only $d"
[ "$(fp_stat shm_connections)" -eq 0 ] || fp_fail "an arena with max-shm-size 0"
fp_stop_clean
