# redis.sh -- Redis helpers for the Redis Streams tests (issue 13).
#
# Sourced after tests/lib.sh, never run:
#
#	. "$(dirname "$0")/../lib.sh"
#	. "$(dirname "$0")/../redis.sh"
#	fp_need_redis
#
# Every redis-server and relay is a background child of the test, started
# in the foreground (no daemonize) on loopback and recorded in FP_PIDS, so
# that lib.sh's EXIT trap stops it by PID; a server keeps nothing on disk
# (--save "" --appendonly no) and works in $T/redis-NAME (its log is
# $T/redis-NAME.log); DEBUG is allowed from loopback (--enable-debug-command
# local: `DEBUG SLEEP 2' makes a slow Redis).  Ports are picked at random below the kernel's
# ephemeral range (so that no outgoing connection holds one) and checked
# free; as a parallel test may take the same port in between, a server
# that cannot bind is started again on another port.  Waits are bounded
# polls (wait_for).
#
# Daemons beyond fp_start's first one are started by fp_start_consumer
# (each on its own socket and log in $T, stopped at exit like fp_start's);
# fp_source_up waits until a daemon's sources read, fp_sources prints
# their figures and fp_pending counts what a consumer holds.
#
# The programs these helpers run are in tests/streams (FP_STREAMS, put on
# PYTHONPATH so that `import fpstream' works in fp_py): fpstream.py (the
# producer and checker) and relay.py (the TCP relay of the partition
# scenarios).
#
# State kept per server NAME: $T/redis-NAME.port, $T/redis-NAME.pid
# (while it runs) and, for a cluster node, $T/redis-NAME.busport.
#
# shellcheck shell=sh

FP_STREAMS=$FP_ROOT/tests/streams
PYTHONPATH=$FP_STREAMS:$PYTHONPATH
export FP_STREAMS PYTHONPATH
: "${FP_REDIS_SERVER:=redis-server}"
: "${FP_REDIS_CLI:=redis-cli}"
: "${FP_REDIS_START_TIMEOUT:=10}"
: "${FP_REDIS_CMD_TIMEOUT:=10}"
FP_REDIS_OK=
FP_NRELAY=0

