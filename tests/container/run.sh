#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The container image and the Kubernetes manifests (issue 24), with Debian's podman: makes the
# base image from a debootstrapped bookworm tree (tests/container/base.sh, cached under
# build/container/), builds the Containerfile, runs the image --read-only --cap-drop=ALL as a
# non-root user with a mounted configuration and secret (and the connection string from the
# environment), asks it for a token, checks the probes, its logs, what it runs and that SIGTERM
# answers the request in flight; then plays deploy/kubernetes/ with `podman kube play`
# (tests/container/kube.sh). Everything it starts is removed, within a bounded time; the
# images stay cached. TAP on stdout, then "container: N passed, N failed".
# Needs root, podman, runc (crun refuses on cgroup v1 hosts), debootstrap; a missing one fails.
set -uo pipefail
if [ -z "${NGD_CONTAINER_BOUNDED:-}" ]; then # the whole run is bounded; the EXIT trap still cleans up
	NGD_CONTAINER_BOUNDED=1 exec timeout --kill-after=30 "${NGD_CONTAINER_TIMEOUT:-900}" bash "$0" "$@"
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/container
work=$top/build/container
image=localhost/negotiated:test
began=$(date +%s)
n=0 failed=0 containers=() pods=()
mkdir -p "$work"
# (within this shell's hard limits: runc may not raise them)
nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
[ "$nproc" = unlimited ] || [ "$nproc" -gt 8192 ] && nproc=8192
limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
# podman as these hosts need it: runc (crun refuses on cgroup v1) and explicit limits
podman() { command podman --runtime runc "$@"; }
# kube play takes neither: the same, for every container, from a containers.conf of this run's
conf=$work/containers.conf
printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n[engine]\nruntime = "runc"\n' \
	"$nofile" "$nofile" "$nproc" "$nproc" >"$conf"
export CONTAINERS_CONF=$conf

