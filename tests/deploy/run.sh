#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The dashboard and the alert rules of deploy/ (issue 24): promtool checks the rules and runs
# their unit tests; every negotiated_* metric the rules and the dashboard name must be one that
# a running daemon exports (read from its /metrics, where every family has its # TYPE line even
# before any event); the check is shown to fail on a name the daemon does not export.
# TAP on stdout, then "deploy: N passed, N failed". Needs promtool (Debian's prometheus).
# usage: tests/deploy/run.sh   (NEGOTIATED_BIN: the daemon, default build/release/src/negotiated)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${NEGOTIATED_BIN:-$top/build/release/src/negotiated}
rules=$top/deploy/prometheus/alerts.yml
dashboard=$top/deploy/grafana/negotiated.json
n=0 failed=0 pid=''
work=$(mktemp -d)
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
ok() { n=$((n + 1)) && echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do printf '#   %s\n' "$line"; done
}
finish() {
	echo "1..$n"
	echo "deploy: $((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

if ! command -v promtool >/dev/null; then
	not_ok "promtool is installed (Debian's prometheus; bash .ci/install-deps)"
	finish
fi
if out=$(promtool check rules "$rules" 2>&1); then ok "promtool check rules deploy/prometheus/alerts.yml"; else not_ok "promtool check rules" "$out"; fi
if out=$(promtool test rules "$top/deploy/prometheus/alerts.test.yml" 2>&1); then
	ok "promtool test rules deploy/prometheus/alerts.test.yml"
else
	not_ok "promtool test rules deploy/prometheus/alerts.test.yml" "$(tail -20 <<<"$out")"
fi
# every alert has a unit test
untested=$(sed -n 's/^ *- alert: *//p' "$rules" | while read -r a; do grep -q "alertname: $a\$" "$top/deploy/prometheus/alerts.test.yml" || echo "$a"; done)
if [ -z "$untested" ]; then ok "every alert of alerts.yml has a unit test"; else not_ok "every alert has a unit test" "untested: $untested"; fi
if out=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["panels"] and all(p["targets"] for p in d["panels"])' "$dashboard" 2>&1); then
	ok "the dashboard is JSON with panels that each query something"
else
	not_ok "the dashboard is JSON with panels" "$out"
fi

# --- the names: from a running daemon's /metrics ---
[ -x "$bin" ] || { not_ok "the daemon is built ($bin)"; finish; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NEGOTIATED_NO_IMDS=1 "$bin" --dev --listen "127.0.0.1:$port" >"$work/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -sf -o "$work/metrics" "http://127.0.0.1:$port/metrics" && break; sleep 0.1; done
if [ ! -s "$work/metrics" ]; then not_ok "the daemon answers /metrics" "$(tail -5 "$work/daemon.log")"; finish; fi
# a family's samples: NAME, or NAME_bucket/_sum/_count for a histogram
exported=$(awk '$1 == "#" && $2 == "TYPE" { print $3; if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" } }' "$work/metrics" | sort -u)
ok "the daemon exports $(grep -c '^# TYPE' "$work/metrics") metric families"

named() { # files -> every negotiated_* name they use
	grep -ohE '\bnegotiated_[a-z0-9_]+' "$@" | sort -u
}
unknown_names() { # files -> the names they use that the daemon does not export
	comm -23 <(named "$@") <(echo "$exported")
}
for f in "$rules" "$dashboard"; do
	bad=$(unknown_names "$f")
	used=$(named "$f" | wc -l)
	if [ "$used" -gt 0 ] && [ -z "$bad" ]; then
		ok "${f#"$top"/}: its $used metric names are all exported by the daemon"
	else
		not_ok "${f#"$top"/}: every metric name is exported by the daemon" "not exported: $bad"
	fi
done
# names other than negotiated_*: only the scrape's own "up" (a Prometheus series)
others=$(python3 - "$rules" "$dashboard" <<'PY'
import json, re, sys
exprs = re.findall(r"expr: *\|?\n?((?:.+\n)(?: {10,}.+\n)*)", open(sys.argv[1]).read())
exprs += [t["expr"] for p in json.load(open(sys.argv[2]))["panels"] for t in p["targets"]]
words = set()
for e in exprs:
    e = re.sub(r'"[^"]*"', "", e)          # label values
    e = re.sub(r"\{[^}]*\}", "{}", e)       # matchers
    e = re.sub(r"\[[^\]]*\]", "", e)        # ranges
    e = re.sub(r"\b(by|without) *\([^)]*\)", "", e)  # grouping labels
    words |= {w for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*[{\[)\s=><!]|\s*$)", e)}
functions = {"sum", "rate", "increase", "histogram_quantile", "count", "by", "and", "or", "unless", "le"}
print(" ".join(sorted(w for w in words if not w.startswith("negotiated_") and w not in functions and w != "up")))
PY
)
if [ -z "$others" ]; then ok "no other metric is named (but Prometheus's own up)"; else not_ok "no other metric is named" "$others"; fi
# the check itself fails on a name the daemon does not export
sed 's/negotiated_ready/negotiated_readyness/' "$rules" >"$work/mutant.yml"
if [ "$(unknown_names "$work/mutant.yml")" = negotiated_readyness ]; then
	ok "a rule naming negotiated_readyness (not exported) is caught"
else
	not_ok "a rule naming an unexported metric is caught"
fi
finish