# fp_need_redis: skip the test unless redis-server 7.0 or later, redis-cli
# and the python3 modules redis and msgpack are here.
fp_need_redis() {
	[ -z "$FP_REDIS_OK" ] || return 0
	for _c in "$FP_REDIS_SERVER" "$FP_REDIS_CLI"; do
		command -v "$_c" >/dev/null 2>&1 ||
		    fp_skip "no $_c (apt-get install redis-server)"
	done
	_v=$("$FP_REDIS_SERVER" --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
	if [ "${_v:-0}" -lt 7 ]; then
		fp_skip "redis-server is older than 7.0:" \
		    "$("$FP_REDIS_SERVER" --version)"
	fi
	"$FP_PY" -c 'import redis, msgpack' 2>/dev/null ||
	    fp_skip "no python3 module redis for $FP_PY (apt-get install" \
	    "python3-redis)"
	FP_REDIS_OK=1
}

# fp_free_port: print a loopback TCP port that nothing listens on, picked
# at random below the ephemeral range (free only at the time of the
# check: fp_redis_start retries on a collision).
fp_free_port() {
	"$FP_PY" -c '
import random, socket
lo, hi = 10000, 32767
try:
	with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
		eph = int(f.read().split()[0])
	if eph > lo + 1000:
		hi = eph - 1
except (OSError, ValueError, IndexError):
	pass
rnd = random.SystemRandom()
for _ in range(200):
	p = rnd.randint(lo, hi)
	s = socket.socket()
	try:
		s.bind(("127.0.0.1", p))
	except OSError:
		continue
	finally:
		s.close()
	print(p)
	break
else:
	raise SystemExit("no free port found in %d-%d" % (lo, hi))'
}

# _fp_redis_up PORT PID LOG OFFSET: PID is gone, or it is up: it logged
# (in LOG past OFFSET bytes) that it accepts connections, which it does
# only once it listens on its ports (a server that cannot bind them exits),
# and PORT answers a PING (PONG, or NOAUTH with --requirepass).
_fp_redis_up() {
	! fp_alive "$2" || {
		tail -c "+$(($4 + 1))" "$3" |
		    grep -q 'Ready to accept connections' &&
		    timeout -k 1 2 "$FP_REDIS_CLI" -h 127.0.0.1 -p "$1" PING \
		    >/dev/null 2>&1
	}
}

# _fp_redis_launch NAME PORT BUSPORT [ARG...]: start redis-server NAME on
# PORT (a cluster node with its bus on BUSPORT unless that is empty) and
# wait until it answers.  0: up (RPID, files written); 2: it could not
# bind its ports (try others); fails the test otherwise.
_fp_redis_launch() {
	_rl_name=$1
	_rl_port=$2
	_rl_bus=$3
	shift 3
	_rl_log=$T/redis-$_rl_name.log
	if [ -n "$_rl_bus" ]; then
		set -- --cluster-enabled yes --cluster-config-file nodes.conf \
		    --cluster-port "$_rl_bus" "$@"
	fi
	printf '=== %s: redis-server %s on port %s\n' "$FP_NAME" "$_rl_name" \
	    "$_rl_port" >>"$_rl_log"
	_rl_off=$(wc -c <"$_rl_log")
	# shellcheck disable=SC2094 # the server appends to its log, as we do
	"$FP_REDIS_SERVER" --bind 127.0.0.1 --port "$_rl_port" \
	    --daemonize no --save "" --appendonly no \
	    --dir "$T/redis-$_rl_name" --logfile "$_rl_log" \
	    --enable-debug-command local "$@" </dev/null >>"$_rl_log" 2>&1 &
	RPID=$!
	FP_PIDS="$FP_PIDS $RPID"
	if ! wait_for "_fp_redis_up $_rl_port $RPID $_rl_log $_rl_off" \
	    "$FP_REDIS_START_TIMEOUT"; then
		tail -n 20 "$_rl_log" >&2
		fp_fail "redis-server $_rl_name on port $_rl_port: no answer" \
		    "after $FP_REDIS_START_TIMEOUT s"
	fi
	if ! fp_alive "$RPID"; then
		FP_RC=0
		wait "$RPID" || FP_RC=$?
		fp_forget "$RPID"
		if tail -c "+$((_rl_off + 1))" "$_rl_log" |
		    grep -q "Address already in use"; then
			return 2
		fi
		tail -n 20 "$_rl_log" >&2
		fp_fail "redis-server $_rl_name exited (status $FP_RC) at" \
		    "start-up"
	fi
	RPORT=$_rl_port
	echo "$RPORT" >"$T/redis-$_rl_name.port"
	echo "$RPID" >"$T/redis-$_rl_name.pid"
	if [ -n "$_rl_bus" ]; then
		echo "$_rl_bus" >"$T/redis-$_rl_name.busport"
	fi
	return 0
}

# _fp_redis_new NAME CLUSTER [ARG...]: start a new server NAME (with a
# fresh directory) on free ports; a cluster node if CLUSTER is 1.
_fp_redis_new() {
	_rn_name=$1
	_rn_cluster=$2
	shift 2
	fp_need_redis
	if [ -f "$T/redis-$_rn_name.pid" ]; then
		fp_fail "redis-server $_rn_name runs already"
	fi
	_rn_try=0
	while :; do
		_rn_try=$((_rn_try + 1))
		rm -rf "$T/redis-$_rn_name"
		mkdir "$T/redis-$_rn_name"
		_rn_bus=
		if [ "$_rn_cluster" = 1 ]; then
			_rn_bus=$(fp_free_port)
		fi
		_rn_rc=0
		_fp_redis_launch "$_rn_name" "$(fp_free_port)" "$_rn_bus" "$@" ||
		    _rn_rc=$?
		[ "$_rn_rc" -eq 0 ] && return 0
		if [ "$_rn_try" -ge 5 ]; then
			fp_fail "redis-server $_rn_name: no free port after" \
			    "$_rn_try tries"
		fi
		fp_info "redis-server $_rn_name: port taken; another one"
	done
}

# fp_redis_start NAME [ARG...]: start redis-server NAME (extra ARGs are
# redis-server options, e.g. --requirepass x) on a free loopback port and
# wait (bounded) until it answers.  Sets RPORT and RPID; the port is also
# in $T/redis-NAME.port.
fp_redis_start() {
	_rs_name=$1
	shift
	_fp_redis_new "$_rs_name" 0 "$@"
}

# fp_redis_restart NAME [ARG...]: start the stopped server NAME again on
# the same port (and bus port, for a cluster node, which keeps its
# nodes.conf and so rejoins its cluster); its data is gone.  Fails if the
# port was taken meanwhile.  Sets RPORT and RPID.
fp_redis_restart() {
	_rr_name=$1
	shift
	read -r _rr_port <"$T/redis-$_rr_name.port"
	_rr_bus=
	if [ -f "$T/redis-$_rr_name.busport" ]; then
		read -r _rr_bus <"$T/redis-$_rr_name.busport"
	fi
	_rr_rc=0
	_fp_redis_launch "$_rr_name" "$_rr_port" "$_rr_bus" "$@" || _rr_rc=$?
	if [ "$_rr_rc" -ne 0 ]; then
		fp_fail "redis-server $_rr_name: port $_rr_port taken, cannot" \
		    "restart it there"
	fi
}

# fp_redis_stop NAME...: stop the servers NAME (SIGTERM: a server that
# saves nothing exits at once; SIGCONT too, in case a test stopped it),
# bounded wait (10 s, then SIGKILL).  Their ports stay recorded for
# fp_redis_restart.
fp_redis_stop() {
	_rx_pids=
	for _rx in "$@"; do
		read -r _rx_pid <"$T/redis-$_rx.pid" ||
		    fp_fail "fp_redis_stop: no redis-server $_rx running"
		kill -TERM "$_rx_pid" 2>/dev/null || true
		kill -CONT "$_rx_pid" 2>/dev/null || true
		rm -f "$T/redis-$_rx.pid"
		_rx_pids="$_rx_pids $_rx_pid"
	done
	for _rx_pid in $_rx_pids; do
		fp_wait_bg "$_rx_pid" 10
	done
}

# fp_redis_port NAME: print the port of server NAME.
fp_redis_port() {
	read -r _rp <"$T/redis-$1.port" ||
	    fp_fail "fp_redis_port: no redis-server $1"
	printf '%s\n' "$_rp"
}

# fp_redis_cli NAME|PORT [OPTION...] ARG...: redis-cli on the port of
# server NAME (or on PORT, all digits), bounded by FP_REDIS_CMD_TIMEOUT.
# Its exit status is redis-cli's: 0 even for an error reply unless the
# option -e is given (-c follows cluster redirections, -x reads the last
# argument from stdin).
fp_redis_cli() {
	case $1 in
	*[!0-9]*|'')	read -r _rc_port <"$T/redis-$1.port" ||
			    fp_fail "fp_redis_cli: no redis-server $1" ;;
	*)		_rc_port=$1 ;;
	esac
	shift
	timeout --foreground -k 2 "$FP_REDIS_CMD_TIMEOUT" "$FP_REDIS_CLI" \
	    -h 127.0.0.1 -p "$_rc_port" "$@"
}

