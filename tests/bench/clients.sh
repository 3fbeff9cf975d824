#!/bin/sh
# clients.sh -- the seed scenarios of the Node.js and Python clients as
# benchmarks (`make bench'):
#
#	sh tests/bench/clients.sh [BUILDDIR] [--quick]
#
#   money-flow   tools/node/bench/money-flow.js: the aggregate plug-in's
#                group-and-aggregate on forkpool (3 workers) against Piscina
#                (3 threads) and in-process, bursts of 5 races;
#   serialise    tools/node/bench/serialise.js: json.encode/json.decode
#                against JSON.stringify/JSON.parse in-process and on
#                Piscina, objects of 1 KB to 1 MB;
#   agent-state  tools/python/bench/agent_state.py: 500 events/s of a
#                ~100 KB state through forkpool against run_in_executor
#                on a ThreadPoolExecutor and a ProcessPoolExecutor.
#
# Each starts its own forkpoold on a temporary socket (money-flow: `workers
# 3' and aggregate.so; the others: the default configuration, 2 workers),
# runs 3 times (--quick: once, shorter), and prints for every row the median
# and the range [min-max] of the runs, then the ratios of forkpool's medians
# to those of the other variants of the same run.  Numbers are comparable
# only within one run on one machine (DESIGN.md, section 9).  A benchmark
# whose runtime is missing (node 18+, tools/node/node_modules, a python3
# with msgpack) is skipped with the reason; Piscina rows are skipped, with
# the reason, if tools/node/bench/node_modules cannot be installed (npm ci).
# Exits non-zero if a benchmark that could run failed.

set -eu

PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the source tree
export PYTHONDONTWRITEBYTECODE

b=build
quick=
for a in "$@"; do
	case $a in
	--quick) quick=1 ;;
	-*)	echo "usage: clients.sh [BUILDDIR] [--quick]" >&2; exit 2 ;;
	*)	b=$a ;;
	esac
done
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
b=$(cd "$b" && pwd)
[ -x "$b/forkpoold" ] || { echo "clients.sh: $b/forkpoold is not built" >&2; exit 1; }

t=$(mktemp -d /tmp/fpclients.XXXXXX)
rc=0
# shellcheck source=SCRIPTDIR/lib.sh
. tests/bench/lib.sh
cleanup() {
	bench_stop
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start CONF: forkpoold on $t/s.sock with the configuration CONF (a
# string); stop: bench_stop.
start() {
	printf '%s\n' "$1" >"$t/fp.conf"
	bench_start clients.sh "$b" "$t" -f "$t/fp.conf"
}
stop() {
	bench_stop
}

# summary: the runs' tables (on stdin) as medians [min-max] per row, then
# forkpool's ratios to the other variants of the same case (not to msgpack,
# the client's encoding alone).
summary() {
	awk '
	/^#/ { if (!($0 in note)) { note[$0] = 1; print } next }
	$1 == "bench" { nm = NF; for (i = 4; i <= NF; i++) name[i] = $i; next }
	NF >= 4 {
		k = $2 SUBSEP $3
		if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
		if (!($2 in cseen)) { cseen[$2] = 1; cases[++nc] = $2 }
		for (i = 4; i <= NF; i++) { n = ++cnt[k, i]; val[k, i, n] = $i }
	}
	function num(s) { return s + 0 }
	function med(k, i,    n, j, l, x, a) {
		n = cnt[k, i]
		for (j = 1; j <= n; j++) a[j] = num(val[k, i, j])
		for (j = 2; j <= n; j++) {	# insertion sort
			x = a[j]
			for (l = j - 1; l >= 1 && a[l] > x; l--) a[l + 1] = a[l]
			a[l + 1] = x
		}
		lo = a[1]; hi = a[n]
		return a[int((n + 1) / 2)]
	}
	function f(x) {
		if (x >= 100) return sprintf("%.0f", x)
		if (x >= 10) return sprintf("%.1f", x)
		return sprintf("%.2f", x)
	}
	END {
		if (nk == 0) exit
		printf "%-14s %-9s", "case", "variant"
		for (i = 4; i <= nm; i++) printf " %22s", name[i]
		printf "\n"
		for (o = 1; o <= nk; o++) {
			k = order[o]; split(k, p, SUBSEP)
			printf "%-14s %-9s", p[1], p[2]
			for (i = 4; i <= nm; i++) {
				m[k, i] = med(k, i)
				printf " %22s", f(m[k, i]) " [" f(lo) "-" f(hi) "]"
			}
			printf "\n"
		}
		printf "ratios, forkpool / other (medians of this run):\n"
		for (c = 1; c <= nc; c++) {
			fk = cases[c] SUBSEP "forkpool"
			if (!(fk in seen)) continue
			for (o = 1; o <= nk; o++) {
				k = order[o]; split(k, p, SUBSEP)
				if (p[1] != cases[c] || p[2] == "forkpool" || p[2] == "msgpack")
					continue
				printf "%-14s /%-8s", p[1], p[2]
				for (i = 4; i <= nm; i++) {
					if (m[k, i] == 0) r = "-"
					else r = sprintf("%.2fx", m[fk, i] / m[k, i])
					printf " %22s", name[i] " " r
				}
				printf "\n"
			}
		}
	}'
}

# bench NAME CMD...: run CMD 3 times (--quick: once) and print the summary;
# a failed run is reported and makes the exit status 1.
bench() {
	name=$1
	shift
	echo "== $name: $* ($runs run(s): median [min-max])"
	: >"$t/$name.out"
	r=0
	while [ "$r" -lt "$runs" ]; do
		r=$((r + 1))
		if ! "$@" >>"$t/$name.out" 2>"$t/$name.err"; then
			echo "clients.sh: $name: run $r failed:" >&2
			cat "$t/$name.out" "$t/$name.err" >&2
			rc=1
			return 0
		fi
	done
	summary <"$t/$name.out"
	echo
}

runs=3
nsec=1
ssec=0.5
psec=2
if [ -n "$quick" ]; then
	runs=1
	nsec=0.3
	ssec=0.3
	psec=1
fi

node_ok=
if ! command -v node >/dev/null 2>&1; then
	echo "== skipped the Node.js benchmarks: no node"
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
	echo "== skipped the Node.js benchmarks: node $(node --version), 18 or later needed"
elif [ ! -d tools/node/node_modules ]; then
	echo "== skipped the Node.js benchmarks: tools/node/node_modules is missing (cd tools/node && npm ci)"
else
	node_ok=1
	if [ ! -d tools/node/bench/node_modules ]; then
		echo "== npm ci in tools/node/bench (piscina, for the comparison)"
		(cd tools/node/bench && npm ci --no-audit --no-fund >"$t/npm.log" 2>&1) ||
		    echo "   npm ci failed (the Piscina rows will be skipped): $(tail -n 1 "$t/npm.log")"
	fi
fi

if [ -n "$node_ok" ]; then
	start "workers 3
load \"$b/plugins/aggregate.so\""
	bench money-flow node tools/node/bench/money-flow.js --socket "$t/s.sock" \
	    --seconds "$nsec"
	stop
	start "workers 2"
	bench serialise node tools/node/bench/serialise.js --socket "$t/s.sock" \
	    --seconds "$ssec"
	stop
fi

py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import msgpack' >/dev/null 2>&1; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "== skipped the Python benchmark: no python3 with msgpack (apt-get install python3-msgpack)"
else
	start "workers 2"
	bench agent-state "$py" tools/python/bench/agent_state.py \
	    --socket "$t/s.sock" --seconds "$psec"
	stop
fi
exit "$rc"
