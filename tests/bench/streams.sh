#!/bin/sh
# streams.sh -- forkpoold as a consumer of a Redis stream (forkpool-
# streams(7)) as a benchmark (`make bench'):
#
#	sh tests/bench/streams.sh [BUILDDIR]
#
# On a redis-server of its own (a free loopback port, a temporary
# directory, --save "" --appendonly no), with the echo handler and tiny
# params ([I]; the answer is I):
#
#   throughput   N entries (FP_STREAMS_N, default 20000) XADDed in one
#                pipelined write to one stream, consumed by 1, 2 and 3
#                forkpoold (each `workers 1', its own consumer name, one
#                group); entries/s from the id of the first entry to the id
#                of the last answer in the reply stream (Redis's clock);
#                and the CPU time per entry of Redis (INFO cpu), of the
#                daemons (supervisors and workers, /proc) and of the
#                producer (encoding included).
#   rt-d1        the round trip producer -> Redis -> forkpoold -> Redis ->
#                producer, one entry at a time (XADD, XREAD BLOCK on the
#                reply stream), 2000 after 200 of warm-up: p50, p99, us per
#                entry; against the same echo through the daemon's socket
#                (the Python client of tools/python, and `forkpool bench'),
#                and against the producer's two Redis commands alone.
#   rt-d64       the same with 64 entries (or calls) in flight, 5000.
#   BullMQ       tests/bench/bullmq (bullmq and ioredis pinned by its
#                package-lock.json; npm ci on first use): 1 and 3 worker
#                processes of concurrency 1 (as many tasks at once as the
#                daemons' workers), and 1 of concurrency 64, each returning
#                job.data; addBulk of N jobs, jobs/s to the last finishedOn,
#                CPU per job of Redis, the workers and the producer;
#                queue.add + job.waitUntilFinished round trips at 1 and 64
#                in flight (against the 1-worker process).
#
# Every case runs 3 times (the round trips interleave their variants);
# the table gives the median [min-max], then forkpool's ratios and
# differences, then the command of each row, then published figures of
# BullMQ and RQ.  Every run checks its answers (one per entry id, each the
# echo of its entry, none pending, none late; BullMQ: none failed, none
# left, every return value right), and every stop the daemons' counters
# (nothing claimed, suppressed, lost, dropped...), exit status, consumers
# and lease keys left, and log warnings; an anomaly is printed and makes
# the exit status 1 (BullMQ's are printed, and are not forkpool's
# failure).  All processes run on this machine, which
# shares its processors among Redis, the daemons and the producer: this
# checks the mechanism and its cost per task, not how it scales.
#
# Skipped, with the reason, without redis-server 7+ and redis-cli, without
# python3 modules redis and msgpack (/usr/bin/python3), or with a forkpoold
# built without hiredis; the BullMQ rows are skipped, with the reason,
# without node 18+ or if npm ci fails.  Takes about 2 minutes on an idle
# machine (more when other work loads it: the load average is printed).
# FP_STREAMS_RESULTS=FILE keeps every run's row (JSON lines) in FILE.

set -eu

PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the source tree
export PYTHONDONTWRITEBYTECODE

b=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
b=$(cd "$b" && pwd)
[ -x "$b/forkpoold" ] || { echo "streams.sh: $b/forkpoold is not built" >&2; exit 1; }

N=${FP_STREAMS_N:-20000}
RUNS=3
ND1=2000
ND64=5000
STREAM='{fpb}:tasks'
PY=/usr/bin/python3
SPY=tests/bench/streams.py

skip() {
	echo "== skipped the Redis Streams benchmark: $*"
	exit 0
}
command -v redis-server >/dev/null 2>&1 || skip "no redis-server (apt-get install redis-server)"
command -v redis-cli >/dev/null 2>&1 || skip "no redis-cli (apt-get install redis-tools)"
v=$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
[ "${v:-0}" -ge 7 ] || skip "redis-server 7.0 or later needed: $(redis-server --version)"
if ! { [ -x "$PY" ] && "$PY" -c 'import redis, msgpack' 2>/dev/null; }; then
	skip "no python3 modules redis and msgpack for $PY (apt-get install python3-redis python3-msgpack)"
