#!/bin/sh
# check.sh -- what docker/ builds and runs, checked without a Docker
# engine (CI has none):
#  - the build stage's RUN, run here into a staging root;
#  - the image's configuration passes -t; ENTRYPOINT + CMD start the
#    staged binary in a copy of the image's tree (tests/install/in-root.sh),
#    its HEALTHCHECK command passes, STOPSIGNAL stops it with exit 0;
#  - the runtime packages provide every shared library the binary links
#    (ldd -> dpkg -S -> the RUNTIME_PACKAGES list), plus ca-certificates;
#    USER is numeric and not root;
#  - docker/compose.yaml parses (python3-yaml) and what it names exists;
#    its configurations (plain and TLS) pass -t;
#  - both Dockerfiles pass a linter (dockerfile-utils from npm, cached in
#    tests/docker/node_modules; skipped when it cannot be installed);
#  - the desktop image's entrypoint runs here (Xvfb, twm, xterm, x11vnc on
#    a spare display) and noVNC's WebSocket reaches it through wsgate on
#    the compose configuration.
# docker/README.md lists what this does not verify.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
skip() { echo "skip $*"; }
t0=$(date +%s)
PY=/usr/bin/python3
DF=docker/Dockerfile
fact() { $PY tests/docker/checks.py dockerfile "$DF" "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf --one-file-system "$tmp"' EXIT
stage=$tmp/out

# ---- the build stage's RUN, with /out and its build directory moved here
run=$(sed -n '/^FROM .* AS build$/,/^FROM /p' "$DF" |
	sed -n '/^RUN /,/[^\\]$/p' | sed 's/^RUN //; s/\\$//' | tr '\n' ' ')
run=$(echo "$run" | sed "s|=/out |=$stage |g; s| /out/| $stage/|g; s|B=build/image|B=$B/pkg|")
if echo "$run" | grep -q "DESTDIR=$stage" &&
    sh -c "$run" >"$tmp/log" 2>&1 && [ -x "$stage/usr/bin/wsgate" ]; then
	ok "the build stage's RUN (scripts/deps.sh build, make install)"
else
	echo "RUN: $run"; cat "$tmp/log"
	fail "the build stage's RUN"
fi

# ---- the image's tree: what the runtime stage copies in
img=$tmp/image
mkdir -p "$img/usr/bin" "$img/etc/wsgate"
cp "$stage/usr/bin/wsgate" "$img/usr/bin/wsgate" 2>/dev/null
cp docker/wsgate.ini "$img/etc/wsgate/wsgate.ini"
cp -r docker/routes.d "$img/etc/wsgate/routes.d"
grep -q '^COPY --from=build /out/usr/bin/wsgate /usr/bin/wsgate$' "$DF" &&
grep -q '^COPY docker/wsgate.ini /etc/wsgate/wsgate.ini$' "$DF" &&
grep -q '^COPY docker/routes.d/ /etc/wsgate/routes.d/$' "$DF" ||
	fail "the runtime stage's COPY lines changed: update this check"
if out=$("$img/usr/bin/wsgate" -t -c "$img/etc/wsgate/wsgate.ini" 2>&1); then
	ok "image configuration is valid ($out)"
else
	echo "$out"; fail "image configuration is valid"
fi

# ENTRYPOINT + CMD, HEALTHCHECK and STOPSIGNAL, as the engine runs them.
fact runtime entrypoint >"$tmp/entrypoint"
fact runtime healthcheck >"$tmp/healthcheck"
sig=$(fact runtime stopsignal)
cat >"$tmp/container.sh" <<'EOF'
set -- $(cat "$OUT/entrypoint")
chroot "$ROOT" "$@" >"$OUT/run.log" 2>&1 &
pid=$!
set -- $(cat "$OUT/healthcheck")
i=0
until chroot "$ROOT" "$@" >"$OUT/health.log" 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "HEALTHCHECK never passed:"; cat "$OUT/health.log" \
		    "$OUT/run.log"; exit 1
	fi
	sleep 0.1
done
kill -s "${SIG#SIG}" "$pid"
wait "$pid" || { echo "exit $?:"; cat "$OUT/run.log"; exit 1; }
cat "$OUT/health.log"
EOF
OUT=$tmp SIG=$sig tests/install/in-root.sh "$img" "$tmp/container.sh" \
    >"$tmp/log" 2>&1
case $? in
0) ok "ENTRYPOINT+CMD starts; HEALTHCHECK [$(tr '\n' ' ' <"$tmp/healthcheck" |
       sed 's/ $//')] passes ($(tail -n 1 "$tmp/log")); $sig: exit 0" ;;
