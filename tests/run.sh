#!/bin/sh
# run.sh -- run every test suite (unit, integration, fuzz smoke) and print
# one summary line "N passed, N failed".  Each suite prints lines
# "RESULT <suite>: N passed, N failed"; a suite that crashes or prints no
# RESULT line counts as one failure.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
PY=/usr/bin/python3	# Debian's python: sees python3-websockets
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
passed=0
failed=0
suites_failed=""

run_suite() {
	name=$1
	shift
	echo "== $name"
	t0=$(date +%s)
	"$@" >"$log/out" 2>&1
	rc=$?
	cat "$log/out"
	echo "== $name took $(($(date +%s) - t0)) s"
	results=$(grep -E '^RESULT .*: [0-9]+ passed, [0-9]+ failed$' "$log/out")
	if [ -z "$results" ]; then
		echo "!! $name printed no RESULT line (exit $rc)"
		failed=$((failed + 1))
		suites_failed="$suites_failed $name"
		return
	fi
	p=$(echo "$results" | awk '{ s += $(NF-3) } END { print s }')
	f=$(echo "$results" | awk '{ s += $(NF-1) } END { print s }')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $name exited $rc"
		failed=$((failed + 1))
	fi
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		suites_failed="$suites_failed $name"
	fi
}

for t in "$B"/unit/test_* "$B"/unit-asan/test_*; do
	[ -x "$t" ] && run_suite "${t#"$B"/}" "$t"
done

# valgrind is the longest suite and keeps one core busy; most other
# suites wait on sockets and timers, so it runs beside them on its own
# output file and is reported when they are done (before fuzz-smoke,
# which wants both cores).  Its tests already scale their deadlines.
vg_pid=""
if [ -f tests/integration/run.py ]; then
	( $PY tests/integration/run.py --binary "$B/wsgate" --valgrind \
	    >"$log/valgrind.out" 2>&1; echo $? >"$log/valgrind.rc";
	    date +%s >"$log/valgrind.end" ) &
	vg_pid=$!
	vg_t0=$(date +%s)
	run_suite "integration" $PY tests/integration/run.py --binary "$B/wsgate"
	run_suite "integration-asan" $PY tests/integration/run.py --binary "$B/asan/wsgate" --sanitizer
fi

run_suite "docs" tests/docs/check.sh
run_suite "install" tests/install/check.sh
run_suite "deb" tests/deb/check.sh
run_suite "docker" tests/docker/check.sh
run_suite "k8s" $PY tests/k8s/check.py --mutations --wsgate "$B/wsgate"
run_suite "lint" tests/lint.sh
run_suite "e2e" tests/e2e/run.sh

run_suite "bench-smoke" tests/bench/smoke.sh

if [ -n "$vg_pid" ]; then
	wait "$vg_pid"
	vg_took=$(($(cat "$log/valgrind.end") - vg_t0))
	run_suite "valgrind" sh -c 'cat "$1"; echo "(ran beside the suites above: '"$vg_took"' s)"; exit "$(cat "$2")"' \
	    sh "$log/valgrind.out" "$log/valgrind.rc"
fi

if [ -x tests/fuzz/smoke.sh ]; then
	run_suite "fuzz-smoke" tests/fuzz/smoke.sh
fi

[ -n "$suites_failed" ] && echo "failing suites:$suites_failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
