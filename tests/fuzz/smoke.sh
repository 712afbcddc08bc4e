#!/bin/sh
# smoke.sh -- build the fuzz targets, replay each seed corpus, fuzz each briefly; one RESULT line.
#
# Run by tests/run.sh (make check).  Per target: replay every committed
# seed (regression), then fuzz for FUZZ_SMOKE_SECONDS (default 6: with
# some twenty targets, make check's budget; `make fuzz` fuzzes longer) on a
# scratch copy of the corpus.  FUZZ_SMOKE_JOBS targets (default 2) run at
# once.  A target passes when both steps end without a crash, leak or
# sanitizer report.  No clang/libFuzzer counts as failure, never a skip.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
FUZZ_LOG_TAG=smoke
export B FUZZ_LOG_TAG
secs=${FUZZ_SMOKE_SECONDS:-6}
jobs=${FUZZ_SMOKE_JOBS:-2}
FUZZ_CC=${FUZZ_CC:-clang}

targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c|\1|')
ntargets=$(echo $targets | wc -w)
start=$(date +%s)

fail_all() {
	echo "fuzz: $*"
	echo "RESULT fuzz: 0 passed, $ntargets failed"
	exit 1
}

# Can this compiler link a libFuzzer + ASan + UBSan program?
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
cat >"$probe/p.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	(void)d;
	(void)n;
	return 0;
}
EOF
hint="install clang and libclang-rt-14-dev (scripts/deps.sh test)"
command -v "$FUZZ_CC" >/dev/null 2>&1 ||
	fail_all "$FUZZ_CC not found: $hint"
"$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" \
    >"$probe/log" 2>&1 ||
	fail_all "$FUZZ_CC cannot link -fsanitize=fuzzer,address,undefined:" \
	    "$hint: $(head -n 3 "$probe/log")"

if ! make -s B="$B" FUZZ_CC="$FUZZ_CC" fuzz-build >"$probe/build" 2>&1; then
	cat "$probe/build"
	fail_all "building the targets failed"
fi

# One target: regression replay, then a short fuzz run on a scratch corpus.
run_one() {
	t=$1
	work=$B/fuzz/smoke-work/$t
	rm -rf "$work"
	{
		tests/fuzz/run-target.sh regress "$t" &&
		    tests/fuzz/run-target.sh fuzz "$t" "$secs" "$work"
	} >"$probe/$t.out" 2>&1
	echo $? >"$probe/$t.rc"
	rm -rf "$work"
}

running=0
for t in $targets; do
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

passed=0
failed=0
for t in $targets; do
	cat "$probe/$t.out"
	if [ "$(cat "$probe/$t.rc" 2>/dev/null)" = 0 ]; then
		passed=$((passed + 1))
		echo "PASS fuzz_$t"
	else
		failed=$((failed + 1))
		echo "FAIL fuzz_$t"
	fi
done
echo "fuzz smoke: $(($(date +%s) - start)) s" \
    "(${secs} s per target, $jobs at a time)"
echo "RESULT fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
