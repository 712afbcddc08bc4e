#!/bin/sh
# check.sh -- the manual pages: clean under `mandoc -T lint` (Debian's
# mandoc), and wsgate.ini(5) in step with the keys src/config.c knows
# (man_keys.py).  Prints "RESULT docs: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

if ! command -v mandoc >/dev/null 2>&1; then
	fail "mandoc is not installed (scripts/deps.sh test installs it)"
else
	for page in man/wsgate.8 man/wsgate.ini.5; do
		# Everything down to style level, but for what depends on the
		# manuals this machine has ("referenced manual not found",
		# its mandoc.db).
		out=$(mandoc -T lint -W style "$page" 2>&1 |
		    grep -vE 'referenced manual not found|mandoc\.db')
		if [ -z "$out" ]; then
			ok "mandoc -T lint: $page is clean"
		else
			echo "$out"
			fail "mandoc -T lint: $page"
		fi
	done
fi

out=$(/usr/bin/python3 tests/docs/man_keys.py 2>&1)
rc=$?
echo "$out" | grep -v '^RESULT '
if [ "$rc" -eq 0 ]; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi

echo "RESULT docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
