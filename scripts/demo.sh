#!/bin/sh
# demo.sh -- start the demo: a TCP echo backend on 127.0.0.1:7000 and wsgate
# on etc/wsgate.ini (http://127.0.0.1:8080/, WebSocket path /echo).
# Ctrl-C stops both.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}

"$B/echo-backend" 127.0.0.1:7000 &
backend=$!
trap 'kill $backend 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  wsgate demo
  -----------
  Open http://127.0.0.1:8080/ in a browser: the page sends text through
  ws://127.0.0.1:8080/echo to the echo backend and shows the replies.

  From a shell (Debian package python3-websockets):
    /usr/bin/python3 -m websockets ws://127.0.0.1:8080/echo

  Health check: curl http://127.0.0.1:8080/healthz
  Stop with Ctrl-C.

MSG
"$B/wsgate" -c etc/wsgate.ini
