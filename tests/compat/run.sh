#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs the Node.js compatibility and end-to-end tests; exit status 0 only if all pass.
# Env: NEGOTIATED_BIN (default <repo>/src/negotiated), NEGOTIATED_WRAPPER (e.g. "valgrind -q").
set -uo pipefail
cd "$(dirname "$0")" || exit 2

# node_modules/.package-lock.json is npm's record of what is installed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund || exit 2
fi

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
NEGOTIATED_NO_IMDS=1 node --test --test-reporter=spec --test-reporter-destination=stdout \
	--test-reporter=tap --test-reporter-destination="$tap" ./*.test.mjs
status=$?

grep -E '^# (tests|pass|fail|cancelled|skipped|todo) ' "$tap"
pass=$(sed -n 's/^# pass //p' "$tap")
fail=$(sed -n 's/^# fail //p' "$tap")
cancelled=$(sed -n 's/^# cancelled //p' "$tap")
fail=$(( ${fail:-0} + ${cancelled:-0} ))
echo "compat: ${pass:-0} passed, $fail failed"
if [ "$status" -ne 0 ] || [ -z "$pass" ] || [ "$fail" -ne 0 ]; then
	exit 1
fi
