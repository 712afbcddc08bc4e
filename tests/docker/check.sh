#!/bin/sh
# check.sh -- what docker/Dockerfile does, run without a Docker engine:
# install into a staging root, validate the image's configuration with the
# installed binary, and check that the image's runtime packages provide
# every shared library the binary needs.
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

if make -s install DESTDIR="$stage" PREFIX=/usr SYSCONFDIR=/etc >"$stage.log" 2>&1 &&
   [ -x "$stage/usr/bin/wsgate" ]; then
	ok "make install into a staging root"
else
	cat "$stage.log"; fail "make install into a staging root"
fi
rm -f "$stage.log"

mkdir -p "$stage/etc/wsgate"
cp docker/wsgate.ini "$stage/etc/wsgate/wsgate.ini"
cp -r docker/routes.d "$stage/etc/wsgate/routes.d"
if out=$("$stage/usr/bin/wsgate" -t -c "$stage/etc/wsgate/wsgate.ini" 2>&1); then
	ok "image configuration is valid ($out)"
else
	echo "$out"; fail "image configuration is valid"
fi

# Runtime packages listed in the Dockerfile's final stage.
pkgs=$(sed -n '/RUNTIME_PACKAGES/,/rm -rf/p' docker/Dockerfile |
	grep -oE '\b(lib[a-z0-9.+-]+)\b' | sort -u)
missing=""
for lib in $(ldd "$stage/usr/bin/wsgate" | awk '/=>/ { print $3 }'); do
	real=$(readlink -f "$lib")
	owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null)
	owner=${owner%%:*}
	case "$owner" in
	libc6|libgcc-s1|"") continue ;;	# in debian:12-slim already
	esac
	echo "$pkgs" | grep -qx "$owner" || missing="$missing $owner"
done
if [ -z "$missing" ]; then
	ok "Dockerfile runtime packages cover every linked library"
else
	fail "Dockerfile runtime packages miss:$missing"
fi

echo "RESULT docker: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