fi

t=$(mktemp -d /tmp/fpstreams.XXXXXX)
pids=
rc=0
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# forget PID: no longer ours to stop (it was stopped and waited for).
forget() {
	_n=
	for _p in $pids; do
		[ "$_p" = "$1" ] || _n="$_n $_p"
	done
	pids=$_n
}

printf 'source "probe" redis {\n\tstream "%s"\n}\n' "$STREAM" >"$t/probe.conf"
if ! "$b/forkpoold" -n -f "$t/probe.conf" >"$t/probe.out" 2>&1; then
	skip "$(cat "$t/probe.out")"
fi

# ---- redis-server ------------------------------------------------------

mkdir "$t/redis"
try=0
while :; do
	try=$((try + 1))
	port=$("$PY" "$SPY" free-port)
	redis-server --bind 127.0.0.1 --port "$port" --save "" \
	    --appendonly no --dir "$t/redis" --daemonize no \
	    --logfile "$t/redis.log" </dev/null >/dev/null 2>&1 &
	rpid=$!
	pids="$pids $rpid"
	i=0
	while [ "$i" -lt 200 ] && kill -0 "$rpid" 2>/dev/null &&
	    ! redis-cli -p "$port" ping >/dev/null 2>&1; do
		i=$((i + 1))
		sleep 0.02
	done
	if kill -0 "$rpid" 2>/dev/null && redis-cli -p "$port" INFO server |
	    grep -Eq "^process_id:$rpid([^0-9]|\$)"; then
		break
	fi
	kill "$rpid" 2>/dev/null || true
	wait "$rpid" 2>/dev/null || true
	forget "$rpid"
	if [ "$try" -ge 5 ]; then
		echo "streams.sh: redis-server did not start:" >&2
		tail -n 5 "$t/redis.log" >&2
		exit 1
	fi
done

echo "# $(nproc) processors, shared by redis-server $(redis-server --version |
    sed -n 's/.* v=\([^ ]*\).*/\1/p') (port $port), the consumers and the producer:"
echo "# the numbers check the mechanism and its cost per task, not scale-out."
echo "# forkpool: each daemon \`workers 1', source on $STREAM, group forkpool;"
echo "# producer: Python (redis-py $("$PY" -c 'import redis; print(redis.__version__)'))."

res=$t/results.jsonl
: >"$res"
start=$(date +%s)

# measure CMD...: one run, its JSON row appended to the results; an
# anomaly (exit status 1) is shown at once and makes the status 1.
# measure_other CMD...: the same for another system's run (BullMQ): its
# anomalies are shown, and counted in the table, but are not forkpool's
# failure.
measure() {
	_mrc=0
	"$@" >>"$res" 2>"$t/measure.err" || _mrc=$?
	if [ "$_mrc" -ne 0 ]; then
		echo "   ANOMALY${_other:+ of the other system (not a forkpool failure)} (exit $_mrc) in: $*"
		tail -n 1 "$res" | grep '^{' | sed 's/^/   /' || true
		sed 's/^/   /' "$t/measure.err"
		[ -n "${_other:-}" ] || rc=1
	fi
}
measure_other() {
	_other=1
	measure "$@"
	_other=
}

# ---- forkpoold ---------------------------------------------------------

