#!/bin/sh
# check-paths.sh -- where in-root.sh cannot run (no unshare): the installed
# wsgate -t on a copy of the installed configuration whose absolute paths
# are moved under ROOT, so that each file it names must be in the tree.
#   tests/install/check-paths.sh ROOT
set -eu
root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/etc/wsgate/." "$tmp/"
sed -i "s|^\([a-z_]* = \)/|\1$root/|" "$tmp/wsgate.ini"
"$root/usr/bin/wsgate" -t -c "$tmp/wsgate.ini"
