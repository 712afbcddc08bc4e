#!/bin/sh
# install.sh -- put the Dockerfile linter (dockerfile-utils, npm) into
# tests/docker/node_modules at the version package-lock.json pins (npm
# ci), unless it is already there: after the first time this needs no
# network.  Exits 1 with the reason when it cannot (no node/npm, no
# registry): tests/docker/check.sh then skips the lint and says why.
set -u
cd "$(dirname "$0")"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
	echo "node and npm are not installed" >&2
	exit 1
}
want=$(node -p 'require("./package-lock.json")
    .packages["node_modules/dockerfile-utils"].version')
have=$(node -p 'try {
    require("./node_modules/dockerfile-utils/package.json").version
} catch (e) { "" }')
[ "$have" = "$want" ] && exit 0
echo "docker: npm ci in tests/docker (dockerfile-utils $want)"
npm ci --no-audit --no-fund --prefer-offline >npm.log 2>&1 || {
	tail -n 5 npm.log >&2
	rm -f npm.log
	exit 1
}
rm -f npm.log
