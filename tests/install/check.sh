#!/bin/sh
# check.sh -- make install and make uninstall, the systemd unit, and make's
# check for missing build packages.  Prints "RESULT install: N passed, M
# failed".
#
#  - `make` without a build package names it and `make deps` (fake
#    pkg-config and dpkg-query), before any compiler runs;
#  - `make install DESTDIR=... PREFIX=/usr SYSCONFDIR=/etc` installs
#    exactly the expected files, and the binary starts with no argument on
#    the installed default configuration, run inside the installed tree
#    (in-root.sh: private mount and network namespaces; skipped where
#    unshare is not permitted);
#  - wsgate.service passes `systemd-analyze verify` and scores at most 2.0
#    in `systemd-analyze security --offline` (skipped without systemd);
#  - an install under another PREFIX compiles in and writes that prefix's
#    paths; a second install keeps a changed configuration; uninstall
#    removes everything but the configuration someone changed.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
# The package layout build, shared with tests/docker/check.sh.
PKG_B=$B/pkg
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
skip() { echo "skip $*"; }
t0=$(date +%s)

tmp=$(mktemp -d)
# --one-file-system: never follow into anything mounted (in-root.sh's
# mounts live in a namespace of their own and are gone by then).
trap 'rm -rf --one-file-system "$tmp"' EXIT

# ---- make, with a build package missing
mkdir -p "$tmp/fakebin"
cat >"$tmp/fakebin/pkg-config" <<'EOF'
#!/bin/sh
for a in "$@"; do [ "$a" = inih ] && exit 1; done
exec /usr/bin/pkg-config "$@"
EOF
cat >"$tmp/fakebin/dpkg-query" <<'EOF'
#!/bin/sh
for a in "$@"; do [ "$a" = libinih-dev ] && exit 1; done
exec /usr/bin/dpkg-query "$@"
EOF
chmod +x "$tmp/fakebin/pkg-config" "$tmp/fakebin/dpkg-query"
out=$(PATH="$tmp/fakebin:$PATH" make B="$tmp/b-missing" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] &&
    echo "$out" | grep -q "missing Debian packages: libinih-dev" &&
    echo "$out" | grep -q "make deps" &&
    ! echo "$out" | grep -qE "fatal error|ini\.h" &&
    [ ! -e "$tmp/b-missing/wsgate" ]; then
	ok "make without libinih-dev names it and 'make deps', no compiler error"
else
	echo "$out"
	fail "make without libinih-dev (exit $rc)"
fi

# ---- make install, package layout
root=$tmp/root
if make -s install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    B="$PKG_B" >"$tmp/log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr SYSCONFDIR=/etc"
else
	cat "$tmp/log"
	fail "make install DESTDIR=... PREFIX=/usr SYSCONFDIR=/etc"
fi
want="etc/wsgate/routes.d/vnc.ini
etc/wsgate/wsgate.ini
usr/bin/wsgate
usr/lib/systemd/system/wsgate.service
usr/lib/sysusers.d/wsgate.conf
usr/share/doc/wsgate/README.md
usr/share/doc/wsgate/examples/novnc-tokens.ini
usr/share/doc/wsgate/examples/novnc-tokens.pem
usr/share/doc/wsgate/examples/novnc-tokens.txt
usr/share/doc/wsgate/examples/novnc.ini
usr/share/doc/wsgate/examples/routes.d/vnc.ini
usr/share/doc/wsgate/examples/tls.ini.example
usr/share/doc/wsgate/examples/wsgate.ini
usr/share/man/man5/wsgate.ini.5
usr/share/man/man8/wsgate.8
usr/share/wsgate/web/index.html"
have=$(cd "$root" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
if [ "$have" = "$want" ]; then
	ok "installed files: binary, 2 man pages, default configuration," \
	    "examples, demo page, systemd unit, sysusers.d"
else
	echo "installed:"; echo "$have"; echo "expected:"; echo "$want"
	fail "installed files"
fi
if grep -q '^web_root = /usr/share/wsgate/web$' "$root/etc/wsgate/wsgate.ini"
then
	ok "default configuration serves the installed demo page"
else
	fail "default configuration's web_root"
fi

# The installed binary, on the installed configuration, in the installed
# tree: -t, then a start with no argument at all.
OUT=$tmp tests/install/in-root.sh "$root" tests/install/start-installed.sh \
    >"$tmp/log" 2>&1
case $? in
0) ok "the installed wsgate, with no argument, starts on the installed" \
       "configuration: /healthz and the demo page answer 200, SIGTERM" \
       "exits 0" ;;
