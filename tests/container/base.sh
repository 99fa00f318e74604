#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes (once) the base image the Containerfile names, debian:bookworm-slim, from a debootstrapped
# minbase bookworm tree, since no container registry is reachable here (tests/systemd/tree.sh's
# approach; the tarball is cached under the given folder). Prints the image name.
# usage: base.sh CACHE_DIR
set -euo pipefail
cache=$1
image=docker.io/library/debian:bookworm-slim
podman image exists "$image" && { echo "$image"; exit 0; }
tarball=$cache/bookworm-minbase.tar
if [ ! -s "$tarball" ]; then
	# the mirror this machine's apt uses (deb822 or one-line sources), else Debian's CDN
	mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
	mirror=${mirror:-http://deb.debian.org/debian}
	mkdir -p "$cache"
	tree=$cache/bookworm-minbase.tmp
	rm -rf "$tree"
	debootstrap --variant=minbase bookworm "$tree" "$mirror" >&2
	chroot "$tree" apt-get clean
	rm -rf "$tree"/var/lib/apt/lists/*
	tar -C "$tree" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	rm -rf "$tree"
fi
podman import --change 'CMD ["bash"]' "$tarball" "$image" >&2
echo "$image"
