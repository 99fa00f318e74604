#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package from the working tree (tracked and new files, not build products)
# in a clean copy under build/deb/, so dpkg-buildpackage's outputs (written to the parent of the
# source tree) land in build/deb/ too. Prints the .deb's path. `make deb` runs it.
# usage: debian/build-deb.sh [dpkg-buildpackage options]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^AC_INIT(\[negotiated\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
changelog=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
[ "$version" = "$changelog" ] || {
	echo "build-deb: configure.ac says $version, debian/changelog $changelog: give them one version" >&2
	exit 1
}
out=$top/build/deb
src=$out/negotiated-$version
rm -rf "$out" && mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) |
	tar -C "$src" -xf -
(cd "$src" && dpkg-buildpackage -us -uc -b "$@") >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
}
ls "$out"/negotiated_"$version"_*.deb