dpids=
socks=
# daemons N: start N forkpoold, consumers fpb-1..N, and wait until their
# sources are up.
daemons() {
	dpids=
	socks=
	_i=0
	while [ "$_i" -lt "$1" ]; do
		_i=$((_i + 1))
		_d=$t/d$_i
		mkdir -p "$_d"
		cat >"$_d/fp.conf" <<-EOF
		workers 1
		source "bench" redis {
			port $port
			stream "$STREAM"
			consumer "fpb-$_i"
			reply-maxlen 1000000
		}
		EOF
		rm -f "$_d/s.sock"
		"$b/forkpoold" -d -T -s "$_d/s.sock" -p none -f "$_d/fp.conf" \
		    2>>"$_d/daemon.log" &
		dpids="$dpids $!"
		pids="$pids $!"
		socks="$socks --socket $_d/s.sock"
	done
	# shellcheck disable=SC2086 # $socks: words on purpose
	if ! "$PY" "$SPY" wait-up $socks --timeout 10; then
		echo "streams.sh: forkpoold did not come up:" >&2
		cat "$t"/d*/daemon.log >&2
		exit 1
	fi
}

# stop_daemons: check their counters, SIGTERM, wait, check the exit
# status, the group's pending entries and the warnings of their logs.
stop_daemons() {
	# shellcheck disable=SC2086
	"$PY" "$SPY" srcstats $socks --label "forkpoold x$(echo $dpids | wc -w)" ||
	    rc=1
	for _p in $dpids; do
		kill -TERM "$_p" 2>/dev/null || true
	done
	for _p in $dpids; do
		_s=0
		wait "$_p" || _s=$?
		forget "$_p"
		if [ "$_s" -ne 0 ]; then
			echo "   ANOMALY: forkpoold (pid $_p) exited with status $_s"
			rc=1
		fi
	done
	_pend=$(redis-cli -p "$port" XPENDING "$STREAM" forkpool | head -n 1)
	if [ "$_pend" != 0 ]; then
		echo "   ANOMALY: $_pend entries still pending in the group"
		redis-cli -p "$port" XPENDING "$STREAM" forkpool | sed 's/^/   /'
		rc=1
	fi
	# A stopped daemon with nothing pending deletes its consumer and
	# its lease key (forkpool-streams(7), THE LOOP).
	_left=$(redis-cli -p "$port" XINFO CONSUMERS "$STREAM" forkpool |
	    grep -c '^name$' || true)
	_keys=$(redis-cli -p "$port" --scan --pattern "$STREAM:alive:*")
	if [ "$_left" != 0 ] || [ -n "$_keys" ]; then
		echo "   ANOMALY: after the stop, $_left consumers left in the" \
		    "group; lease keys left: ${_keys:-none}"
		rc=1
	fi
	for _l in "$t"/d*/daemon.log; do
		if grep -Eq 'level=(warn|error|crit)' "$_l"; then
			echo "   daemon log $(basename "$(dirname "$_l")"): warnings:"
			grep -E 'level=(warn|error|crit)' "$_l" | head -n 10 |
			    sed 's/^/   /'
		fi
		: >"$_l"
	done
	dpids=
}

say() {
	echo "== $*"
}

for n in 1 2 3; do
	daemons "$n"
	say "throughput, forkpool x$n ($RUNS runs):" "$PY" "$SPY" --port "$port" \
	    throughput --stream "$STREAM" --reply "{fpb}:reply:x$n" -n "$N" \
	    --variant "forkpool x$n"
	cpu=
	for p in $dpids; do
		cpu="$cpu --cpu-pid $p"
	done
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		r=$((r + 1))
		# shellcheck disable=SC2086 # $cpu: words on purpose
		measure "$PY" "$SPY" --port "$port" throughput --stream "$STREAM" \
		    --reply "{fpb}:reply:x$n" -n "$N" --variant "forkpool x$n" $cpu
	done
	if [ "$n" = 1 ]; then
		s1=$t/d1/s.sock
		say "round trips against forkpool x1 and its socket ($RUNS runs," \
		    "interleaved; commands in the table)"
		r=0
		while [ "$r" -lt "$RUNS" ]; do
			r=$((r + 1))
			measure "$PY" "$SPY" --port "$port" latency --stream "$STREAM" \
			    --reply '{fpb}:reply:rt' -n "$ND1" --warmup 200 --depth 1
			measure "$PY" "$SPY" socket --socket "$s1" -n "$ND1" \
			    --warmup 200 --depth 1
			measure "$PY" "$SPY" cbench --forkpool "$b/forkpool" \
			    --socket "$s1" -n "$ND1" --warmup 200 --depth 1
			measure "$PY" "$SPY" --port "$port" redis-rt -n "$ND1" \
			    --warmup 200
			measure "$PY" "$SPY" --port "$port" latency --stream "$STREAM" \
			    --reply '{fpb}:reply:rt' -n "$ND64" --warmup 1000 --depth 64
			measure "$PY" "$SPY" socket --socket "$s1" -n "$ND64" \
			    --warmup 1000 --depth 64
			measure "$PY" "$SPY" cbench --forkpool "$b/forkpool" \
			    --socket "$s1" -n "$ND64" --warmup 1000 --depth 64
		done
	fi
	stop_daemons
