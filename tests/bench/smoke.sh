#!/bin/sh
# smoke.sh -- correctness smoke of the `make bench` tools (no timing checks).
#
# Runs build/wsbench for a fraction of a second per case against
# build/wsgate (and build/asan/wsgate when built) in front of build/echod,
# in every scenario, and checks that the echo was verified with no errors
# and that something was counted.  Also checks that wsbench notices a
# corrupted echo and a server that does not upgrade, so the verification
# itself cannot silently stop working.  The wss:// path too (make
# bench-tls): wsbench -L through a TLS listener, full and resumed
# handshakes, and echod -w, the WebSocket echo server HAProxy relays to
# there.  Prints "RESULT bench-smoke: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
WSBENCH=$B/wsbench
ECHOD=$B/echod
passed=0
failed=0
pids=""
tmp=$(mktemp -d)

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() {
	passed=$((passed + 1))
	echo "ok   $1"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL $1"
}

finish() {
	echo "RESULT bench-smoke: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# field JSON NAME: the number after "NAME": in a one-line JSON object
field() {
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p"
}

# Wait (at most 5 s) for a line matching $2 in file $1.
wait_line() {
	i=0
	while [ $i -lt 50 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# start_echod NAME [ARGS]: start a backend, set $port
start_echod() {
	name=$1
	shift
	"$ECHOD" -p 0 "$@" >"$tmp/$name.out" 2>&1 &
	pids="$pids $!"
	wait_line "$tmp/$name.out" LISTENING || return 1
	port=$(awk '/LISTENING/ { print $2 }' "$tmp/$name.out")
}

# bench NAME EXPECT_RC COUNTER ARGS...: run wsbench (bounded), check its exit
# status, zero errors (when EXPECT_RC is 0) and COUNTER > 0.
bench() {
	name=$1
	want_rc=$2
	counter=$3
	shift 3
	out=$(timeout 30 "$WSBENCH" "$@" </dev/null 2>&1)
	rc=$?
	json=$(printf '%s\n' "$out" | tail -n 1)
	n=$(field "$json" "$counter")
	errors=$(field "$json" errors)
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$name: exit $rc, expected $want_rc: $json"
	elif [ -z "$n" ] || ! awk "BEGIN { exit !($n > 0) }"; then
		fail "$name: $counter is ${n:-missing}: $json"
	elif [ "$want_rc" -eq 0 ] && [ "$errors" != 0 ]; then
		fail "$name: errors: $json"
	else
		ok "$name ($counter=$n)"
	fi
}

for b in "$WSBENCH" "$ECHOD"; do
	if [ ! -x "$b" ]; then
		fail "$b is not built (make bench-tools)"
		finish
	fi
done

if ! start_echod echo; then
	fail "echod did not start"
	finish
fi
echo_port=$port
short="-d 0.2 -W 0.05"
if ! start_echod source -s; then
	fail "echod -s did not start"
	finish
fi
source_port=$port

# The load generator against the plain echo server (raw TCP).
bench "tcp tput" 0 bytes -t "127.0.0.1:$echo_port" -P tcp -s tput -c 4 \
    -S 1000 $short
bench "tcp rate" 0 sessions -t "127.0.0.1:$echo_port" -P tcp -s rate \
    -c 4 -d 0.2

# It must notice corruption and a server that does not upgrade.
if start_echod corrupt -C 5000; then
	bench "corrupt echo is caught" 1 verify_errors \
	    -t "127.0.0.1:$port" -P tcp -s tput -c 1 -S 4096 $short
else
	fail "echod -C did not start"
fi
bench "no upgrade is caught" 1 handshake_errors -t "127.0.0.1:$echo_port" \
    -P ws -s lat -c 1 $short -C 2

# echod -w answers the upgrade and echoes frames (over 64 KiB too).
if start_echod ws -w; then
	bench "echod -w tput" 0 bytes -t "127.0.0.1:$port" -s tput -c 4 \
	    -S 70000 $short
	bench "echod -w rate" 0 sessions -t "127.0.0.1:$port" -s rate -c 2 \
	    -d 0.2
	bench "echod -w: TLS to a plain port is caught" 1 handshake_errors \
	    -t "127.0.0.1:$port" -L 1.3 -s lat -c 1 $short -C 2
else
	fail "echod -w did not start"
fi

# A certificate for the TLS listener (EC: quick to make).
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=localhost \
    >/dev/null 2>&1; then
	fail "openssl req: no test certificate"
	finish
fi
chmod 600 "$tmp/key.pem"

# Every scenario through each gateway build there is.
for gw in "$B/wsgate" "$B/asan/wsgate"; do
	[ -x "$gw" ] || continue
	tag=$(basename "$(dirname "$gw")")/wsgate
	# A log of its own: the previous gateway may still be writing its
	# last lines to the other.
	log=$tmp/gw-$(basename "$(dirname "$gw")").log
	cat >"$tmp/gw.ini" <<EOF
[gateway]
listen = 127.0.0.1:0
listen = 127.0.0.1:0 tls
tls_cert = $tmp/cert.pem
tls_key = $tmp/key.pem
[route:bench]
path = /bench
backend = 127.0.0.1:$echo_port
origins = http://127.0.0.1
[route:src]
path = /src
backend = 127.0.0.1:$source_port
origins = http://127.0.0.1
EOF
	"$gw" -c "$tmp/gw.ini" 2>"$log" &
	gwpid=$!
	pids="$pids $gwpid"
	if ! wait_line "$log" " ready ("; then
		fail "$tag did not start: $(cat "$log")"
		continue
	fi
	gp=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" |
	    head -n 1)
	if [ -z "$gp" ]; then
		fail "$tag: no port in its log: $(cat "$log")"
		continue
	fi
	tp=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" |
	    sed -n 2p)
	t="-t 127.0.0.1:$gp -u /bench"
	bench "$tag tput 4 KiB" 0 bytes $t -s tput -c 8 -S 4096 $short
	# over 64 KiB: the gateway splits the echo into several messages
	bench "$tag tput 100 kB" 0 bytes $t -s tput -c 2 -S 100000 $short
	bench "$tag tput 64 B" 0 bytes $t -s tput -c 2 -S 64 $short
	bench "$tag tput 126 B, small window" 0 bytes $t -s tput -c 2 \
	    -S 126 -w 1 $short
	bench "$tag lat" 0 samples $t -s lat -c 2 -S 32 $short
	bench "$tag rate" 0 sessions $t -s rate -c 4 -S 32 -d 0.3
	bench "$tag idle" 0 ready $t -s idle -c 50 -S 32 -T 0
	# the fairness scenario's floods, and its streaming backend
	for m in zero frag1 pong; do
		bench "$tag flood $m" 0 sent_bytes $t -s flood -m $m -c 1 \
		    $short
	done
	bench "$tag flood read" 0 recv_bytes -t 127.0.0.1:$gp -u /src \
	    -s flood -m read -c 1 $short
	# wss: TLS 1.3 and 1.2, full and resumed handshakes
	w="-t 127.0.0.1:$tp -u /bench"
	bench "$tag wss tput 4 KiB, TLS 1.3" 0 bytes $w -L 1.3 -s tput -c 4 \
	    -S 4096 $short
	bench "$tag wss tput 100 kB, TLS 1.2" 0 bytes $w -L 1.2 -s tput -c 2 \
	    -S 100000 $short
	bench "$tag wss rate, TLS 1.3 resumed" 0 tls_resumed $w -L 1.3 -R \
	    -s rate -c 2 -S 32 -d 0.3
	bench "$tag wss rate, TLS 1.2 resumed" 0 tls_resumed $w -L 1.2 -R \
	    -s rate -c 2 -S 32 -d 0.3
	bench "$tag wss idle" 0 ready $w -L 1.3 -s idle -c 20 -S 32 -T 0
	kill -INT "$gwpid" 2>/dev/null
	i=0
	while kill -0 "$gwpid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if grep -qE "AddressSanitizer|runtime error|LeakSanitizer" "$log"; then
		fail "$tag: sanitizer report: $(grep -m1 -E \
		    'AddressSanitizer|runtime error|LeakSanitizer' "$log")"
	else
		ok "$tag: clean log"
	fi
done
finish
