#!/bin/sh
# deps.sh -- install the Debian packages wsgate needs, skipping those present.
#   scripts/deps.sh build   compiler and libraries
#   scripts/deps.sh test    the above plus what `make check` uses
#   scripts/deps.sh e2e     what the browser tests (tests/e2e) use: Debian's
#                           Chromium, Xvfb, x11vnc, noVNC, xterm; then
#                           playwright-core from tests/e2e/package-lock.json
set -eu

build_pkgs="gcc make pkg-config libevent-dev libssl-dev libinih-dev libcrypt-dev"
test_pkgs="$build_pkgs clang libclang-rt-14-dev python3 python3-websockets openssl curl procps valgrind cppcheck haproxy"
# --no-install-recommends below matters: chromium's recommends are ~115
# packages the headless tests never use.
e2e_pkgs="chromium xvfb x11vnc novnc x11-xserver-utils xterm openssl"

case "${1:-build}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
e2e) want=$e2e_pkgs ;;
*) echo "usage: $0 build|test|e2e" >&2; exit 2 ;;
esac

# playwright-core (npm) for the e2e tests, at the version the committed
# lock file pins; nothing to do once it is there.
npm_e2e() {
	[ "$1" = e2e ] || return 0
	"$(dirname "$0")/../tests/e2e/install.sh"
}

missing=""
for p in $want; do
	# dpkg-query prints "install ok installed" only for installed packages.
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	npm_e2e "${1:-build}"
	exit 0
fi

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
npm_e2e "${1:-build}"