done

# ---- BullMQ ------------------------------------------------------------

bull=tests/bench/bullmq
bullmq_ok=
if ! command -v node >/dev/null 2>&1; then
	say "skipped the BullMQ rows: no node"
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
	say "skipped the BullMQ rows: node $(node --version), 18 or later needed"
elif [ ! -d "$bull/node_modules" ] && ! command -v npm >/dev/null 2>&1; then
	say "skipped the BullMQ rows: $bull/node_modules is missing and there is no npm"
else
	bullmq_ok=1
	if [ ! -d "$bull/node_modules" ]; then
		say "npm ci in $bull (bullmq, ioredis)"
		if ! (cd "$bull" && npm ci --no-audit --no-fund >"$t/npm.log" 2>&1)
		then
			say "skipped the BullMQ rows: npm ci failed: $(tail -n 1 "$t/npm.log")"
			rm -rf "$bull/node_modules"
			bullmq_ok=
		fi
	fi
fi

wpids=
# workers N CONCURRENCY QUEUE: N BullMQ worker processes, each ready.
workers() {
	wpids=
	_i=0
	while [ "$_i" -lt "$1" ]; do
		_i=$((_i + 1))
		node "$bull/bench.js" worker --port "$port" --queue "$3" \
		    --concurrency "$2" >"$t/w$_i.out" 2>&1 &
		wpids="$wpids $!"
		pids="$pids $!"
	done
	_i=0
	for _p in $wpids; do
		_i=$((_i + 1))
		_k=0
		until grep -q '^ready' "$t/w$_i.out"; do
			_k=$((_k + 1))
			if [ "$_k" -gt 500 ] || ! kill -0 "$_p" 2>/dev/null; then
				echo "streams.sh: a BullMQ worker did not start:" >&2
				cat "$t/w$_i.out" >&2
				exit 1
			fi
			sleep 0.02
		done
	done
}

stop_workers() {
	for _p in $wpids; do
		kill -TERM "$_p" 2>/dev/null || true
	done
	_i=0
	for _p in $wpids; do
		_i=$((_i + 1))
		_s=0
		wait "$_p" || _s=$?
		forget "$_p"
		if [ "$_s" -ne 0 ] || [ "$(grep -cv '^ready' "$t/w$_i.out")" -ne 0 ]
		then
			echo "   BullMQ worker (pid $_p) exited $_s:"
			sed 's/^/   /' "$t/w$_i.out"
			rc=1
		fi
	done
	wpids=
}

