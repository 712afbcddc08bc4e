# start-installed.sh -- sourced by tests/install/in-root.sh inside an
# installed tree: the installed wsgate checks the installed configuration
# (-t), then starts with no argument at all, answers /healthz and the demo
# page on 127.0.0.1:8080 (its own network namespace), and exits 0 on
# SIGTERM.  $OUT: a directory for its logs.
chroot "$ROOT" /usr/bin/wsgate -t >"$OUT/t.log" 2>&1 || {
	echo "wsgate -t failed:"; cat "$OUT/t.log"; exit 1; }
chroot "$ROOT" /usr/bin/wsgate >"$OUT/run.log" 2>&1 &
pid=$!
i=0
until chroot "$ROOT" /usr/bin/wsgate --probe \
    http://127.0.0.1:8080/healthz 1 >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "no health answer:"; cat "$OUT/run.log"; exit 1
	fi
	sleep 0.1
done
chroot "$ROOT" /usr/bin/wsgate --probe http://127.0.0.1:8080/ >"$OUT/page" ||
	{ cat "$OUT/page"; exit 1; }
kill -TERM "$pid"
wait "$pid" || { echo "exit $?:"; cat "$OUT/run.log"; exit 1; }
grep -q "listening on 127.0.0.1:8080" "$OUT/run.log" ||
	{ cat "$OUT/run.log"; exit 1; }
cat "$OUT/t.log"
