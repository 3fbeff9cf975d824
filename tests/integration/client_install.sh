#!/bin/sh
# client_install.sh -- `make install DESTDIR=...` puts libforkpool, its
# header, its pkg-config file and forkpool(3) where they belong, and a
# program built with nothing but `pkg-config --cflags --libs forkpool`
# against that tree (PKG_CONFIG_SYSROOT_DIR, as for any staged install)
# connects with fp_client_connect and calls the daemon.
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
    share/man/man3/forkpool.3 bin/forkpool sbin/forkpoold; do
	if [ ! -s "$dest/usr/local/$f" ]; then
		fp_fail "make install did not install /usr/local/$f"
	fi
done

PKG_CONFIG_PATH=$dest/usr/local/lib/pkgconfig
PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
fp_run pkg-config --cflags --libs forkpool
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

fp_start -w 1
fp_run "$T/hello" "$FP_SOCK"
assert_status 0 "hello"
assert_out pong "hello"
fp_stop_clean
