#!/bin/sh
# install.sh -- put playwright-core into tests/e2e/node_modules at the
# version package-lock.json pins (npm ci), unless it is already there: after
# the first time this needs no network.  Used by scripts/deps.sh e2e and by
# tests/e2e/run.sh.  Exits 1 with the reason when it cannot.
set -u
cd "$(dirname "$0")"

command -v node >/dev/null 2>&1 || {
	echo "node not found: the e2e tests need Node.js >= 20" \
	    "(Debian 12's own nodejs is 18, too old for playwright-core)" >&2
	exit 1
}
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || {
	echo "node $(node --version) is too old: playwright-core" \
	    "needs Node.js >= 20" >&2
	exit 1
}
want=$(node -p 'require("./package-lock.json")
    .packages["node_modules/playwright-core"].version')
have=$(node -p 'try {
    require("./node_modules/playwright-core/package.json").version
} catch (e) { "" }')
[ "$have" = "$want" ] && exit 0
echo "e2e: npm ci in tests/e2e (playwright-core $want)"
npm ci --no-audit --no-fund --prefer-offline
