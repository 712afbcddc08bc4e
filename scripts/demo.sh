#!/bin/sh
# demo.sh -- start the demo: a TCP echo backend on 127.0.0.1:7000 and wsgate
# on etc/wsgate.ini (http://127.0.0.1:8080/, WebSocket path /echo).
# Ctrl-C stops both.
#
#   PORT=8081          wsgate's port; the listener and every route's
#                      origins follow (make run PORT=8081)
#   BACKEND_PORT=7001  the echo backend's port (make run BACKEND_PORT=7001)
#   B=build            where echo-backend (and wsgate) are
#   WSGATE=FILE        the wsgate binary (default $B/wsgate)
#
# With other ports it runs a copy of etc/wsgate.ini and etc/routes.d in a
# temporary directory with only the port numbers changed.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
WSGATE=${WSGATE:-$B/wsgate}
PORT=${PORT:-8080}
BACKEND_PORT=${BACKEND_PORT:-7000}

for p in "$PORT" "$BACKEND_PORT"; do
	case $p in
	'' | *[!0-9]* | 0*) echo "demo: \"$p\" is not a port number" >&2
		exit 2 ;;
	esac
	if [ "$p" -gt 65535 ]; then
		echo "demo: \"$p\" is not a port number" >&2
		exit 2
	fi
done
if [ "$PORT" = "$BACKEND_PORT" ]; then
	echo "demo: PORT and BACKEND_PORT are both $PORT" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wsgate-demo.XXXXXX")
backend=
cleanup() {
	[ -z "$backend" ] || kill "$backend" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
# Ctrl-C (or SIGTERM to the process group) stops wsgate, which drains and
# exits; this script then stops the backend on its way out.
trap : INT TERM

config=etc/wsgate.ini
if [ "$PORT" != 8080 ] || [ "$BACKEND_PORT" != 7000 ]; then
	# ":8080" is the listener and the origins (not other digits after
	# it); 127.0.0.1:7000 the echo route's backend.
	moved() {
		sed -e "s/:8080\([^0-9]\|\$\)/:$PORT\1/g" \
		    -e "s/127\.0\.0\.1:7000\([^0-9]\|\$\)/127.0.0.1:$BACKEND_PORT\1/g" \
		    "$@"
	}
	mkdir "$tmp/routes.d"
	moved -e "s|^web_root = \.\./web\$|web_root = $PWD/web|" \
	    etc/wsgate.ini >"$tmp/wsgate.ini"
	for f in etc/routes.d/*.ini; do
		moved "$f" >"$tmp/routes.d/${f##*/}"
	done
	config=$tmp/wsgate.ini
fi

# The backend first, and only a backend of our own: if the port is taken,
# wsgate would relay the demo to whatever listens there.
"$B/echo-backend" "127.0.0.1:$BACKEND_PORT" 2>"$tmp/backend.log" &
backend=$!
i=0
until grep -q "echoing on" "$tmp/backend.log"; do
	if grep -q "cannot listen" "$tmp/backend.log" || [ "$i" -ge 100 ]; then
		cat "$tmp/backend.log" >&2
		echo "demo: the echo backend cannot listen on" \
		    "127.0.0.1:$BACKEND_PORT: another program has that port." >&2
		if command -v ss >/dev/null 2>&1; then
			ss -ltnpH "sport = :$BACKEND_PORT" >&2 || true
		fi
		echo "demo: stop it, or use another port:" \
		    "make run BACKEND_PORT=$((BACKEND_PORT + 1))" >&2
		exit 1
	fi
	i=$((i + 1))
	sleep 0.05
done

cat <<MSG

  wsgate demo
  -----------
  Open http://127.0.0.1:$PORT/ in a browser: the page sends text through
  ws://127.0.0.1:$PORT/echo to the echo backend (127.0.0.1:$BACKEND_PORT)
  and shows the replies.

  From a shell (Debian package python3-websockets):
    /usr/bin/python3 -m websockets ws://127.0.0.1:$PORT/echo

  Health check: curl http://127.0.0.1:$PORT/healthz
  Stop with Ctrl-C.

MSG
rc=0
"$WSGATE" -c "$config" || rc=$?
if [ "$rc" -eq 3 ]; then
	echo "demo: if port $PORT is taken, use another one:" \
	    "make run PORT=$((PORT + 1))" >&2
fi
exit "$rc"
