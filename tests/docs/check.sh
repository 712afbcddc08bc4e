#!/bin/sh
# check.sh -- the manual pages: clean under `mandoc -T lint` (Debian's
# mandoc), and wsgate.ini(5) in step with the keys src/config.c knows
# (man_keys.py), wsgate(8) and the README with cli.c's options
# (man_options.py); the README's noVNC configuration is etc/novnc.ini.
# Prints "RESULT docs: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

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

# Every long option of the command line is in wsgate(8) and the README.
out=$(/usr/bin/python3 tests/docs/man_options.py 2>&1)
rc=$?
echo "$out" | grep -v '^RESULT '
if [ "$rc" -eq 0 ]; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi

# The README's noVNC configuration is etc/novnc.ini, word for word (make
# e2e runs it; this says so without a browser).
if /usr/bin/python3 - <<'PY'
import re, sys
md = open("README.md").read()
m = re.search(r"<!-- e2e: novnc\.ini .*-->\n```ini\n([^`]*)```", md)
sys.exit(0 if m and m.group(1) == open("etc/novnc.ini").read() else 1)
PY
then
	ok "README.md's novnc.ini block is etc/novnc.ini"
else
	fail "README.md's novnc.ini block differs from etc/novnc.ini" \
	    "(or is missing): make them the same"
fi

echo "RESULT docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
