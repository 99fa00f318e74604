#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The documentation suite: every page's quoted configuration equals its file in examples/, every
# name a page quotes exists in the code, every example checks and serves a request, and the
# README's first configuration and the recipes run as written. Ends with "docs: N passed, N failed".
# Env: NEGOTIATED_BIN (default build/release/src/negotiated).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
export NEGOTIATED_BIN=${NEGOTIATED_BIN:-$top/build/release/src/negotiated}
export NEGOTIATED_LOG_DIR=${NEGOTIATED_LOG_DIR:-$top/build/logs/daemon/docs}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
NEGOTIATED_NO_IMDS=1 timeout 300 /usr/bin/python3 -m pytest -q -p no:cacheprovider -rfE "${@:-tests/docs}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
line=$(grep -E '[0-9]+ (passed|failed|errors?)' "$out" | tail -1)
p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+') f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
e=$(grep -oE '[0-9]+ errors?' <<<"$line" | grep -oE '[0-9]+')
p=${p:-0} f=$((${f:-0} + ${e:-0}))
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1
echo "docs: $p passed, $f failed"
[ "$f" -eq 0 ]
