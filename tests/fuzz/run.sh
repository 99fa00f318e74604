#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every libFuzzer harness of a ./configure --enable-fuzzing CC=clang build for a bounded time,
# each on a scratch copy of its committed corpus (tests/fuzz/corpus/NAME; the tree is not written).
# Usage: tests/fuzz/run.sh BUILD_DIR   Env: FUZZ_SECONDS per harness (default 60), FUZZ_JOBS (2).
# Prints a line per harness (executions, coverage, result) and ends with "fuzz: N passed, N failed".
# A crash, leak, UB report or hang leaves its input in BUILD_DIR/fuzz/artifacts: commit it to the
# harness's corpus as regress-WHAT so that make check replays it from then on.
# tests/fuzz/NAME.dict, where there is one, is that harness's libFuzzer dictionary.
set -uo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60} jobs=${FUZZ_JOBS:-2}
out=$build/fuzz
rm -rf "$out" && mkdir -p "$out/artifacts" "$out/logs" "$out/work"

one() { # harness name (fuzz_NAME); prints its result line
	local name=$1 corpus=$top/tests/fuzz/corpus/${1#fuzz_} log=$out/logs/$1.log rc dict=()
	mkdir -p "$out/work/$name"
	[ -f "$top/tests/fuzz/${1#fuzz_}.dict" ] && dict=(-dict="$top/tests/fuzz/${1#fuzz_}.dict")
	timeout -k 10 $((seconds + 120)) "$build/tests/fuzz/$name" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" -artifact_prefix="$out/artifacts/$name-" \
		"$out/work/$name" "$corpus" >"$log" 2>&1
	rc=$?
	local runs cov ft
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		printf '%-24s ok: %s executions, %s\n' "$name" "$runs" "${cov:-no coverage line}"
	else
		printf '%-24s FAILED (exit %s): see %s\n' "$name" "$rc" "$log"
		grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/    /'
	fi
}
export -f one
export out top build seconds

harnesses=$(cd "$build/tests/fuzz" && ls fuzz_* 2>/dev/null | grep -v '\.o$')
[ -n "$harnesses" ] || { echo "fuzz: no harness in $build/tests/fuzz (configure --enable-fuzzing, make)"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
results=$(printf '%s\n' $harnesses | xargs -P "$jobs" -I{} bash -c 'one {}')
echo "$results"
passed=$(grep -c ' ok: ' <<<"$results") failed=$(grep -c ' FAILED ' <<<"$results")
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