if [ -n "$bullmq_ok" ]; then
	echo "# BullMQ $(node -p "require('./$bull/node_modules/bullmq/package.json').version")" \
	    "(ioredis $(node -p "require('./$bull/node_modules/ioredis/package.json').version")," \
	    "node $(node --version)): worker processes on the same Redis."
	for wc in 1:1 3:1 1:64; do
		n=${wc%:*}
		c=${wc#*:}
		v="bullmq x$n"
		[ "$c" = 1 ] || v="$v c$c"
		q="fpb-x$n-c$c"
		workers "$n" "$c" "$q"
		say "throughput, $v ($RUNS runs):" node "$bull/bench.js" throughput \
		    --port "$port" --queue "$q" -n "$N" --variant "$v"
		cpu=
		for p in $wpids; do
			cpu="$cpu --cpu-pid $p"
		done
		r=0
		while [ "$r" -lt "$RUNS" ]; do
			r=$((r + 1))
			# shellcheck disable=SC2086 # $cpu: words on purpose
			measure_other node "$bull/bench.js" throughput --port "$port" \
			    --queue "$q" -n "$N" --variant "$v" $cpu
		done
		if [ "$wc" = 1:1 ]; then
			say "round trips against bullmq x1 ($RUNS runs; commands in the table)"
			r=0
			while [ "$r" -lt "$RUNS" ]; do
				r=$((r + 1))
				measure_other node "$bull/bench.js" latency --port "$port" \
				    --queue "$q" -n "$ND1" --warmup 200 --depth 1
				measure_other node "$bull/bench.js" latency --port "$port" \
				    --queue "$q" -n "$ND64" --warmup 1000 --depth 64
			done
		fi
		stop_workers
	done
fi

# ---- the table ---------------------------------------------------------

echo
say "summary: median [min-max] of $RUNS runs; throughput N=$N," \
    "rt-d1 $ND1 and rt-d64 $ND64 round trips"
cat <<EOF
# forkpool xN: N forkpoold, \`workers 1' each; bullmq xN: N worker processes
# of concurrency 1; c64: concurrency 64.  CPU columns: us of CPU per entry
# (job) of Redis, of the consumers (daemons / BullMQ workers) and of the
# producer.  Round trips: stream = forkpool through Redis from Python
# (redis-py); socket (python) = the same echo through the daemon's socket
# (tools/python); socket (forkpool bench) = the C client; redis alone = the
# producer's XADD + XREAD with no daemon; bullmq = queue.add +
# job.waitUntilFinished.  us/task = elapsed / tasks (at 1 in flight, the
# mean round trip).  $(nproc) processors for everything: no scale-out here.
EOF
"$PY" "$SPY" summary "$res"
cat <<'EOF'

published figures (other machines and methods: orientation only, not
comparable with the table above):
  BullMQ (Node.js) 5.76.4 in BullMQ's own bullmq-bench suite, run by the
    ChasquiMQ authors on an Apple M3 (8 cores) with Redis 8.6 on loopback:
    worker-concurrent (concurrency 100, tiny jobs) 45,643 jobs/s,
    queue-add-bulk 54,455 jobs/s.
    https://docs.rs/crate/chasquimq/latest/source/README.md
    https://chasquimq.pages.dev/benchmarks/methodology/
  BullMQ for Elixir, the BullMQ project's own page (Apple M2 Pro, Redis
    7.4, no-op jobs): 1 worker of concurrency 500, 4,901 jobs/s; 10
    workers of 500, 16,501 jobs/s.  https://hexdocs.pm/bullmq/benchmarks.html
  BullMQ Python vs RQ, the BullMQ project's article: found, its figures
    could not be read here, so none is quoted.
    https://bullmq.io/articles/benchmarks/bullmq-python-vs-rq
  RQ: no figure published by RQ itself was found; a third-party run: 20,000
    jobs by 10 RQ workers in 51.05 s (~392 jobs/s), MacBook Pro M2 Pro.
    https://github.com/steventen/python_queue_benchmark
EOF
[ -z "${FP_STREAMS_RESULTS:-}" ] || cp "$res" "$FP_STREAMS_RESULTS"
echo "(streams.sh took $(($(date +%s) - start)) s; load average now:" \
    "$(cut -d ' ' -f 1-3 /proc/loadavg))"
exit "$rc"
