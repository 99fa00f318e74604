# SPDX-License-Identifier: Apache-2.0
# Sourced by tests/container/run.sh (its helpers, image and secrets): deploy/kubernetes/ checked
# against the Kubernetes schemas Debian has (python3-kubernetes' models, k8s_validate.py) and
# played with `podman kube play` on the same image; the pods are asked for a token.
kube_run=$run/kube
mkdir -p "$kube_run"
while IFS=$'\t' read -r verdict what detail; do
	if [ "$verdict" = ok ]; then ok "kubernetes: $what"; else not_ok "kubernetes: $what" "$detail"; fi
done < <(/usr/bin/python3 "$here/k8s_validate.py" "$top" 2>&1 || echo "not ok	k8s_validate.py runs	python3-yaml and python3-kubernetes installed?")

# The manifests as they are, but the Secret with this run's values, and the image named as the
# Deployment names it.
manifest_image=$(sed -n 's/^ *image: *//p' "$top/deploy/kubernetes/deployment.yaml")
podman tag "$image" "localhost/$manifest_image"
/usr/bin/python3 - "$top/deploy/kubernetes" "$kube_run" "$run/secret" <<'PY'
import sys, yaml
kube, out, secret_dir = sys.argv[1:]
deployment = yaml.safe_load(open(f"{kube}/deployment.yaml"))
pod = deployment["spec"]["template"]["spec"]
# podman 4.3 publishes a containerPort that has no hostPort on the host's 0.0.0.0 (both replicas
# on one port): the played copy declares no ports, and its probes name the number
for c in pod["containers"]:
    port = {p["name"]: p["containerPort"] for p in c.pop("ports")}
    for probe in ("livenessProbe", "readinessProbe"):
        c[probe]["httpGet"]["port"] = port[c[probe]["httpGet"]["port"]]
# podman 4.3 mounts a kube Secret's values mangled (its own secrets hold one value each): the
# played copy mounts the same two files, this run's, from the host instead
for v in pod["volumes"]:
    if "secret" in v:
        assert [i["key"] for i in v.pop("secret")["items"]] == ["connection-string", "apikeys"]
        v["hostPath"] = {"path": secret_dir, "type": "Directory"}
docs = [yaml.safe_load(open(f"{kube}/configmap.yaml")), deployment]
yaml.safe_dump_all(docs, open(f"{out}/play.yaml", "w"), sort_keys=False)
PY
kube_cleanup="command podman kube down '$kube_run/play.yaml'"
t0=$(date +%s)
if podman kube play "$kube_run/play.yaml" >"$work/kube-play.log" 2>&1; then
	ok "podman kube play configmap.yaml and deployment.yaml ($(($(date +%s) - t0)) s)"
else
	not_ok "podman kube play configmap.yaml and deployment.yaml" "$(tail -5 "$work/kube-play.log")"
fi
pods+=($(podman pod ps --filter label=app.kubernetes.io/name=negotiated --format '{{.Name}}' 2>/dev/null))
kube_ips=$(for p in "${pods[@]}"; do # a pod's address is its infra container's
	podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' \
		"$(podman pod inspect --format '{{.InfraContainerID}}' "$p")"
done | tr ' ' '\n' | grep . | sort -u)
echo "# pods: ${pods[*]:-none}; addresses (podman's bridge, in the namespaces this run made): $(echo ${kube_ips:-none})"
asked=0
for ip in $kube_ips; do
	for _ in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$ip:8080/readyz")" = 200 ] && break
		sleep 0.1
	done
	status=$(curl -s -o "$kube_run/body-$ip" -w '%{http_code}' --max-time 5 -H "X-API-Key: $api_key" "http://$ip:8080/negotiate?hub=chat")
	if [ "$status" = 200 ] && verify_token "$kube_run/body-$ip" "$access_key" 2>"$kube_run/verify.err"; then
		ok "the pod at $ip (kube play of deployment.yaml): /readyz, then 200 and a valid token from /negotiate"
		asked=$((asked + 1))
	else
		not_ok "the pod at $ip answers /negotiate with a valid token" "status $status" "$(cat "$kube_run/verify.err" 2>/dev/null)" \
			"$(for p in "${pods[@]}"; do podman logs "$p-negotiated" 2>&1 | tail -2; done)"
	fi
done
[ "$asked" -gt 0 ] || not_ok "kube play started a pod that answers" "$(tail -5 "$work/kube-play.log")"

# The workload-identity variant cannot be played here (its token exchange needs Entra ID): the
# image checks its configuration with the Deployment's environment and a token file where the
# projected volume puts it, with no network; and refuses it without the token file.
wi_env=()
while IFS= read -r kv; do wi_env+=(-e "$kv"); done < <(/usr/bin/python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
for e in d["spec"]["template"]["spec"]["containers"][0]["env"]:
    print(e["name"] + "=" + e["value"])' "$top/deploy/kubernetes/workload-identity/deployment.yaml")
mkdir -p "$kube_run/token" && echo 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln' >"$kube_run/token/azure-identity-token"
chown -R 10001:10001 "$kube_run/token"
wi_check() { # extra podman run arguments...
	podman run --rm --network none "${hardened[@]}" "${wi_env[@]}" \
		-v "$top/deploy/container/negotiated-workload-identity.conf:/etc/negotiated/negotiated.conf:ro" \
		-v "$run/keys:/run/secrets/negotiated:ro" "$@" "$image" --config /etc/negotiated/negotiated.conf --check-config 2>&1
}
out=$(wi_check -v "$kube_run/token:/var/run/secrets/azure/tokens:ro")
if [ $? = 0 ]; then ok "workload identity: the image accepts negotiated-workload-identity.conf with the Deployment's AZURE_* and token file"; else
	not_ok "workload identity: the image accepts its configuration" "$out"; fi
out=$(wi_check)
if [ $? != 0 ] && grep -q 'federated_token_file' <<<"$out"; then ok "workload identity: without the projected token file it refuses, naming federated_token_file"; else
	not_ok "workload identity: refuses without the token file" "$out"; fi
