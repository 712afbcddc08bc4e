#!/bin/sh
# in-root.sh -- run a command in an installed tree ROOT as if it were the
# machine's own root: `make install DESTDIR=ROOT PREFIX=/usr ...` and
# `dpkg -x wsgate.deb ROOT` leave the binary, its configuration and its
# web root at absolute paths (/usr/bin/wsgate, /etc/wsgate/...) under
# ROOT, and only there do they mean what they say.
#
#   tests/install/in-root.sh ROOT SCRIPT
#
# SCRIPT (sh) runs in private mount and network namespaces (unshare -mn),
# with ROOT's lib directories bind-mounted from this machine (ROOT holds
# no libraries) and loopback up; `chroot "$ROOT" /usr/bin/wsgate` then
# runs the installed binary on its installed files, and 127.0.0.1:8080
# is free whatever listens there outside.  Everything it mounts goes away
# with the namespace.  Exits 77 when unshare is not permitted here (a
# container without CAP_SYS_ADMIN): the caller reports a skip.
set -eu
ROOT=$(cd "$1" && pwd)
SCRIPT=$2

unshare --mount --net --propagation private true 2>/dev/null || exit 77

export ROOT SCRIPT
exec unshare --mount --net --propagation private /bin/sh -euc '
	for d in lib lib64 usr/lib usr/lib64; do
		[ -e "/$d" ] || continue
		if [ ! -e "$ROOT/$d" ] && [ -L "/$d" ]; then
			# merged /usr: /lib -> usr/lib, as on this machine
			ln -s "$(readlink "/$d")" "$ROOT/$d"
			continue
		fi
		[ -L "$ROOT/$d" ] && continue
		mkdir -p "$ROOT/$d"
		mount --bind "/$d" "$ROOT/$d"
	done
	if command -v ip >/dev/null 2>&1; then
		ip link set lo up
	else
		/usr/bin/python3 -c "
import fcntl, socket, struct
s = socket.socket()
# SIOCSIFFLAGS: IFF_UP | IFF_LOOPBACK | IFF_RUNNING
fcntl.ioctl(s, 0x8914, struct.pack(\"16sH14x\", b\"lo\", 0x1 | 0x8 | 0x40))"
	fi
	. "$SCRIPT"
'
