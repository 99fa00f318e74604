#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every tracked source, script, unit, configuration and test file carries the line
# "SPDX-License-Identifier: Apache-2.0" in its own comment syntax, as its first line, or as its
# second after a line that must stay first (a shebang "#!", an HTML "<!DOCTYPE").
# Exempt, because they cannot hold a comment or are not sources: JSON (no comments: package*.json,
# the Grafana dashboard), prose (*.md, LICENSE, NEWS, whose licence the LICENSE file states),
# fuzz corpora (raw inputs: a line would change the input), Debian packaging metadata that
# debian/copyright itself describes (changelog, control, copyright, source/format, *.install)
# and m4/.gitkeep (empty). A tracked file of any other kind fails the check until it is given a
# kind here: new files cannot slip through. Generated files are not tracked, so not checked.
# usage: spdx.sh [--fix] [TOP]   TAP on stdout; --fix inserts the line where it is missing
# (idempotent: a file that already names a licence in its first lines is left alone).
set -uo pipefail
fix=no
[ "${1:-}" = --fix ] && { fix=yes; shift; }
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
id='SPDX-License-Identifier: Apache-2.0'

style_of() { # path -> $style: c, slash, hash, html, dnl, roff, exempt, or empty (unknown kind); no subshell
	style=
	case $1 in
	*.json | *.md | LICENSE | NEWS | tests/fuzz/corpus/* | m4/.gitkeep) style=exempt ;;
	debian/changelog | debian/control | debian/copyright | debian/source/format | debian/*.install) style=exempt ;;
	examples/*.conf) style=exempt ;; # documentation: the pages quote each one byte for byte (tests/docs)
	*.c | *.h | *.css | *.dynlist) style=c ;;
	*.js | *.mjs) style=slash ;;
	*.html) style=html ;;
	configure.ac) style=dnl ;;
	man/*.[1-8]) style=roff ;;
	*.py | *.sh | *.am | *.conf | *.dict | *.expect | *.yml | *.yaml | *.in | .gitignore | */.gitignore | .clang-format | .containerignore) style=hash ;;
	Containerfile | debian/rules | debian/*.postinst | debian/apikeys | .ci/* | bench/run | bench/callgrind | bench/soak) style=hash ;;
	tests/run-all | tests/secrets/known-secrets) style=hash ;;
	esac
}

line_for() { # style -> $want, the comment line
	case $1 in
	c) want="/* $id */" ;;
	slash) want="// $id" ;;
	html) want="<!-- $id -->" ;;
	dnl) want="dnl $id" ;;
	roff) want=".\\\" $id" ;;
	hash) want="# $id" ;;
	esac
}

insert() { # file, line number, text: the text becomes that line (ENVIRON: awk -v would read escapes)
	LINE=$3 AT=$2 awk 'NR == ENVIRON["AT"] { print ENVIRON["LINE"] } { print } END { if (NR < ENVIRON["AT"]) print ENVIRON["LINE"] }' "$1" >"$1.spdx" &&
		cat "$1.spdx" >"$1" && rm -f "$1.spdx" # cat keeps the file's mode
}

if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$top" && pwd -P)" ]; then
	files=$(git -C "$top" ls-files)
	strict=yes
else # a dist tarball (make distcheck): no git; the files of known kinds that it holds
	# less what the build generates there (autotools' output, the embedded developer page, the
	# distcheck and debhelper build folders): .gitignore keeps those out of a checkout
	files=$(cd "$top" && find . -type f ! -path './build*' ! -path '*/node_modules/*' ! -path './autom4te.cache/*' \
		! -path './_build/*' ! -path './build-aux/*' ! -path './debian/negotiated/*' ! -path './debian/.debhelper/*' \
		! -path './debian/tmp/*' ! -name Makefile.in ! -name configure ! -name aclocal.m4 ! -name config.h.in \
		! -path './src/http/dev_page_assets.c' | sed 's|^\./||')
	strict=no
fi

n=0 failed=0 fixed=0 unknown=() missing=()
while IFS= read -r f; do
	[ -f "$top/$f" ] || continue
	style_of "$f"
	if [ -z "$style" ]; then
		[ "$strict" = yes ] && unknown+=("$f")
		continue
	fi
	[ "$style" = exempt ] && continue
	n=$((n + 1))
	# the line belongs first, or second after a line that must stay first (shebang, doctype)
	l1='' l2=''
	{ IFS= read -r l1 || true; IFS= read -r l2 || true; } <"$top/$f"
	case $l1 in '#!'* | '<!DOCTYPE'*) at=2 have=$l2 ;; *) at=1 have=$l1 ;; esac
	line_for "$style"
	[ "$have" = "$want" ] && continue
	if [ "$fix" = yes ] && ! head -5 "$top/$f" | grep -q 'SPDX-License-Identifier:'; then
		insert "$top/$f" "$at" "$want" || { missing+=("$f: cannot be rewritten"); continue; }
		fixed=$((fixed + 1))
		continue
	fi
	missing+=("$f: line $at is not '$want'")
done <<<"$files"

echo "1..2"
if [ ${#missing[@]} -eq 0 ]; then
	echo "ok 1 - the $n source, script, unit and test files carry '$id' (fixed $fixed)"
else
	echo "not ok 1 - the $n source, script, unit and test files carry '$id' (run tests/layout/spdx.sh --fix)"
	printf '# %s\n' "${missing[@]}"
	failed=$((failed + 1))
fi
if [ ${#unknown[@]} -eq 0 ]; then
	what="every tracked file is of a kind tests/layout/spdx.sh knows"
	[ "$strict" = yes ] || what="$what (no git checkout: the files of known kinds only)"
	echo "ok 2 - $what"
else
	echo "not ok 2 - every tracked file is of a kind tests/layout/spdx.sh knows (give these one, or exempt them)"
	printf '# %s\n' "${unknown[@]}"
	failed=$((failed + 1))
fi
[ "$failed" -eq 0 ]
