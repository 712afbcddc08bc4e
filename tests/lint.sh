#!/bin/sh
# lint.sh -- static analysis of the C sources with cppcheck, the check
# that log lines print client strings only escaped (tests/log_sources.py),
# and the one that src/ has no include cycle and its pure modules no
# libevent header (tests/include_graph.py); any finding fails.  Prints
# "RESULT lint: N passed, M failed".
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0

if ! command -v cppcheck >/dev/null 2>&1; then
	echo "lint: cppcheck is not installed (scripts/deps.sh test installs it)"
	failed=$((failed + 1))
else
	out=$(cppcheck --quiet --error-exitcode=1 \
		--enable=warning,performance,portability --std=c11 \
		-D_GNU_SOURCE -Isrc --suppress=missingIncludeSystem \
		--inline-suppr src/*.c tools/*.c tools/bench/*.c 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out"
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		echo "ok   cppcheck: no findings in src/ and tools/"
		passed=$((passed + 1))
	else
		echo "FAIL cppcheck"
		failed=$((failed + 1))
	fi
fi

# A Python check counts as one; its own RESULT line is left out, since
# this suite reports one.
check_py() {
	what=$1
	shift
	out=$(/usr/bin/python3 "$@" 2>&1)
	rc=$?
	echo "$out" | grep -v '^RESULT '
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		echo "FAIL $what"
		failed=$((failed + 1))
	fi
}

check_py "log sources" tests/log_sources.py
check_py "include graph" tests/include_graph.py

echo "RESULT lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