# fp_redis_cluster_start [ARG...]: a local Redis Cluster of three masters
# (servers c1, c2 and c3, with extra redis-server ARGs), and a bounded
# wait until every node says cluster_state:ok and knows the other two.
# Made by hand (slots 0-5460, 5461-10922 and 10923-16383, distinct config
# epochs, every node meeting the others) rather than with `redis-cli
# --cluster create', whose one-second sleeps make it take 1.5 to 8 s where
# this takes the 2 s a new master waits before it turns ok; `redis-cli
# --cluster check' then confirms it.  Sets RCPORTS (the three ports,
# space-separated), RCLUSTER (comma-separated, for fpstream.py --cluster)
# and RCPIDS; RCLUSTER is also in $T/redis-cluster.ports.
fp_redis_cluster_start() {
	RCPORTS=
	RCPIDS=
	for _cl in c1 c2 c3; do
		_fp_redis_new "$_cl" 1 "$@"
		RCPORTS="$RCPORTS${RCPORTS:+ }$RPORT"
		RCPIDS="$RCPIDS${RCPIDS:+ }$RPID"
	done
	RCLUSTER=$(echo "$RCPORTS" | tr ' ' ,)
	_cl_e=0
	for _cl in "c1 0 5460" "c2 5461 10922" "c3 10923 16383"; do
		# shellcheck disable=SC2086 # name, first and last slot
		set -- $_cl
		_cl_e=$((_cl_e + 1))
		if ! fp_redis_cli "$1" -e CLUSTER ADDSLOTSRANGE "$2" "$3" \
		    >/dev/null || ! fp_redis_cli "$1" -e CLUSTER \
		    SET-CONFIG-EPOCH "$_cl_e" >/dev/null; then
			fp_fail "redis-server $1: cannot assign slots $2-$3"
		fi
	done
	for _cl in c1 c2 c3; do
		for _cm in c1 c2 c3; do
			[ "$_cl" != "$_cm" ] || continue
			read -r _cm_bus <"$T/redis-$_cm.busport"
			fp_redis_cli "$_cl" -e CLUSTER MEET 127.0.0.1 \
			    "$(fp_redis_port "$_cm")" "$_cm_bus" >/dev/null ||
			    fp_fail "redis-server $_cl: CLUSTER MEET $_cm failed"
		done
	done
	# shellcheck disable=SC2016 # wait_for evaluates it
	if ! wait_for '_fp_cluster_ok $RCPORTS' 30; then
		for _cl in $RCPORTS; do
			printf -- '--- CLUSTER INFO, NODES of %s:\n' "$_cl" >&2
			fp_redis_cli "$_cl" CLUSTER INFO >&2 || true
			fp_redis_cli "$_cl" CLUSTER NODES >&2 || true
		done
		fp_fail "the Redis Cluster on $RCLUSTER is not ok after 30 s"
	fi
	if ! timeout --foreground -k 2 "$FP_REDIS_CMD_TIMEOUT" \
	    "$FP_REDIS_CLI" --cluster check "127.0.0.1:${RCPORTS%% *}" \
	    >"$T/redis-cluster.out" 2>&1 ||
	    grep -q 'ERR' "$T/redis-cluster.out"; then
		cat "$T/redis-cluster.out" >&2
		fp_fail "redis-cli --cluster check of $RCLUSTER failed"
	fi
	echo "$RCLUSTER" >"$T/redis-cluster.ports"
}

