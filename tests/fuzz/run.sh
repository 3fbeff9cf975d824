#!/bin/sh
# run.sh -- build the libFuzzer targets of tests/fuzz/ with clang
# (ASan+UBSan) into build-fuzz/ and run each for a bounded time.
#
#   sh tests/fuzz/run.sh [SECONDS]      (default 30, or $FUZZ_SECONDS)
#
# FUZZ_JOBS (default: the processors online) targets build and run at a
# time, each for SECONDS; their reports are printed in a fixed order.
#
# The corpus of each target lives in build-fuzz/corpus/<target>/ (kept
# between runs); it is seeded with a few small built-in inputs, and
# tests/fuzz/corpus/<target>/ is read too when it exists.  A crash, leak,
# timeout or out-of-memory is a failure: its input is kept as
# build-fuzz/crashes/<target>-crash-<sha1> (or leak-, timeout-, oom-) and
# its path printed; replay it with `build-fuzz/<target> FILE`.
#
# Without clang or libFuzzer: installed with apt-get when run as root on
# Debian, else SKIPPED (exit 77, as tests/run.sh counts skips).
# msgpack-c's pkg-config name is the build's (MSGPACK_PC, which make
# passes, else build/config.mk), not looked up again.
set -u

secs=${1:-${FUZZ_SECONDS:-30}}
case $secs in
''|*[!0-9]*) echo "usage: sh tests/fuzz/run.sh [SECONDS]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/../.." || exit 2
B=build-fuzz
TARGETS="fuzz_json_dec fuzz_json_enc fuzz_proto_skip fuzz_client_scan fuzz_conn"

# srcs TARGET: the sources a target is built from, besides its own.
srcs() {
	case $1 in
	fuzz_proto_skip) echo "lib/mp.c lib/buf.c tools/liberr.c" ;;
	fuzz_client_scan) echo "lib/mp.c lib/buf.c" ;;
	# The daemon's connection code: the supervisor without its main(),
	# and without hiredis (redis_none.c: no source is configured).
	fuzz_conn)
		for f in src/*.c lib/*.c shm/*.c tools/lib*.c; do
			case $f in
			src/forkpoold.c|src/redis.c) ;;
			*) printf '%s ' "$f" ;;
			esac
		done ;;
	*) echo "lib/json_enc.c lib/json_dec.c lib/mp.c lib/buf.c" ;;
	esac
}
# libs TARGET: what a target links with besides msgpack-c and libm.
libs() {
	case $1 in
	fuzz_conn) echo "$(pkg-config --libs libbsd) -ldl -pthread" ;;
	esac
}
CC=${FUZZ_CC:-clang}
# FUZZ_JOBS targets at a time (default: the processors online).
jobs=${FUZZ_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
case $jobs in
''|0*|*[!0-9]*) echo "FUZZ_JOBS: not a number of jobs: $jobs" >&2; exit 2 ;;
esac
started=

mkdir -p "$B" || exit 2

# have_libfuzzer: clang can build and link a fuzzer with ASan+UBSan.
have_libfuzzer() {
	command -v "$CC" >/dev/null 2>&1 || return 1
	printf '%s\n' \
	    '#include <stddef.h>' \
	    '#include <stdint.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	    '{ return d == NULL && n > 0; }' > "$B/probe.c"
	"$CC" -fsanitize=fuzzer,address,undefined "$B/probe.c" \
	    -o "$B/probe" >/dev/null 2>&1
	rc=$?
	rm -f "$B/probe" "$B/probe.c"
	return $rc
}

if ! have_libfuzzer; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "fuzz: installing clang and libFuzzer (apt-get)"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    clang libclang-rt-14-dev >/dev/null
	fi
	if ! have_libfuzzer; then
		echo "SKIPPED: fuzz: $CC with libFuzzer (-fsanitize=fuzzer) not" \
		    "available (Debian: apt-get install clang libclang-rt-14-dev)"
		exit 77
	fi
fi
pc=${MSGPACK_PC:-$(sed -n 's/^MSGPACK_PC = *//p' build/config.mk 2>/dev/null)}
if [ -z "$pc" ] || ! pkg-config --exists "$pc" libbsd 2>/dev/null; then
	echo "SKIPPED: fuzz: msgpack-c and libbsd unknown to pkg-config, or" \
	    "no build/config.mk (run make first)"
	exit 77
fi

