#!/usr/bin/env bash
# Builds (once) and caches a minimal bookworm tree for tests/systemd/run.sh: debootstrap from the
# mirror this machine's apt uses, with systemd, nginx, openssl and curl, then a tarball of it.
# usage: tree.sh CACHE_DIR   (prints the tarball's path; a second run reuses it)
set -euo pipefail
cache=$1
tarball=$cache/bookworm-base.tar
[ -s "$tarball" ] && { echo "$tarball"; exit 0; }

# The mirror this machine's apt uses (deb822 or one-line sources), else Debian's CDN.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache"
tree=$cache/bookworm-base.tmp
rm -rf "$tree"
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,nginx-light,openssl,curl,ca-certificates \
	bookworm "$tree" "$mirror" >&2
# nothing in the tree may start a service while apt runs in a chroot
printf '#!/bin/sh\nexit 101\n' >"$tree/usr/sbin/policy-rc.d"
chmod 755 "$tree/usr/sbin/policy-rc.d"
echo negotiated-test >"$tree/etc/hostname"
chroot "$tree" apt-get clean
tar -C "$tree" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
rm -rf "$tree"
echo "$tarball"