77) skip "starting the image's command and HEALTHCHECK: unshare -mn is" \
	 "not permitted here" ;;
*) cat "$tmp/log"; fail "the image's command, HEALTHCHECK and $sig" ;;
esac
hc=$(tr '\n' ' ' <"$tmp/healthcheck")
port=$(sed -n 's/^listen = .*:\([0-9]*\)$/\1/p' docker/wsgate.ini)
hpath=$(sed -n 's/^health_path = //p' docker/wsgate.ini)
case $hc in
"/usr/bin/wsgate --probe http://127.0.0.1:$port$hpath "*)
	[ "$(fact runtime expose)" = "$port" ] &&
	ok "HEALTHCHECK probes the image's listen port $port and health_path" \
	    "$hpath with the binary itself (no shell); EXPOSE $port" ||
	fail "EXPOSE is not the listen port $port" ;;
*) fail "HEALTHCHECK [$hc] is not wsgate --probe of port $port, $hpath" ;;
esac
user=$(fact runtime user)
case $user in
0 | 0:* | root*) fail "the image runs as root ($user)" ;;
[0-9]*:[0-9]*) ok "non-root numeric USER $user" ;;
*) fail "USER $user is not numeric (Kubernetes runAsNonRoot cannot check)" ;;
esac

# ---- runtime packages against the binary's libraries
pkgs=$(fact runtime packages)
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
	ok "runtime packages ($(echo $pkgs)) cover every linked library"
else
	fail "Dockerfile runtime packages miss:$missing"
fi
echo "$pkgs" | grep -qx ca-certificates &&
	ok "runtime stage installs ca-certificates (backend_tls, system store)" ||
	fail "runtime stage lacks ca-certificates"
for f in .git build node_modules; do
	grep -qE "^(\*\*/)?$f\$" .dockerignore || lacks="${lacks:-} $f"
done
[ -z "${lacks:-}" ] && ok ".dockerignore leaves out .git, build/, node_modules" ||
	fail ".dockerignore lacks:$lacks"

# ---- compose
$PY tests/docker/checks.py compose >"$tmp/log" 2>&1
rc=$?
grep -vE '^(ok |compose: )' "$tmp/log"
[ "$rc" -eq 0 ] && ok "compose.yaml: $(tail -n 1 "$tmp/log")" ||
	fail "compose.yaml"
if [ ! -d /usr/share/novnc ]; then
	skip "compose configurations -t: /usr/share/novnc is not here" \
	    "(Debian package novnc; scripts/deps.sh e2e)"
else
	c=$tmp/compose
	cp -r docker/compose "$c"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$c/tls/privkey.pem" -out "$c/tls/fullchain.pem" -days 2 \
	    -subj /CN=localhost >/dev/null 2>&1
	chmod 600 "$c/tls/privkey.pem"
	for conf in wsgate.ini wsgate-tls.ini; do
		if out=$("$stage/usr/bin/wsgate" -t -c "$c/$conf" 2>&1); then
			ok "compose/$conf is valid ($out)"
		else
			echo "$out"; fail "compose/$conf"
		fi
	done
fi

# ---- Dockerfile lint
if out=$(tests/docker/install.sh 2>&1); then
	[ -z "$out" ] || echo "$out"
	for f in docker/Dockerfile docker/desktop/Dockerfile; do
		if out=$(tests/docker/node_modules/.bin/dockerfile-utils lint \
		    "$f" 2>&1) && [ -z "$out" ]; then
			ok "dockerfile-utils lint $f: clean"
		else
			echo "$out"; fail "dockerfile-utils lint $f"
		fi
	done
else
	skip "Dockerfile lint: dockerfile-utils (npm) is not available: $out"
fi

# ---- the desktop image's entrypoint, outside Docker
$PY tests/docker/checks.py desktop "$stage/usr/bin/wsgate" >"$tmp/log" 2>&1
rc=$?
cat "$tmp/log"
passed=$((passed + $(grep -c '^ok ' "$tmp/log")))
failed=$((failed + $(grep -c '^FAIL ' "$tmp/log")))
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || grep -q '^FAIL ' "$tmp/log" ||
	fail "desktop check exited $rc"

echo "docker checks: $(($(date +%s) - t0)) s"
echo "RESULT docker: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