# _fp_cluster_ok PORT...: each node has state ok and knows all nodes.
_fp_cluster_ok() {
	for _co in "$@"; do
		_ci=$(fp_redis_cli "$_co" CLUSTER INFO 2>/dev/null | tr -d '\r')
		case $_ci in
		*cluster_state:ok*) ;;
		*) return 1 ;;
		esac
		case $_ci in
		*cluster_known_nodes:$#*) ;;
		*) return 1 ;;
		esac
	done
	return 0
}

# fp_redis_cluster_stop: stop the three nodes of fp_redis_cluster_start
# (each one still running).
fp_redis_cluster_stop() {
	_cs_names=
	for _cl in c1 c2 c3; do
		if [ -f "$T/redis-$_cl.pid" ]; then
			_cs_names="$_cs_names $_cl"
		fi
	done
	# shellcheck disable=SC2086 # names are words
	fp_redis_stop $_cs_names
}

# fp_relay_start PORT: start tests/streams/relay.py, which listens on a
# free loopback port and relays each connection to 127.0.0.1:PORT; a
# bounded wait until it listens.  Sets RELAY_PORT and RELAY_PID (also in
# $T/relay-N.port, N counting the relays of this test).  `kill -STOP
# $RELAY_PID' freezes every byte through it (a partition), `kill -CONT
# $RELAY_PID' lets them go on; fp_relay_stop stops it.
fp_relay_start() {
	FP_NRELAY=$((FP_NRELAY + 1))
	_ry_file=$T/relay-$FP_NRELAY.port
	rm -f "$_ry_file"
	fp_bg "$FP_PY" "$FP_STREAMS/relay.py" --port-file "$_ry_file" "$1" \
	    </dev/null >/dev/null 2>>"$T/relay-$FP_NRELAY.err"
	RELAY_PID=$FP_BGPID
	if ! wait_for "[ -s $_ry_file ] || ! fp_alive $RELAY_PID" 10 ||
	    ! fp_alive "$RELAY_PID"; then
		cat "$T/relay-$FP_NRELAY.err" >&2
		fp_fail "relay.py to port $1 did not start"
	fi
	# shellcheck disable=SC2034 # for the scripts that source this file
	read -r RELAY_PORT <"$_ry_file"
}

