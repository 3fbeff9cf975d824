#!/bin/sh
# client_install.sh -- `make install DESTDIR=...` puts libforkpool, its
# header, its pkg-config file and forkpool(3) where they belong, and a
# program built with nothing but `pkg-config --cflags --libs forkpool`
# against that tree (PKG_CONFIG_SYSROOT_DIR, as for any staged install)
# connects with fp_client_connect and calls the daemon.  So do the
# complete programs of EXAMPLES in the installed forkpool(3): the call of
# echo, the epoll and the libuv walk-throughs, built as the page says.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FP_BUILD:-$(dirname "$FORKPOOLD")}
san=
case ${build%/} in
*/build-san)	san=SANITIZE=1 ;;
*/build)	;;
*)		fp_fail "unknown build directory $build" ;;
esac
FP_CMD_TIMEOUT=120	# make finds everything built: it only installs

dest=$T/dest
# A make above this test must not lend its job server or flags.
fp_run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" \
    --no-print-directory $san PREFIX=/usr/local DESTDIR="$dest" install
assert_status 0 "make install"
for f in include/forkpool.h lib/libforkpool.a lib/pkgconfig/forkpool.pc \
    share/man/man3/forkpool.3 bin/forkpool sbin/forkpoold \
    include/forkpool_plugin.h lib/forkpool/aggregate.so; do
	if [ ! -s "$dest/usr/local/$f" ]; then
		fp_fail "make install did not install /usr/local/$f"
	fi
done

# The system's own packages (msgpack, libuv) are not in the staged tree.
fp_run env PKG_CONFIG_PATH="$dest/usr/local/lib/pkgconfig" \
    PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs forkpool
assert_status 0 "pkg-config forkpool"
flags=$(cat "$T/out")
case $flags in
*"-I$dest/usr/local/include"*"-L$dest/usr/local/lib -lforkpool"*) ;;
*)	fp_fail "pkg-config --cflags --libs forkpool: $flags" ;;
esac

cat >"$T/hello.c" <<'C'
#include <stdio.h>

#include <forkpool.h>

int
main(int argc, char *argv[])
{
	struct fp_client	*c;
	struct fp_result	 res;
	char			 err[256];

	if ((c = fp_client_connect(argv[1], err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 3;
	}
	if (fp_client_call(c, "forkpool.ping", NULL, 0, &res, 10000, err,
	    sizeof(err)) != 0 || res.error != FP_OK || res.len < 1) {
		fprintf(stderr, "ping failed: %s %s\n", err, res.code);
		return 1;
	}
	/* "pong", a fixstr. */
	printf("%.*s\n", (int)res.len - 1, (const char *)res.data + 1);
	fp_client_close(c);
	return 0;
}
C
# A sanitizer build of the library needs the sanitizer runtime.
sanflags=
if [ -n "$san" ]; then
	sanflags="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2086
fp_run cc $sanflags -Wall -Werror -o "$T/hello" "$T/hello.c" $flags
assert_status 0 "cc hello.c \$(pkg-config --cflags --libs forkpool)"

# The programs of EXAMPLES: the displays that start with #include and
# have a main(), with roff's \e unescaped.
mkdir "$T/ex"
awk -v dir="$T/ex" '
/^\.Bd -literal/	{ inb = 1; n = 0; next }
/^\.Ed/		{ if (f != "") close(f); inb = 0; f = ""; next }
inb {
	if (n++ == 0 && /^#include/)
		f = dir "/ex" ++k ".c"
	if (f != "") {
		gsub(/\\e/, "\\")
		print >f
	}
}' "$dest/usr/local/share/man/man3/forkpool.3"
nex=0
progs=
for src in "$T"/ex/ex*.c; do
	if [ ! -f "$src" ] || ! grep -q '^main(' "$src"; then
		continue
	fi
	nex=$((nex + 1))
	# What it needs besides libforkpool, and what it prints.
	if grep -q '^#include <uv.h>' "$src"; then
		more=libuv want=loop
	elif grep -q '^#include <msgpack.h>' "$src"; then
		more=msgpack want=hi
	else
		more='' want=loop
	fi
	extra=
	if [ -n "$more" ]; then
		fp_run pkg-config --cflags --libs "$more"
		assert_status 0 "pkg-config $more"
		extra=$(cat "$T/out")
	fi
	# shellcheck disable=SC2086
	fp_run cc $sanflags -Wall -Werror -o "${src%.c}" "$src" $flags $extra
	assert_status 0 "forkpool(3) example $nex does not build"
	progs="$progs ${src%.c}:$want"
done
assert_eq 3 "$nex" "complete client programs in forkpool(3)"

fp_start -w 2
fp_run "$T/hello" "$FP_SOCK"
assert_status 0 "hello"
assert_out pong "hello"
# They use the default socket: FORKPOOL_SOCKET, this test's.
for pw in $progs; do
	prog=${pw%%:*}
	case ${pw#*:} in
	hi)	want='"hi"' ;;
	*)	want="100 completions" ;;
	esac
	fp_run "$prog"
	assert_status 0 "forkpool(3) example ${prog##*/}"
	assert_out "$want" "forkpool(3) example ${prog##*/}"
done
fp_stop_clean
