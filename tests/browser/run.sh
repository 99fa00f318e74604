#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs the browser tests (chromium through playwright-core); exit status 0 only if all pass.
# Needs Debian's chromium (/usr/bin/chromium, or $CHROMIUM), nginx and openssl (.ci/install-deps).
# Env: NEGOTIATED_BIN (default <repo>/src/negotiated), NEGOTIATED_WRAPPER. Screenshots: build/browser/.
set -uo pipefail
cd "$(dirname "$0")" || exit 2

chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "browser: $chromium is missing: apt-get install chromium (.ci/install-deps)" >&2; exit 2; }

# node_modules/.package-lock.json is npm's record of what is installed; the stand-in's packages
# (ws, jsonwebtoken) come from tests/compat, whose standin.mjs the tests import.
for dir in . ../compat; do
	if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		(cd "$dir" && npm ci --no-audit --no-fund) || { echo "browser: npm ci failed in $dir" >&2; exit 2; }
	fi
done

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
# bounded: the suite takes about 30 s; a hung browser or server is killed (children too, see lib/processes.mjs)
timeout -k 10 170 node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
	--test-reporter=tap --test-reporter-destination="$tap" ./*.test.mjs
status=$?
[ "$status" -eq 124 ] && echo "browser: the suite took longer than 170 s and was stopped" >&2

grep -E '^# (tests|pass|fail|cancelled|skipped|todo) ' "$tap"
pass=$(sed -n 's/^# pass //p' "$tap")
fail=$(sed -n 's/^# fail //p' "$tap")
cancelled=$(sed -n 's/^# cancelled //p' "$tap")
fail=$(( ${fail:-0} + ${cancelled:-0} ))
echo "browser: ${pass:-0} passed, $fail failed"
if [ "$status" -ne 0 ] || [ -z "$pass" ] || [ "$fail" -ne 0 ]; then
	exit 1
fi
