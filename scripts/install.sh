#!/bin/sh
# install.sh -- what `make install` and `make uninstall` do (the Makefile
# passes the directories as NAME=value arguments).
#
#   scripts/install.sh install BINARY NAME=value...
#   scripts/install.sh uninstall NAME=value...
#
# The default configuration ($SYSCONFDIR/wsgate/wsgate.ini and
# routes.d/vnc.ini) is installed only where no file exists, and removed
# only while it is the file install would write: a configuration someone
# changed is never overwritten nor deleted.  Installed files that name a
# path (man pages, the systemd unit, the configuration) get this
# installation's directories in place of the package layout they are
# written for (/usr/bin, /etc/wsgate, /usr/share/...).
set -eu
cd "$(dirname "$0")/.."

mode=${1:-}
shift
binary=
if [ "$mode" = install ]; then
	binary=$1
	shift
fi
DESTDIR= PREFIX=/usr/local
for a in "$@"; do
	case $a in
	DESTDIR=* | PREFIX=* | BINDIR=* | SYSCONFDIR=* | DATADIR=* | \
	MANDIR=* | DOCDIR=* | SYSTEMDUNITDIR=* | SYSUSERSDIR=*)
		eval "${a%%=*}=\${a#*=}" ;;
	*) echo "install.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done
BINDIR=${BINDIR:-$PREFIX/bin}
SYSCONFDIR=${SYSCONFDIR:-$PREFIX/etc}
DATADIR=${DATADIR:-$PREFIX/share}
MANDIR=${MANDIR:-$DATADIR/man}
DOCDIR=${DOCDIR:-$DATADIR/doc/wsgate}
SYSTEMDUNITDIR=${SYSTEMDUNITDIR:-$PREFIX/lib/systemd/system}
SYSUSERSDIR=${SYSUSERSDIR:-$PREFIX/lib/sysusers.d}
D=$DESTDIR
CONF=$SYSCONFDIR/wsgate
WEB=$DATADIR/wsgate/web

# The package layout the sources are written for -> this installation.
# (Longest paths first: /usr/share/doc/wsgate before /usr/share.)
relocate() {
	sed -e "s|/usr/share/doc/wsgate|$DOCDIR|g" \
	    -e "s|/usr/share/wsgate/web|$WEB|g" \
	    -e "s|/usr/bin/wsgate|$BINDIR/wsgate|g" \
	    -e "s|/etc/wsgate|$CONF|g" "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The default configuration: etc/wsgate.ini with web_root on the
# installed demo page (in the source tree it is ../web).
default_config() {
	sed "s|^web_root = \.\./web\$|web_root = $WEB|" etc/wsgate.ini \
	    >"$tmp/wsgate.ini"
	grep -q "^web_root = $WEB\$" "$tmp/wsgate.ini" || {
		echo "install.sh: etc/wsgate.ini has no line" \
		    "'web_root = ../web' to point at $WEB" >&2
		exit 1
	}
	cp etc/routes.d/vnc.ini "$tmp/vnc.ini"
}

# file mode source destination
put() {
	install -d "$(dirname "$D$3")"
	install -m "$1" "$2" "$D$3"
}

case $mode in
install)
	default_config
	put 755 "$binary" "$BINDIR/wsgate"
	relocate man/wsgate.8 >"$tmp/wsgate.8"
	relocate man/wsgate.ini.5 >"$tmp/wsgate.ini.5"
	put 644 "$tmp/wsgate.8" "$MANDIR/man8/wsgate.8"
	put 644 "$tmp/wsgate.ini.5" "$MANDIR/man5/wsgate.ini.5"
	relocate deploy/systemd/wsgate.service >"$tmp/wsgate.service"
	put 644 "$tmp/wsgate.service" "$SYSTEMDUNITDIR/wsgate.service"
	put 644 deploy/systemd/wsgate.sysusers "$SYSUSERSDIR/wsgate.conf"
	put 644 web/index.html "$WEB/index.html"
	# The examples as installed: wsgate.ini -t passes there too.
	put 644 "$tmp/wsgate.ini" "$DOCDIR/examples/wsgate.ini"
	for f in novnc.ini novnc-tokens.ini novnc-tokens.txt novnc-tokens.pem \
	    tls.ini.example routes.d/vnc.ini; do
		put 644 "etc/$f" "$DOCDIR/examples/$f"
	done
	put 644 README.md "$DOCDIR/README.md"

	for f in wsgate.ini routes.d/vnc.ini; do
		if [ -e "$D$CONF/$f" ]; then
			echo "install: keeping $D$CONF/$f (the new default" \
			    "is $D$DOCDIR/examples/$f)"
		else
			put 644 "$tmp/${f#routes.d/}" "$CONF/$f"
		fi
	done
	if [ -z "$D" ]; then
		echo "install: check the configuration: $BINDIR/wsgate -t" \
		    "(it reads $CONF/wsgate.ini)"
		echo "install: as a service: systemd-sysusers; systemctl" \
		    "daemon-reload; systemctl enable --now wsgate"
	fi
	;;
uninstall)
	rm -f "$D$BINDIR/wsgate" "$D$MANDIR/man8/wsgate.8" \
	    "$D$MANDIR/man5/wsgate.ini.5" "$D$SYSTEMDUNITDIR/wsgate.service" \
	    "$D$SYSUSERSDIR/wsgate.conf" "$D$WEB/index.html" \
	    "$D$DOCDIR/README.md"
	for f in wsgate.ini novnc.ini novnc-tokens.ini novnc-tokens.txt \
	    novnc-tokens.pem tls.ini.example routes.d/vnc.ini; do
		rm -f "$D$DOCDIR/examples/$f"
	done
	default_config
	for f in wsgate.ini routes.d/vnc.ini; do
		[ -e "$D$CONF/$f" ] || continue
		if cmp -s "$tmp/${f#routes.d/}" "$D$CONF/$f"; then
			rm -f "$D$CONF/$f"
		else
			echo "uninstall: keeping $D$CONF/$f (changed since" \
			    "install)"
		fi
	done
	# Directories only if empty: other files there are someone's.
	for d in "$DOCDIR/examples/routes.d" "$DOCDIR/examples" "$DOCDIR" \
	    "$WEB" "$DATADIR/wsgate" "$CONF/routes.d" "$CONF"; do
		rmdir "$D$d" 2>/dev/null || true
	done
	;;
*)
	echo "usage: $0 install BINARY NAME=value... | uninstall NAME=value..." >&2
	exit 2
	;;
esac
