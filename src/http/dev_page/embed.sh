#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writes a C file holding each FILE's bytes as dev_page_NAME[] and dev_page_NAME_len (NAME: the file's
# name with . and - as _), for src/http/dev_page_assets.h. Portable: sh, od, sed. Usage: embed.sh FILE...
set -eu
echo '/* Generated at build time by src/http/dev_page/embed.sh from src/http/dev_page/: do not edit. */'
echo '#include "http/dev_page_assets.h"'
for file in "$@"; do
	name=dev_page_$(basename "$file" | tr '.-' '__')
	[ -s "$file" ] || { echo "embed.sh: $file is missing or empty" >&2; exit 1; }
	echo
	echo "const unsigned char $name[] = {"
	od -An -v -tx1 "$file" | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' -e '/^ *$/d'
	echo '};'
	echo "const size_t ${name}_len = sizeof $name;"
done