77) skip "starting the installed wsgate in its tree: unshare -mn is not" \
	 "permitted here (needs CAP_SYS_ADMIN)"
   tests/install/check-paths.sh "$root" && ok "wsgate -t on the installed" \
       "configuration, its paths under DESTDIR" ||
       fail "wsgate -t on the installed configuration" ;;
*) cat "$tmp/log"; fail "the installed wsgate starts on its configuration" ;;
esac

# ---- the systemd unit
unit=$root/usr/lib/systemd/system/wsgate.service
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze: not installed (Debian package systemd)"
else
	# verify checks that ExecStart's programs exist and `man` finds the
	# Documentation= pages: point both into the installed tree.
	sed -e "s|/usr/bin/wsgate|$root/usr/bin/wsgate|g" \
	    -e "s|/etc/wsgate|$root/etc/wsgate|g" "$unit" >"$tmp/wsgate.service"
	if out=$(MANPATH=$root/usr/share/man systemd-analyze verify \
	    "$tmp/wsgate.service" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify wsgate.service: clean"
	else
		echo "$out"
		fail "systemd-analyze verify wsgate.service"
	fi
	out=$(systemd-analyze security --offline=true --threshold=20 \
	    "$tmp/wsgate.service" 2>&1)
	rc=$?
	level=$(echo "$out" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	if [ "$rc" -eq 0 ] && [ -n "$level" ]; then
		ok "systemd-analyze security --offline: exposure $level" \
		    "(at most 2.0)"
	else
		echo "$out" | grep -E '✗|Overall'
		fail "systemd-analyze security: exposure ${level:-?} above 2.0"
	fi
fi
for want in '^Type=notify$' '^ExecReload=/bin/kill -HUP \$MAINPID$' \
    '^AmbientCapabilities=CAP_NET_BIND_SERVICE$' '^ProtectSystem=strict$' \
    '^NoNewPrivileges=yes$' '^PrivateTmp=yes$' '^LimitNOFILE=131072$' \
    '^User=_wsgate$'; do
	grep -q "$want" "$unit" || lacks="${lacks:-} $want"
done
grep -q '^u _wsgate ' "$root/usr/lib/sysusers.d/wsgate.conf" ||
	lacks="${lacks:-} sysusers.d:_wsgate"
if [ -z "${lacks:-}" ]; then
	ok "wsgate.service: Type=notify, SIGHUP reload, hardening, its user"
else
	fail "wsgate.service lacks:$lacks"
fi
# SIGTERM: wsgate exits at most drain_timeout + 2 x close_timeout + 1 s
# later (README "Shutdown"): systemd's SIGKILL must not come first.
drain=$(sed -n 's/^drain_timeout *= *\([0-9]*\)s\{0,1\} *$/\1/p' \
    "$root/etc/wsgate/wsgate.ini" | tail -n 1)
close=$(cat "$root/etc/wsgate/wsgate.ini" "$root"/etc/wsgate/routes.d/*.ini \
    2>/dev/null | sed -n 's/^close_timeout *= *\([0-9]*\)s\{0,1\} *$/\1/p' |
    sort -n | tail -n 1)
need=$((${drain:-30} + 2 * ${close:-5} + 1))
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
if [ -n "$stop" ] && [ "$stop" -gt "$need" ]; then
	ok "wsgate.service: TimeoutStopSec=${stop}s is above the installed" \
	    "drain_timeout + 2 x close_timeout + 1 s (${need} s)"
else
	fail "wsgate.service: TimeoutStopSec=${stop:-?}s is not above the" \
	    "installed drain_timeout + 2 x close_timeout + 1 s (${need} s)"
fi

if make -s uninstall DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    >"$tmp/log" 2>&1 && [ -z "$(find "$root" -type f)" ]; then
	ok "make uninstall removes every file of an unchanged install"
else
	cat "$tmp/log"; find "$root" -type f
	fail "make uninstall DESTDIR=... PREFIX=/usr SYSCONFDIR=/etc"
fi

# ---- another prefix, no DESTDIR: what a user's make install does
p=$tmp/prefix
dirs="PREFIX=$p B=$tmp/b-prefix"
if make -s install $dirs >"$tmp/log" 2>&1 &&
    out=$("$p/bin/wsgate" -t 2>&1) &&
    echo "$out" | grep -q "$p/etc/wsgate/wsgate.ini: configuration OK" &&
    grep -q "^ExecStart=$p/bin/wsgate -c $p/etc/wsgate/wsgate.ini$" \
	"$p/lib/systemd/system/wsgate.service" &&
    grep -q "^\.It Pa $p/etc/wsgate/wsgate.ini$" "$p/share/man/man8/wsgate.8" &&
    grep -q "^web_root = $p/share/wsgate/web$" "$p/etc/wsgate/wsgate.ini"
then
	ok "make install PREFIX=...: wsgate -t with no -c finds" \
	    "PREFIX/etc/wsgate/wsgate.ini; unit and man pages name PREFIX"
else
	cat "$tmp/log"; echo "${out:-}"
	fail "make install PREFIX=..."
fi
mv "$p/etc/wsgate/wsgate.ini" "$tmp/saved.ini"
out=$("$p/bin/wsgate" 2>&1)
rc=$?
mv "$tmp/saved.ini" "$p/etc/wsgate/wsgate.ini"
if [ "$rc" -eq 1 ] &&
    echo "$out" | grep -q "no configuration file at $p/etc/wsgate/wsgate.ini" &&
    echo "$out" | grep -q -- "-c FILE" &&
    echo "$out" | grep -q "Commented examples: $p/share/doc/wsgate/examples/" &&
    [ -f "$p/share/doc/wsgate/examples/wsgate.ini" ] &&
    "$p/bin/wsgate" -t -c "$p/share/doc/wsgate/examples/wsgate.ini" \
	>/dev/null 2>&1; then
	ok "without its configuration the installed wsgate names where it" \
	    "looked, -c FILE and the examples, whose wsgate.ini passes -t"
else
	echo "$out"
	fail "the installed wsgate without a configuration"
fi

echo "; changed by the administrator" >>"$p/etc/wsgate/routes.d/vnc.ini"
cp "$p/etc/wsgate/routes.d/vnc.ini" "$tmp/changed.ini"
if out=$(make -s install $dirs 2>&1) &&
    echo "$out" | grep -q "keeping $p/etc/wsgate/routes.d/vnc.ini" &&
    echo "$out" | grep -q "keeping $p/etc/wsgate/wsgate.ini" &&
    cmp -s "$tmp/changed.ini" "$p/etc/wsgate/routes.d/vnc.ini"; then
	ok "make install again keeps the existing configuration files"
else
	echo "$out"
	fail "make install again overwrote the configuration"
fi
out=$(make -s uninstall $dirs 2>&1)
left=$(cd "$p" && find . -type f | sed 's|^\./||')
if [ "$left" = "etc/wsgate/routes.d/vnc.ini" ] &&
    cmp -s "$tmp/changed.ini" "$p/etc/wsgate/routes.d/vnc.ini" &&
    echo "$out" | grep -q "keeping $p/etc/wsgate/routes.d/vnc.ini (changed"
then
	ok "make uninstall keeps the changed configuration file, removes" \
	    "the rest"
else
	echo "$out"; echo "left: $left"
	fail "make uninstall with a changed configuration"
fi

echo "install checks: $(($(date +%s) - t0)) s"
echo "RESULT install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