# seed TARGET NAME BYTES: write a seed input (octal escapes, printf).
seed() {
	mkdir -p "$B/corpus/$1"
	# shellcheck disable=SC2059
	printf "$3" > "$B/corpus/$1/seed-$2"
}

# Inputs start with an options byte (see the targets' comments).
seeds() {
	seed fuzz_json_enc map '\000\203\241\141\226\001\377\313\077\370\000\000\000\000\000\000\300\303\302\241\142\250\150\303\251\342\200\250\001\042\241\143\201\241\144\220'
	seed fuzz_json_enc ints '\041\232\000\177\340\314\377\321\377\177\316\000\001\000\000\317\000\000\000\001\000\000\000\000\317\200\000\000\000\000\000\000\000\317\377\377\377\377\377\377\377\377\323\200\000\000\000\000\000\000\000'
	seed fuzz_json_enc floats '\004\225\313\077\271\231\231\231\231\231\232\313\200\000\000\000\000\000\000\000\313\000\000\000\000\000\000\000\001\313\104\113\306\065\060\343\110\065\313\100\000\000\000\000\000\000\000'
	seed fuzz_json_enc f32nan '\000\223\312\075\314\314\315\313\177\370\000\000\000\000\000\000\313\377\360\000\000\000\000\000\000'
	seed fuzz_json_enc binext '\002\224\304\003\141\142\143\326\377\000\000\000\001\327\377\000\000\000\004\000\000\000\001\307\014\377\000\000\000\001\000\000\000\000\000\000\000\001'
	seed fuzz_json_enc keys '\003\205\300\001\303\002\005\003\313\077\340\000\000\000\000\000\000\004\304\001\377\005'
	seed fuzz_json_enc badutf8 '\010\202\244\141\377\300\142\001\245\303\243\355\240\200\300'
	seed fuzz_json_enc trunc '\060\012\222\331\042\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\360\237\230\200\360\237\230\200\360\237\230\200\316\000\274\141\116'
	seed fuzz_json_enc deep '\100\221\221\221\221\221\221\221\221\221\300'
	seed fuzz_json_enc sort '\000\205\241\142\001\012\002\304\002\146\157\003\242\141\377\004\241\141\202\241\171\300\241\170\220'
	seed fuzz_proto_skip req '\001\224\000\001\244\145\143\150\157\221\202\241\141\313\077\340\000\000\000\000\000\000\241\142\333\000\000\000\003\170\171\172'
	seed fuzz_proto_skip ext '\007\223\307\002\001\141\142\330\005\000\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\334\000\002\300\301'
	seed fuzz_proto_skip big '\200\335\000\020\000\000\337\377\377\377\377\306\377\377\377\377\141'
	seed fuzz_conn req '\001\224\000\001\244\145\143\150\157\221\001\224\000\002\256\146\157\162\153\160\157\157\154\056\163\164\141\164\163\220\223\002\245\163\154\145\145\160\221\012'
	seed fuzz_conn call '\006\224\000\003\255\146\157\162\153\160\157\157\154\056\143\141\154\154\223\245\163\154\145\145\160\221\144\201\242\151\144\241\170\224\000\004\257\146\157\162\153\160\157\157\154\056\143\141\156\143\145\154\221\003'
	seed fuzz_conn big '\000\224\000\005\244\145\143\150\157\221\332\010\000\141\141\141\141'
	seed fuzz_conn bad '\001\224\000\006\300\220\301\301'
	seed fuzz_client_scan req '\000\224\000\001\244\145\143\150\157\221\202\241\141\313\077\340\000\000\000\000\000\000\241\142\333\000\000\000\003\170\171\172'
	seed fuzz_client_scan ext '\007\223\307\002\001\141\142\330\005\000\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\334\000\002\300\301'
	seed fuzz_client_scan big '\201\335\000\020\000\000\337\377\377\377\377\306\377\377\377\377\141'
	seed fuzz_json_dec obj '\000\173\042\141\042\072\133\061\054\062\056\065\054\055\060\054\061\145\055\067\054\042\170\134\165\060\060\145\071\134\165\144\070\063\144\134\165\144\145\060\060\042\135\054\042\142\042\072\156\165\154\154\054\042\143\042\072\164\162\165\145\054\042\144\042\072\146\141\154\163\145\175'
	seed fuzz_json_dec big '\002\133\061\070\064\064\066\067\064\064\060\067\063\067\060\071\065\065\061\066\061\066\054\055\071\062\062\063\063\067\062\060\063\066\070\065\064\067\067\065\070\060\071\054\061\145\064\060\060\054\061\062\063\064\065\066\067\070\071\060\061\062\063\064\065\066\067\070\071\060\061\062\063\064\065\066\067\070\071\060\135'
	seed fuzz_json_dec dup '\004\173\042\141\042\072\061\054\042\141\042\072\062\054\042\134\165\060\060\066\061\042\072\063\054\042\142\042\072\173\042\142\042\072\133\135\175\175'
	seed fuzz_json_dec dupe '\010\173\042\153\042\072\061\054\042\153\042\072\062\175'
	seed fuzz_json_dec ws '\100\040\011\015\012\133\040\173\175\040\054\040\133\135\040\054\040\042\134\042\134\134\134\057\134\142\134\146\134\156\134\162\134\164\042\040\135\040'
	seed fuzz_json_dec deep '\020\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\133\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135\135'
	seed fuzz_json_dec utf8 '\200\042\150\303\251\154\154\157\040\342\200\250\040\360\237\230\200\040\355\240\200\042'
	seed fuzz_json_dec num '\000\133\060\054\055\060\054\060\056\060\054\061\105\053\062\054\061\145\055\064\060\060\054\064\056\071\145\055\063\062\064\054\061\056\067\071\067\066\071\063\061\063\064\070\066\062\063\061\065\067\145\063\060\070\054\060\061\135'
}

