#!/bin/sh
# deps.sh PC_MODULE... -- DEBIAN_PACKAGE...
# Checks that the pkg-config modules and tools the build needs are present;
# on Debian, as root, installs the missing packages with apt-get.
set -eu
mods=
while [ $# -gt 0 ] && [ "$1" != -- ]; do mods="$mods $1"; shift; done
[ $# -gt 0 ] && shift
pkgs="$*"

missing() {
	command -v pkg-config >/dev/null 2>&1 || return 0
	for m in $mods; do
		pkg-config --exists "$m" || return 0
	done
	command -v mandoc >/dev/null 2>&1 || return 0
	/usr/bin/python3 -c 'import msgpack' >/dev/null 2>&1 || return 0
	return 1
}

missing || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing $pkgs" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq $pkgs </dev/null >&2
	missing || exit 0
fi
echo "deps: missing build dependencies; on Debian: apt-get install -y $pkgs" >&2
exit 1
