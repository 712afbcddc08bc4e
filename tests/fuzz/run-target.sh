#!/bin/sh
# run-target.sh -- run one libFuzzer target: replay its seed corpus, or fuzz it for a while.
#
#   tests/fuzz/run-target.sh regress NAME
#	run build/fuzz/fuzz_NAME once on every file in tests/fuzz/corpus/NAME
#   tests/fuzz/run-target.sh fuzz NAME SECONDS WORKDIR
#	copy the seed corpus into WORKDIR (kept between runs: it grows) and
#	fuzz for SECONDS with the target's dictionary
#
# Exits 0 when the target ran clean; otherwise prints the end of the log
# (and where the crashing input was saved) and exits 1.  Logs go to
# $B/fuzz/logs/.  The last line is a summary with runs, exec/s and
# coverage.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}

mode=${1:-}
name=${2:-}
bin=$B/fuzz/fuzz_$name
seeds=tests/fuzz/corpus/$name
dict=tests/fuzz/$name.dict

usage() {
	echo "usage: $0 regress NAME | fuzz NAME SECONDS WORKDIR" >&2
	exit 2
}
[ -n "$name" ] || usage
if [ ! -x "$bin" ]; then
	echo "fuzz $name: $bin is missing (make fuzz-build)"
	exit 1
fi

# Longest input worth mutating: a few frames, a large request, a config;
# a PROXY header just over its 4096-byte bound.
case $name in
origin) max_len=1024 ;;
proxy_proto) max_len=4200 ;;
jwt) max_len=9000 ;;	# JWT_MAX is 8192
*) max_len=4096 ;;
esac

# A smaller ASan quarantine keeps RSS near 100 MB instead of near 1 GB on
# this shared machine; leaks are fatal; UBSan stops at the first report.
asan=quarantine_size_mb=32:detect_leaks=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-$asan}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mkdir -p "$B/fuzz/logs" "$B/fuzz/artifacts/$name"
# FUZZ_LOG_TAG keeps a smoke run from sharing a log with a long run.
log=$B/fuzz/logs/$name-$mode${FUZZ_LOG_TAG:+-$FUZZ_LOG_TAG}.log
common="-rss_limit_mb=2048 -timeout=10"
common="$common -artifact_prefix=$B/fuzz/artifacts/$name/"

# A report is a failure even if the exit status were to miss it.
check_log() {
	rc=$1
	reports='^(==[0-9]+==)?ERROR: |^SUMMARY: |runtime error: '
	reports="$reports|property failed|^INFO: a leak"
	if [ "$rc" -ne 0 ] || grep -qE "$reports" "$log"; then
		echo "fuzz $name ($mode): FAILED (exit $rc), end of $log:"
		tail -n 40 "$log" | sed 's/^/    /'
		grep -E 'Test unit written to|^Running: ' "$log" | tail -n 1 |
		    sed 's/^/    input: /'
		return 1
	fi
	return 0
}

case $mode in
regress)
	[ -d "$seeds" ] || { echo "fuzz $name: no seed corpus $seeds"; exit 1; }
	n=$(find "$seeds" -type f | wc -l)
	# Named files are each run once, without mutation (-r: with no file
	# at all the target would start fuzzing instead).
	find "$seeds" -type f -print0 |
	    xargs -0 -r timeout -k 5 300 "$bin" $common >"$log" 2>&1
	check_log $? || exit 1
	echo "fuzz $name (regress): $n seed inputs clean"
	;;
fuzz)
	secs=${3:-}
	work=${4:-}
	[ -n "$secs" ] && [ -n "$work" ] || usage
	mkdir -p "$work"
	cp -R "$seeds/." "$work/"
	dictopt=""
	[ -f "$dict" ] && dictopt="-dict=$dict"
	start=$(date +%s)
	# timeout(1) backs up -max_total_time should the target wedge.
	timeout -k 10 $((secs + 60)) "$bin" $common $dictopt \
	    -max_len=$max_len -max_total_time="$secs" -print_final_stats=1 \
	    "$work" >"$log" 2>&1
	check_log $? || exit 1
	end=$(date +%s)
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	runs=$(grep -E '^stat::number_of_executed_units:' "$log" |
	    awk '{ n = $2 } END { print n }')
	rate=$(grep -E '^stat::average_exec_per_sec:' "$log" |
	    awk '{ n = $2 } END { print n }')
	cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$done_line" | sed -n 's/.*corp: \([^ ]*\).*/\1/p')
	echo "fuzz $name: clean, $((end - start)) s, runs=${runs:-?}" \
	    "exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?}"
	;;
*)
	usage
	;;
esac
