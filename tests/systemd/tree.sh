#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds (once) and caches a minimal bookworm tree for tests/systemd/run.sh: debootstrap from the
# mirror this machine's apt uses, with systemd, nginx, openssl and curl, then a tarball of it.
# usage: tree.sh CACHE_DIR   (prints the tarball's path; a second run reuses it)
set -euo pipefail
cache=$1
# systemd and what the walkthrough uses, plus the package's run-time libraries, so that
# installing the .deb needs no download; the tarball's name changes with this list
packages=systemd,systemd-sysv,dbus,nginx-light,openssl,curl,ca-certificates
packages+=,libmicrohttpd12,libjansson4,libinih1,libcurl4,libssl3,libcrypt1,libsystemd0,libhiredis0.14
tarball=$cache/bookworm-$(printf %s "$packages" | sha256sum | cut -c1-12).tar
[ -s "$tarball" ] && { echo "$tarball"; exit 0; }

# The mirror this machine's apt uses (deb822 or one-line sources), else Debian's CDN.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache"
tree=$cache/bookworm-base.tmp
rm -rf "$tree"
debootstrap --variant=minbase --include="$packages" bookworm "$tree" "$mirror" >&2
echo negotiated-test >"$tree/etc/hostname"
chroot "$tree" apt-get clean
tar -C "$tree" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
rm -rf "$tree"
echo "$tarball"
