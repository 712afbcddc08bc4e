#!/bin/sh
# run.sh -- the real-browser end-to-end suite (tests/e2e/run.mjs) against
# build/wsgate, then against build/asan/wsgate when it exists.  Installs
# playwright-core from the committed lock file the first time (install.sh);
# everything else must be installed already: scripts/deps.sh e2e.
# Prints "RESULT e2e: N passed, M failed" (and "RESULT e2e-asan: ...").
set -u
cd "$(dirname "$0")/../.."
B=$(cd "${B:-build}" 2>/dev/null && pwd) || B=$PWD/build
cd tests/e2e

fail() {
	echo "FAIL e2e: $*"
	echo "RESULT e2e: 0 passed, 1 failed"
	exit 1
}

out=$(./install.sh 2>&1) || fail "$out"
[ -z "$out" ] || echo "$out"

missing=""
for f in "${CHROMIUM:-/usr/lib/chromium/chromium}" /usr/bin/Xvfb \
    /usr/bin/x11vnc /usr/bin/xsetroot /usr/bin/xterm /usr/bin/openssl \
    "${NOVNC_DIR:-/usr/share/novnc}/vnc_lite.html"; do
	[ -e "$f" ] || missing="$missing $f"
done
[ -z "$missing" ] || fail "missing:$missing (run scripts/deps.sh e2e)"

rc=0
node run.mjs --binary "$B/wsgate" --label e2e || rc=1
if [ -x "$B/asan/wsgate" ]; then
	node run.mjs --binary "$B/asan/wsgate" --label e2e-asan || rc=1
fi
exit $rc