# fp_relay_stop PID: stop a relay (SIGCONT first, in case it is stopped,
# then SIGTERM), bounded wait.
fp_relay_stop() {
	kill -CONT "$1" 2>/dev/null || true
	kill -TERM "$1" 2>/dev/null || true
	fp_wait_bg "$1" 5
}

# fp_fpstream ARG...: run tests/streams/fpstream.py ARG... (bounded by
# FP_STREAM_TIMEOUT, default 120 s); its exit status is returned.
fp_fpstream() {
	timeout --foreground -k 2 "${FP_STREAM_TIMEOUT:-120}" "$FP_PY" \
	    "$FP_STREAMS/fpstream.py" "$@"
}

# ---- daemons that consume a stream ---------------------------------------

# fp_start_consumer NAME CONF [OPTION...]: start one more forkpoold for a
# scenario of several consumers (the first may be fp_start's): `forkpoold
# -d -T -p none -s $T/NAME.sock -f CONF OPTION...' in the foreground, as
# fp_start starts one (default SIGINT and SIGQUIT, under FP_WRAP), its
# stderr appended to $T/NAME.log (kept for the runner's sanitizer scan),
# its PID in FP_DAEMONS and FP_ALLD (lib.sh's EXIT trap stops it) and in
# CPID, its socket in CSOCK.  A bounded wait until the socket accepts a
# connection, then (unless FP_SOURCE_NOWAIT is set: a consumer that is to
# wait for a lease, say) fp_source_up.  Stop it with fp_stop $CPID.
fp_start_consumer() {
	_sc_name=$1
	_sc_conf=$2
	shift 2
	CSOCK=$T/$_sc_name.sock
	_sc_log=$T/$_sc_name.log
	printf '=== %s: forkpoold -d -T -p none -s %s -f %s %s\n' "$FP_NAME" \
	    "$CSOCK" "$_sc_conf" "$*" >>"$_sc_log"
	# shellcheck disable=SC2086 # commands and their arguments
	$FP_SIGDFL $FP_WRAP "$FORKPOOLD" -d -T -p none -s "$CSOCK" \
	    -f "$_sc_conf" "$@" </dev/null >>"$_sc_log" 2>&1 &
	CPID=$!
	FP_DAEMONS="$FP_DAEMONS $CPID"
	FP_ALLD="$FP_ALLD $CPID"
	_sc_rc=0
	"$FP_PY" "$FP_INTEG/fpclient.py" wait "$CSOCK" "$CPID" \
	    "$FP_START_TIMEOUT" || _sc_rc=$?
	if [ "$_sc_rc" -ne 0 ]; then
		if [ "$_sc_rc" -eq 2 ]; then
			FP_RC=0
			wait "$CPID" || FP_RC=$?
			fp_forget "$CPID"
		fi
		tail -n 30 "$_sc_log" >&2
		fp_fail "forkpoold $_sc_name did not start (socket $CSOCK," \
		    "wait status $_sc_rc)"
	fi
	if [ -z "${FP_SOURCE_NOWAIT:-}" ]; then
		fp_source_up "$CSOCK"
	fi
}