seeds

# one TARGET: build TARGET and run it; its report in $B/TARGET.report, and
# $B/TARGET.ok if it passed.
one() {
	t=$1
	log="$B/$t.log"
	rm -f "$B/$t.ok"
	# shellcheck disable=SC2046,SC2086
	if ! "$CC" -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE \
	    -Iinclude -Ilib -Isrc -Ishm -Itools $(pkg-config --cflags "$pc" libbsd) \
	    $(srcs "$t") "tests/fuzz/$t.c" $(pkg-config --libs "$pc") -lm \
	    $(libs "$t") \
	    -o "$B/$t" > "$B/$t.build.log" 2>&1; then
		cat "$B/$t.build.log"
		echo "FAIL: $t: build failed"
		return
	fi
	mkdir -p "$B/corpus/$t" "$B/crashes"
	extra=
	[ -d "tests/fuzz/corpus/$t" ] && extra="tests/fuzz/corpus/$t"
	echo "fuzz: $t for ${secs}s"
	# shellcheck disable=SC2086
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ASAN_OPTIONS=detect_leaks=1 \
	"$B/$t" -max_total_time="$secs" -max_len=4096 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$B/crashes/$t-" \
	    "$B/corpus/$t" $extra > "$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' \
	    "$log" | tail -n 1 | sed 's/^#\([0-9]*\)[[:space:]]*[A-Z]*[[:space:]]*/\1 runs, /')
	eps=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log")
	if [ $rc -eq 0 ]; then
		echo "PASS: $t: $stats${eps:+, $eps exec/s average}"
		: > "$B/$t.ok"
	else
		grep -E 'ERROR: |runtime error|assertion failed|SUMMARY' \
		    "$log" | head -n 8
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
		    tail -n 1)
		echo "FAIL: $t: exit $rc; input: ${art:-none written}; log: $log"
		[ -n "$art" ] && echo "      replay: $B/$t $art"
	fi
}

# The targets run $jobs at a time (each builds, then fuzzes for its own
# time on one processor; a job slot is a line in the FIFO on descriptor
# 4), fuzz_conn first: its build is the longest.  The reports are printed
# in the order of TARGETS.
mkfifo "$B/slots.$$" || exit 2
exec 4<>"$B/slots.$$"
rm -f "$B/slots.$$"
i=0
while [ "$i" -lt "$jobs" ]; do
	echo >&4
	i=$((i + 1))
done
for t in fuzz_conn $TARGETS; do
	case " $started " in
	*" $t "*) continue ;;
	esac
	started="$started $t"
	read -r _ <&4
	(
		one "$t" > "$B/$t.report" 2>&1 4>&-
		echo >&4
	) &
done
wait
pass=0
fail=0
for t in $TARGETS; do
	cat "$B/$t.report"
	if [ -f "$B/$t.ok" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
