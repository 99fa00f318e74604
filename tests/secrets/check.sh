#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# No secret in any log: greps every log of a test run for every access key, API key, password, JWT
# secret and token the tests used, and fails on any hit.
# Usage: tests/secrets/check.sh [BUILD_DIR]   (default <repo>/build)
# The secrets: tests/secrets/known-secrets (fixed ones), AccessKey= values written in tests/, and
# build/secrets/*.list (what each integration session drew at random, listed by its conftest).
# The logs: everything under build/logs/ (CI logs, and the daemons' stderr, access logs and nginx
# logs that the integration conftest keeps in build/logs/daemon/), and make check's logs.
# A hit is printed as FILE:LINE and the secret's first 4 characters, never the secret itself.
# Ends with "secrets: N passed, N failed" (log files clean, log files holding a secret).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
min_chars=12 # shorter fixed values ("k", "alice") are not secrets worth a grep

list=$(mktemp)
trap 'rm -f "$list" "$list.logs"' EXIT
chmod 600 "$list"
{
	grep -v '^#' "$top/tests/secrets/known-secrets"
	grep -rhoE 'AccessKey=[A-Za-z0-9+/=_-]+' "$top/tests" --exclude-dir=node_modules | sed 's/^AccessKey=//'
	cat "$build"/secrets/*.list 2>/dev/null
} | awk -v min="$min_chars" 'length($0) >= min' | sort -u >"$list"

lists=$(find "$build/secrets" -maxdepth 1 -name "*.list" 2>/dev/null | wc -l)
secrets=$(wc -l <"$list")
find "$build/logs" "$build"/*/tests "$build"/*/test-suite.log -type f \( -path "$build/logs/*" -o -name '*.log' \) \
	2>/dev/null | sort -u >"$list.logs"
logs=$(wc -l <"$list.logs")
echo "secrets: $secrets to look for ($lists integration lists), in $logs log files"
if [ "$lists" -eq 0 ] || [ "$logs" -eq 0 ]; then
	echo "secrets: nothing to check (run the integration suite first: it lists its secrets in $build/secrets/)"
	echo "secrets: 0 passed, 1 failed"
	exit 1
fi

# One grep over every log: its matcher for all the secrets is built once (a test draws 100,000 keys)
hits=$(tr '\n' '\0' <"$list.logs" | xargs -0 grep -a -H -n -o -F -f "$list" -- |
	awk '{ file = $0; sub(/:[0-9]+:.*$/, "", file); rest = substr($0, length(file) + 2)
	       split(rest, f, ":"); print file ":" f[1] ": " substr(rest, length(f[1]) + 2, 4) "..." }')
failed=0
[ -n "$hits" ] && echo "$hits" && failed=$(cut -d: -f1 <<<"$hits" | sort -u | wc -l)
passed=$((logs - failed))
echo "secrets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