# fp_source_up SOCK [TIMEOUT_S]: a bounded wait (default 20 s) until every
# source of the daemon on SOCK is "up" in forkpool.stats (connected, its
# lease key taken, its own pending list recovered: it reads new entries);
# fails the test with the sources' figures otherwise.
fp_source_up() {
	"$FP_PY" - "$1" "${2:-20}" <<'PY' ||
import json, sys, time
import fpclient as fc

sock, tmo = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + tmo
while True:
	try:
		src = fc.stats(sock)["sources"]
	except (OSError, fc.Closed, fc.Timeout) as e:
		src = "forkpool.stats: %r" % (e,)
	if isinstance(src, list) and src and \
	    all(x["state"] == "up" for x in src):
		sys.exit(0)
	if time.monotonic() >= end:
		sys.stderr.write("sources of %s after %g s: %s\n" % (sock, tmo,
		    json.dumps(fc._jsonable(src))))
		sys.exit(1)
	time.sleep(0.02)
PY
	    fp_fail "the sources of the daemon on $1 are not all up"
}

# fp_sources SOCK: the "sources" array of forkpool.stats of the daemon on
# SOCK, as one line of JSON.
fp_sources() {
	"$FP_PY" "$FP_INTEG/fpclient.py" stat "$1" sources
}

# fp_pending NAME|PORT STREAM GROUP [CONSUMER]: print how many entries are
# pending in GROUP of STREAM (XPENDING), or for CONSUMER alone; 0 if none,
# or if there is no such group.  One redis-cli, no Python: quick enough
# for wait_for conditions on timings of a few hundred milliseconds.
fp_pending() {
	fp_redis_cli "$1" XPENDING "$2" "$3" | awk -v c="${4-}" '
	NR == 1 { tot = $0 + 0 }
	NR > 3 && NR % 2 == 0 { name = $0 }
	NR > 3 && NR % 2 == 1 && name == c { n = $0 + 0 }
	END { print (c == "" ? tot : n + 0) }'
}

# fp_swait SOCK COND TIMEOUT_S: a bounded poll (every 20 ms, one process) of
# forkpool.stats of the daemon on SOCK until the Python expression COND
# over st (the stats) and s (its source) holds; 1 if it does not in time.
fp_swait() {
	"$FP_PY" - "$@" <<'PY'
import sys, time
import fpclient as fc

sock, cond, tmo = sys.argv[1], sys.argv[2], float(sys.argv[3])
end, st = time.monotonic() + tmo, None
while True:
	try:
		st = fc.stats(sock)
		s = st["sources"][0]
		if eval("(%s)" % cond):
			sys.exit(0)
	except (OSError, fc.Closed, fc.Timeout) as e:
		st = repr(e)
	if time.monotonic() >= end:
		sys.stderr.write("%s: not %s after %g s: %r\n" % (sock, cond, tmo,
		    st if isinstance(st, str) else st["sources"]))
		sys.exit(1)
	time.sleep(0.02)
PY
}

# fp_kill9 PID: SIGKILL a daemon of ours; none of its workers may outlive it.
fp_kill9() {
	fp_record_workers "$1"
	kill -KILL "$1"
	FP_RC=0
	wait "$1" || FP_RC=$?
	fp_forget "$1"
	assert_eq 137 "$FP_RC" "exit status of daemon $1 after SIGKILL"
	fp_check_no_workers 5
}
