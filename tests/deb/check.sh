#!/bin/sh
# check.sh -- the Debian package: dpkg-buildpackage -us -uc -b on a copy of
# the tree (no test run: debian/rules skips it), lintian clean (no error
# or warning), the contents and maintainer scripts the issue asks for,
# then the package unpacked into a throwaway root (dpkg -x): its wsgate -t
# on its configuration, and a start there (tests/install/in-root.sh).
# Prints "RESULT deb: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
skip() { echo "skip $*"; }
result() {
	echo "RESULT deb: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
t0=$(date +%s)

missing=""
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
	fail "not installed:$missing (scripts/deps.sh test installs dpkg-dev," \
	    "debhelper and lintian)"
	result
fi

tmp=$(mktemp -d)
trap 'rm -rf --one-file-system "$tmp"' EXIT
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
src=$tmp/wsgate-$version
mkdir -p "$src"
# The tree as committed plus uncommitted changes, without build/ and other
# ignored files (node_modules, test artifacts).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -z |
	    tar --null -T - -cf - | tar -x -C "$src"
else
	tar --exclude=./build --exclude=./.git --exclude='*/node_modules' \
	    -cf - . | tar -x -C "$src"
fi

b0=$(date +%s)
if (cd "$src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" \
    dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b: $(cd "$tmp" && ls ./*.deb |
	    sed 's|^\./||') in $(($(date +%s) - b0)) s"
else
	tail -n 40 "$tmp/build.log"
	fail "dpkg-buildpackage -us -uc -b"
	result
fi
arch=$(dpkg --print-architecture)
deb=$tmp/wsgate_${version}_$arch.deb

# lintian warns when run as root; that is not a finding.
out=$(lintian --fail-on error,warning "$deb" 2>&1)
rc=$?
tags=$(echo "$out" | grep -v 'running with root privileges')
if [ "$rc" -eq 0 ] && ! echo "$tags" | grep -qE '^[EW]: '; then
	ok "lintian: no error or warning"
else
	echo "$tags"
	fail "lintian $(basename "$deb")"
fi
[ -z "$tags" ] || echo "$tags" | sed 's/^/     /'

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./||' >"$tmp/files"
lacks=""
for f in usr/bin/wsgate usr/share/man/man8/wsgate.8.gz \
    usr/share/man/man5/wsgate.ini.5.gz lib/systemd/system/wsgate.service \
    usr/lib/sysusers.d/wsgate.conf etc/wsgate/wsgate.ini \
    etc/wsgate/routes.d/vnc.ini usr/share/wsgate/web/index.html \
    usr/share/doc/wsgate/examples/wsgate.ini; do
	grep -qx "$f" "$tmp/files" || lacks="$lacks $f"
done
dpkg-deb -e "$deb" "$tmp/control"
conffiles=$(cat "$tmp/control/conffiles" 2>/dev/null)
[ "$conffiles" = "/etc/wsgate/routes.d/vnc.ini
/etc/wsgate/wsgate.ini" ] || lacks="$lacks conffiles($conffiles)"
if [ -z "$lacks" ]; then
	ok "contents: binary, man pages, unit, sysusers.d, demo page," \
	    "configuration as conffiles"
else
	fail "package lacks:$lacks"
fi

# Enabled on a fresh install, not started; the system user created first.
post=$tmp/control/postinst
if grep -q "systemd-sysusers.* wsgate.conf" "$post" &&
    grep -q "deb-systemd-helper enable 'wsgate.service'" "$post" &&
    ! grep -qE "deb-systemd-invoke (start|restart) " "$post" &&
    [ "$(grep -n 'systemd-sysusers' "$post" | cut -d: -f1)" -lt \
      "$(grep -n 'deb-systemd-helper enable' "$post" | cut -d: -f1)" ] &&
    grep -q 'deb-systemd-invoke try-restart wsgate.service' "$post"; then
	ok "postinst: creates _wsgate, enables wsgate.service, does not" \
	    "start it (restarts a running one on upgrade only)"
else
	cat "$post"
	fail "postinst: user, enable, no start"
fi

root=$tmp/root
mkdir -p "$root"
dpkg -x "$deb" "$root"
OUT=$tmp tests/install/in-root.sh "$root" tests/install/start-installed.sh \
    >"$tmp/log" 2>&1
case $? in
0) ok "dpkg -x: $(tail -n 1 "$tmp/log" | sed 's/^wsgate: //'); the" \
       "installed wsgate starts on it with no argument and answers" \
       "/healthz" ;;
77) skip "starting the unpacked wsgate in its tree: unshare -mn is not" \
	 "permitted here"
   if out=$(tests/install/check-paths.sh "$root" 2>&1); then
	ok "dpkg -x: wsgate -t on the installed configuration: $out"
   else
	echo "$out"; fail "dpkg -x: wsgate -t on the installed configuration"
   fi ;;
*) cat "$tmp/log"; fail "dpkg -x: the installed wsgate on its configuration" ;;
esac

echo "deb checks: $(($(date +%s) - t0)) s"
result
