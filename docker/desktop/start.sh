#!/bin/sh
# start.sh -- the desktop container's entrypoint: Xvfb, a window manager,
# an xterm, then x11vnc sharing that display (it stays in the foreground).
# tests/docker/check.sh runs it outside Docker, on a spare display and a
# loopback port.
#
#   VNC_PASSWORD   required: the VNC password (x11vnc -storepasswd)
#   VNC_PORT       5900
#   VNC_LISTEN     0.0.0.0 (the container's own network)
#   DISPLAY_NUM    0
#   GEOMETRY       1280x800x24
set -eu
: "${VNC_PASSWORD:?set VNC_PASSWORD (the password noVNC asks for)}"
VNC_PORT=${VNC_PORT:-5900}
VNC_LISTEN=${VNC_LISTEN:-0.0.0.0}
DISPLAY_NUM=${DISPLAY_NUM:-0}
GEOMETRY=${GEOMETRY:-1280x800x24}
export DISPLAY=":$DISPLAY_NUM"

Xvfb "$DISPLAY" -screen 0 "$GEOMETRY" -nolisten tcp &
# Up to 10 s for the X server's socket.
i=0
until [ -S "/tmp/.X11-unix/X$DISPLAY_NUM" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "desktop: Xvfb did not start" >&2; exit 1; }
	sleep 0.1
done
# twm's own fonts are not in a minimal image: its settings use X's
# built-in "fixed"; the C locale keeps it from asking for fontsets.
LC_ALL=C twm -f "$(dirname "$0")/twmrc" &
LC_ALL=C xterm -geometry 100x30+20+20 &

mkdir -p "$HOME/.vnc"
x11vnc -storepasswd "$VNC_PASSWORD" "$HOME/.vnc/passwd" >/dev/null
exec x11vnc -display "$DISPLAY" -rfbport "$VNC_PORT" -listen "$VNC_LISTEN" \
    -rfbauth "$HOME/.vnc/passwd" -forever -shared -noxdamage
