#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The dependency rule of src/ (CONTRIBUTING.md, "Layout"), checked on every #include "...": a file includes
# headers of its own folder and of the folders below it, never above; nor does it forward-declare
# (`struct NAME;`) a type defined in a folder above it. TAP, one test per folder.
set -uo pipefail
src=${1:-$(cd "$(dirname "$0")/../../src" && pwd)}
# Top to bottom; "." is main.c, process/ the rest of the process (daemon, reload, sd_notify).
layers=(. process cli http negotiate runtime revoke auth config policy token store net edge core)

rank() { # folder -> position in layers, or -1
	local i
	for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }; done
	echo -1
}

folder_of() { # path below src -> its layer (auth/jwt/x.c -> auth)
	case $1 in */*) echo "${1%%/*}" ;; *) echo . ;; esac
}

# struct NAME -> the folder that defines it ("struct NAME {" at the start of a line)
declare -A defined_in
while IFS=: read -r file name; do
	defined_in[$name]=$(folder_of "$file")
done < <(cd "$src" && grep -rEo '^struct [a-z_0-9]+ \{' --include='*.[ch]' . | sed -E 's|^\./||; s|:struct ([a-z_0-9]+) \{|:\1|')

echo "1..$((${#layers[@]} + 1))"
n=0 failed=0
for layer in "${layers[@]}"; do
	n=$((n + 1))
	me=$(rank "$layer") bad=()
	if [ "$layer" = . ]; then files=$(cd "$src" && find . -maxdepth 1 -name '*.[ch]' | sed 's|^\./||'); else files=$(cd "$src" && find "$layer" -name '*.[ch]'); fi
	for f in $files; do
		while IFS= read -r inc; do
			target=$(folder_of "$inc")
			[ -e "$src/$inc" ] || { bad+=("$f: \"$inc\" is no file below src/ (name the folder)"); continue; }
			[ "$(rank "$target")" -ge "$me" ] || bad+=("$f includes \"$inc\" ($target is above $layer)")
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$src/$f")
		while IFS= read -r name; do
			target=${defined_in[$name]:-}
			[ -z "$target" ] || [ "$(rank "$target")" -ge "$me" ] ||
				bad+=("$f forward-declares struct $name ($target is above $layer)")
		done < <(sed -nE 's/^struct ([a-z_0-9]+);.*/\1/p' "$src/$f")
	done
	what="src/$layer/ includes only its own folder and those below it"
	[ "$layer" = . ] && what="src/*.c (the process) include any folder, by name"
	if [ ${#bad[@]} -eq 0 ] && [ -n "$files" ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		[ -n "$files" ] || echo "# no files in $layer/"
		printf '# %s\n' "${bad[@]}"
		failed=$((failed + 1))
	fi
done
n=$((n + 1))
stray=$(cd "$src" && find . -mindepth 2 -name '*.[ch]' | sed 's|^\./||' | while read -r f; do
	[ "$(rank "$(folder_of "$f")")" -ge 0 ] || echo "$f"
done)
if [ -z "$stray" ]; then
	echo "ok $n - every folder of src/ has its place in the order"
else
	echo "not ok $n - every folder of src/ has its place in the order"
	printf '# %s\n' $stray
	failed=$((failed + 1))
fi
[ "$failed" -eq 0 ]