ok() { n=$((n + 1)) && echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do printf '#   %s\n' "$line"; done
}
check() { # description, command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
summary() {
	echo "1..$n"
	echo "# took $(($(date +%s) - began)) s"
	echo "container: $((n - failed)) passed, $failed failed"
}
bail() {
	not_ok "$@"
	summary
	exit 1
}
cleanup() { # every container and pod this run started, each stop bounded
	local c p
	for c in "${containers[@]}"; do timeout 30 podman rm -f -t 5 "$c" >/dev/null 2>&1; done
	for p in "${pods[@]}"; do timeout 60 podman pod rm -f -t 5 "$p" >/dev/null 2>&1; done
	[ -n "${kube_cleanup:-}" ] && timeout 60 bash -c "$kube_cleanup" >/dev/null 2>&1
	rm -rf "$work/run"
	return 0
}
trap cleanup EXIT
trap 'not_ok "finishes within ${NGD_CONTAINER_TIMEOUT:-900} s (timed out or interrupted)"; summary; exit 130' INT TERM

for tool in podman runc debootstrap curl /usr/bin/python3; do
	command -v "$tool" >/dev/null || bail "$tool is installed (bash .ci/install-deps)"
done
[ "$(id -u)" = 0 ] || bail "runs as root (debootstrap and podman's bridge network need it)"

# --- the images ----------------------------------------------------------------------------------
t0=$(date +%s)
base=$(bash "$here/base.sh" "$work/cache" 2>"$work/base.log") || bail "the base image from debootstrap ($work/base.log)" "$(tail -3 "$work/base.log")"
ok "base image $base from a debootstrapped bookworm tree ($(($(date +%s) - t0)) s)"
t0=$(date +%s)
if podman build "${limits[@]}" --network host -t "$image" -f "$top/Containerfile" "$top" >"$work/build.log" 2>&1; then
	ok "podman build -f Containerfile . ($(($(date +%s) - t0)) s)"
else
	bail "podman build -f Containerfile ." "$(tail -5 "$work/build.log")"
fi
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "# image size: $((size / 1000000)) MB ($size bytes; the base alone $(($(podman image inspect --format '{{.Size}}' "$base") / 1000000)) MB)"
check "the image runs as the non-root user 10001:10001" test "$(podman image inspect --format '{{.Config.User}}' "$image")" = 10001:10001
check "the entrypoint is the daemon itself, no shell" test "$(podman image inspect --format '{{json .Config.Entrypoint}}' "$image")" = '["/usr/sbin/negotiated"]'

# --- one container: mounted configuration and secret ----------------------------------------------
run=$work/run
rm -rf "$run" && mkdir -p "$run/keys" "$run/secret"  # keys: the API key digests alone (the env variant)
api_key=$(head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_')
access_key=$(head -c 32 /dev/urandom | base64 -w0)
echo "app1 sha256:$(printf %s "$api_key" | sha256sum | cut -d' ' -f1)" >"$run/keys/apikeys"
cp "$run/keys/apikeys" "$run/secret/apikeys"
connection_string="Endpoint=https://negotiated-test.webpubsub.azure.com;AccessKey=$access_key;Version=1.0;"
printf '%s\n' "$connection_string" >"$run/secret/connection-string"
# as a Secret volume gives it: readable by the pod's user only
chown -R 10001:10001 "$run/secret" "$run/keys" && chmod 0400 "$run/secret"/* "$run/keys"/* && chmod 0500 "$run/secret" "$run/keys"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
hardened=(--read-only --cap-drop=ALL --security-opt no-new-privileges --user 10001:10001 "${limits[@]}")

start() { # name, port, extra podman run arguments...
	local name=$1 port=$2
	shift 2
	containers+=("$name")
	podman run -d --name "$name" "${hardened[@]}" -p "127.0.0.1:$port:8080" "$@" "$image" >/dev/null 2>"$work/$name.err"
}
wait_ready() { # port: until /readyz answers 200 (10 s)
	for _ in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}
verify_token() { # body file, key: {baseUrl,url,token}, HS256 with the key, audience the client URL
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys, jwt
body, key = json.load(open(sys.argv[1])), sys.argv[2]
assert set(body) == {"baseUrl", "url", "token"}, sorted(body)
assert body["url"].endswith("access_token=" + body["token"])
claims = jwt.decode(body["token"], key.encode(), algorithms=["HS256"],
                    audience=body["baseUrl"].replace("wss://", "https://"))
assert claims["sub"] == "app1", claims
PY
}
negotiate() { # port, body file: prints the status
	curl -s -o "$2" -w '%{http_code}' --max-time 5 -H "X-API-Key: $api_key" "http://127.0.0.1:$1/negotiate?hub=chat"
}

port=$(free_port) ct=ngd-ct-file-$$
start "$ct" "$port" -v "$top/deploy/container/negotiated.conf:/etc/negotiated/negotiated.conf:ro" \
	-v "$run/secret:/run/secrets/negotiated:ro" || bail "podman run --read-only --cap-drop=ALL --user 10001:10001" "$(cat "$work/$ct.err")"
if wait_ready "$port"; then ok "--read-only --cap-drop=ALL --user 10001: /readyz 200 with the mounted configuration and secret"; else
	bail "the container gets ready" "$(podman logs "$ct" 2>&1 | tail -5)"
fi
check "/healthz answers 200" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200
status=$(negotiate "$port" "$run/body")
if [ "$status" = 200 ] && verify_token "$run/body" "$access_key" 2>"$run/verify.err"; then
	ok "GET /negotiate with the API key: 200 and a token signed with the secret's access key"
else
	not_ok "GET /negotiate with the API key: 200 and a valid token" "status $status" "$(cat "$run/verify.err")"
fi
check "without a key: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/negotiate?hub=chat")" = 401
curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$run/metrics"
check "/metrics to the pod network (10.0.0.0/8): negotiated_ready 1" grep -qx 'negotiated_ready 1' "$run/metrics"
pid=$(podman inspect --format '{{.State.Pid}}' "$ct")
proc_ok() { # the container's process: the daemon alone, uid 10001, no capabilities
	local uid cap kids
	uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status") cap=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
	kids=$(pgrep -P "$pid" | wc -l)
	[ "$(cat "/proc/$pid/comm")" = negotiated ] && [ "$uid" = 10001 ] && [ "$cap" = 0000000000000000 ] && [ "$kids" = 0 ] ||
		{ echo "#   comm $(cat "/proc/$pid/comm") uid $uid CapEff $cap children $kids"; return 1; }
}
check "PID 1 is negotiated itself: uid 10001, no capabilities, no child process (no shell)" proc_ok
check "the root file system is read-only" test "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$ct")" = true
podman logs "$ct" >"$run/logs" 2>&1
check "its log (stderr) has the audit line of the token" grep -q 'audit event=issued.*hub="chat"' "$run/logs"
token=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$run/body" 2>/dev/null)
no_secret() { ! grep -qF -e "$access_key" -e "$api_key" -e "${token:-none}" "$run/logs"; }
check "no secret in the log (access key, API key, token)" no_secret

# SIGTERM with a request in flight: a refused one waits auth_failure_delay (here 5 s) before its
# answer; the stop answers it at once (401), and the daemon exits 0 well before the delay
port2=$(free_port) ct2=ngd-ct-drain-$$
sed 's/^threads = 2/threads = 2\nauth_failure_delay = 5000/' "$top/deploy/container/negotiated.conf" >"$run/drain.conf"
start "$ct2" "$port2" -v "$run/drain.conf:/etc/negotiated/negotiated.conf:ro" -v "$run/secret:/run/secrets/negotiated:ro" &&
	wait_ready "$port2" || not_ok "the drain container gets ready" "$(podman logs "$ct2" 2>&1 | tail -3)"
curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'X-API-Key: wrong-key-wrong-key' \
	"http://127.0.0.1:$port2/negotiate?hub=chat" >"$run/inflight" &
inflight=$!
sleep 1
t0=$(date +%s%N)
timeout 20 podman stop -t 15 "$ct2" >/dev/null 2>&1
stopped_ms=$((($(date +%s%N) - t0) / 1000000))
wait "$inflight"
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$ct2")
if [ "$(cat "$run/inflight")" = 401 ] && [ "$exit_code" = 0 ] && [ "$stopped_ms" -lt 4000 ]; then
	ok "SIGTERM answers the request in flight (401) and exits 0 in $stopped_ms ms"
else
	not_ok "SIGTERM answers the request in flight and exits 0" "in flight got '$(cat "$run/inflight")', exit code $exit_code, stop took $stopped_ms ms"
fi

# --- the connection string from an environment variable ------------------------------------------
port3=$(free_port) ct3=ngd-ct-env-$$
start "$ct3" "$port3" -v "$top/deploy/container/negotiated-env.conf:/etc/negotiated/negotiated.conf:ro" \
	-v "$run/keys:/run/secrets/negotiated:ro" -e WEBPUBSUB_CONNECTION_STRING="$connection_string"
if wait_ready "$port3" && [ "$(negotiate "$port3" "$run/body3")" = 200 ] && verify_token "$run/body3" "$access_key"; then
	ok "the connection string from WEBPUBSUB_CONNECTION_STRING (negotiated-env.conf): 200 and a valid token"
else
	not_ok "the connection string from the environment" "$(podman logs "$ct3" 2>&1 | tail -3)"
fi

# --- no secret mounted: refuses to start, naming the key --------------------------------------------
ct4=ngd-ct-nosecret-$$
containers+=("$ct4")
podman run --name "$ct4" "${hardened[@]}" -v "$top/deploy/container/negotiated.conf:/etc/negotiated/negotiated.conf:ro" \
	-v "$run/keys:/run/secrets/negotiated:ro" "$image" >"$run/nosecret.log" 2>&1
code=$?
if [ "$code" != 0 ] && grep -q 'connection_string_file' "$run/nosecret.log"; then
	ok "without the secret it exits $code naming connection_string_file"
else
	not_ok "without the secret it refuses to start, naming the key" "exit $code" "$(tail -3 "$run/nosecret.log")"
fi

# --- Kubernetes: the manifests with podman kube play ------------------------------------------------
if [ -f "$here/kube.sh" ]; then
	# shellcheck source=kube.sh
	. "$here/kube.sh"
fi

summary
[ "$failed" -eq 0 ]
