#!/bin/sh
# lint.sh -- static analysis of the C sources with cppcheck; any finding
# fails.  Prints "RESULT lint: N passed, M failed".
set -u
cd "$(dirname "$0")/.."
if ! command -v cppcheck >/dev/null 2>&1; then
	echo "lint: cppcheck is not installed (scripts/deps.sh test installs it)"
	echo "RESULT lint: 0 passed, 1 failed"
	exit 1
fi
out=$(cppcheck --quiet --error-exitcode=1 \
	--enable=warning,performance,portability --std=c11 -D_GNU_SOURCE \
	-Isrc --suppress=missingIncludeSystem --inline-suppr \
	src/*.c tools/*.c tools/bench/*.c 2>&1)
rc=$?
[ -n "$out" ] && echo "$out"
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
	echo "ok   cppcheck: no findings in src/ and tools/"
	echo "RESULT lint: 1 passed, 0 failed"
else
	echo "FAIL cppcheck"
	echo "RESULT lint: 0 passed, 1 failed"
	exit 1
fi
