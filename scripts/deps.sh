#!/bin/sh
# deps.sh -- install the Debian packages wsgate needs, skipping those present.
#   scripts/deps.sh build   compiler and libraries
#   scripts/deps.sh test    the above plus what `make check` uses
set -eu

build_pkgs="gcc make pkg-config libevent-dev libssl-dev libinih-dev"
test_pkgs="$build_pkgs clang libclang-rt-14-dev python3 python3-websockets openssl curl procps valgrind"

case "${1:-build}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	# dpkg-query prints "install ok installed" only for installed packages.
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps: need root (or sudo) to run: apt-get install$missing" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet.
$sudo apt-get install -y --no-install-recommends $missing ||
	{ $sudo apt-get update && $sudo apt-get install -y --no-install-recommends $missing; }
