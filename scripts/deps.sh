#!/bin/sh
# deps.sh -- install the Debian packages wsgate needs, skipping those present.
#   scripts/deps.sh build   compiler and libraries
#   scripts/deps.sh test    the above plus what `make check` uses
#   scripts/deps.sh e2e     what the browser tests (tests/e2e) and the
#                           desktop check (tests/docker) use: Debian's
#                           Chromium, Xvfb, x11vnc, noVNC, xterm, twm; then
#                           playwright-core from tests/e2e/package-lock.json
#   scripts/deps.sh check   install nothing: exit 1 saying which build
#                           packages are missing and how to install them
#                           (make runs it before compiling)
set -eu

build_pkgs="gcc make pkg-config libevent-dev libssl-dev libinih-dev libcrypt-dev libnghttp2-dev"
# mandoc: man page lint; dpkg-dev, debhelper, lintian: the .deb
# (tests/deb); python3-yaml: the compose file (tests/docker) and the
# Kubernetes manifests (tests/k8s);
# python3-prometheus-client: a strict reader of /metrics
# (tests/integration/test_ops_formats.py); python3-h2: the HTTP/2
# client of tests/integration/test_h2*.py.
test_pkgs="$build_pkgs clang libclang-rt-14-dev python3 python3-websockets websockify openssl whois curl procps valgrind cppcheck haproxy mandoc dpkg-dev debhelper lintian python3-yaml python3-prometheus-client python3-h2"
# Tried one by one after the others; a failure skips their checks only.
# systemd: systemd-analyze verify/security of wsgate.service (no systemd
# needs to run).
test_optional="systemd"
# --no-install-recommends below matters: chromium's recommends are ~115
# packages the headless tests never use.
e2e_pkgs="chromium xvfb x11vnc novnc x11-xserver-utils xterm openssl twm"

# The libraries as the Makefile asks pkg-config for them.
pc_modules="libevent libevent_pthreads libevent_openssl openssl inih libcrypt libnghttp2"

# "check": quick when everything is there (no dpkg), else a message that
# replaces the compiler's "fatal error: ini.h: No such file or directory".
check() {
	cc=${CC:-cc}
	if command -v "$cc" >/dev/null 2>&1 &&
	    command -v pkg-config >/dev/null 2>&1 &&
	    pkg-config --exists $pc_modules; then
		return 0
	fi
	missing=""
	if command -v dpkg-query >/dev/null 2>&1; then
		for p in $build_pkgs; do
			dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			    grep -q "ok installed" || missing="$missing $p"
		done
	fi
	if [ -n "$missing" ]; then
		echo "wsgate: cannot build yet: missing Debian packages:$missing" >&2
		echo "  Install them with: make deps (or scripts/deps.sh build," \
		    "which runs apt-get install$missing, with sudo when not" \
		    "root)" >&2
		return 1
	fi
	# Not Debian, or installed yet not found: say what the build needs.
	echo "wsgate: cannot build yet: the build needs a C compiler ($cc)," \
	    "pkg-config and these pkg-config modules: $pc_modules" >&2
	command -v "$cc" >/dev/null 2>&1 || echo "  not found: $cc" >&2
	if command -v pkg-config >/dev/null 2>&1; then
		for m in $pc_modules; do
			pkg-config --exists "$m" ||
			    echo "  not found by pkg-config: $m" >&2
		done
	else
		echo "  not found: pkg-config" >&2
	fi
	echo "  On Debian or Ubuntu: make deps (scripts/deps.sh build)." >&2
	return 1
}

case "${1:-build}" in
check) check; exit $? ;;
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
e2e) want=$e2e_pkgs ;;
*) echo "usage: $0 build|test|e2e|check" >&2; exit 2 ;;
esac

# playwright-core (npm) for the e2e tests, at the version the committed
# lock file pins; nothing to do once it is there.
npm_e2e() {
	[ "$1" = e2e ] || return 0
	"$(dirname "$0")/../tests/e2e/install.sh"
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

# The optional test packages, each on its own: one that does not install
# (a container without what systemd needs) leaves its checks to skip.
optional() {
	[ "$1" = test ] || return 0
	for p in $test_optional; do
		installed "$p" && continue
		echo "deps: installing (optional): $p"
		$sudo apt-get install -y --no-install-recommends "$p" ||
		    echo "deps: $p did not install; the checks that need it" \
			"will say so and skip"
	done
}

missing=""
for p in $want; do
	# dpkg-query prints "install ok installed" only for installed packages.
	installed "$p" || missing="$missing $p"
done
opt_missing=""
if [ "${1:-build}" = test ]; then
	for p in $test_optional; do
		installed "$p" || opt_missing="$opt_missing $p"
	done
fi
if [ -z "$missing$opt_missing" ]; then
	npm_e2e "${1:-build}"
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps: need root (or sudo) to run: apt-get install$missing" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	# A fresh machine may have no package lists yet.
	$sudo apt-get install -y --no-install-recommends $missing ||
		{ $sudo apt-get update && $sudo apt-get install -y --no-install-recommends $missing; }
fi
optional "${1:-build}"
npm_e2e "${1:-build}"
