# SPDX-License-Identifier: Apache-2.0
"""Validates deploy/kubernetes/ without a cluster: every object against the Kubernetes API's
schema as Debian's python3-kubernetes (22.6, API 1.22) models it (each field known, of its type,
required fields present), then what the manifests promise: the restricted Pod Security Standard,
probes, resources, 2 replicas, selectors that match, every volume, key and ConfigMap consistent,
the ConfigMaps' negotiated.conf equal to the files under deploy/container/.
Prints TAP lines "ok"/"not ok" (numbered by the caller) as "ok|not ok<TAB>what<TAB>detail".
usage: k8s_validate.py TOP"""
import os
import re
import sys

import yaml
from kubernetes import client

top = sys.argv[1]
kube = os.path.join(top, "deploy", "kubernetes")
MODELS = {("v1", "ConfigMap"): "V1ConfigMap", ("v1", "Secret"): "V1Secret", ("v1", "Service"): "V1Service",
          ("v1", "ServiceAccount"): "V1ServiceAccount", ("apps/v1", "Deployment"): "V1Deployment",
          ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget"}
PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": (str, int, dict, list),
             "datetime": str, "date": str}


def report(good, what, detail=""):
    print(f"{'ok' if good else 'not ok'}\t{what}\t{detail}")


def check_type(value, kind, where, errors):
    """value against an OpenAPI type name of the client ('V1PodSpec', 'list[V1Container]', ...)"""
    if value is None:
        return
    m = re.fullmatch(r"list\[(.+)\]", kind)
    if m:
        if not isinstance(value, list):
            return errors.append(f"{where}: a list expected")
        for i, item in enumerate(value):
            check_type(item, m.group(1), f"{where}[{i}]", errors)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", kind)
    if m:
        if not isinstance(value, dict):
            return errors.append(f"{where}: a map expected")
        for k, item in value.items():
            check_type(item, m.group(1), f"{where}.{k}", errors)
        return
    if kind in PRIMITIVE:
        if not isinstance(value, PRIMITIVE[kind]) or (kind == "int" and isinstance(value, bool)):
            errors.append(f"{where}: {kind} expected, not {type(value).__name__}")
        return
    model = getattr(client, kind)
    if not isinstance(value, dict):
        return errors.append(f"{where}: an object ({kind}) expected")
    fields = {json: attr for attr, json in model.attribute_map.items()}
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{where}.{key}: no such field in {kind}")
        else:
            check_type(item, model.openapi_types[fields[key]], f"{where}.{key}", errors)


def schema_errors(doc):
    model = MODELS.get((doc.get("apiVersion"), doc.get("kind")))
    if not model:
        return [f"{doc.get('apiVersion')} {doc.get('kind')}: not a kind these manifests should hold"]
    errors = []
    check_type(doc, model, doc["kind"], errors)
    if not errors:  # required fields: the models' constructors refuse a missing one
        try:
            client.ApiClient()._ApiClient__deserialize(doc, model)
        except (ValueError, TypeError) as e:
            errors.append(f"{doc['kind']}: {e}")
    return errors


def load(folder):
    docs = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            for doc in yaml.safe_load_all(open(os.path.join(folder, name))):
                docs[(doc["kind"], name)] = doc
    return docs


def restricted(pod):
    """what the restricted Pod Security Standard (and this project) asks of the pod"""
    bad = []
    sc = pod.get("securityContext", {})
    if sc.get("runAsNonRoot") is not True:
        bad.append("pod runAsNonRoot is not true")
    if sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        bad.append("pod seccompProfile is not RuntimeDefault")
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        bad.append("host namespaces")
    for v in pod.get("volumes", []):
        if not set(v) - {"name"} <= {"configMap", "secret", "projected", "emptyDir", "downwardAPI"}:
            bad.append(f"volume {v['name']} is of a type the restricted profile refuses")
    for c in pod["containers"]:
        csc = c.get("securityContext", {})
        if csc.get("allowPrivilegeEscalation") is not False:
            bad.append(f"{c['name']}: allowPrivilegeEscalation is not false")
        if csc.get("capabilities", {}).get("drop") != ["ALL"] or csc.get("capabilities", {}).get("add"):
            bad.append(f"{c['name']}: capabilities are not drop [ALL]")
        if csc.get("privileged"):
            bad.append(f"{c['name']}: privileged")
        if csc.get("readOnlyRootFilesystem") is not True:
            bad.append(f"{c['name']}: root file system not read-only")
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            bad.append(f"{c['name']}: no liveness probe on /healthz")
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            bad.append(f"{c['name']}: no readiness probe on /readyz")
        res = c.get("resources", {})
        if not res.get("requests", {}).get("memory") or not res.get("limits", {}).get("memory"):
            bad.append(f"{c['name']}: no memory request and limit")
        mounts = {m["name"] for m in c.get("volumeMounts", [])}
        if mounts != {v["name"] for v in pod.get("volumes", [])}:
            bad.append(f"{c['name']}: volumes and mounts differ")
    return bad


def variant(folder, label, conf_file, shared):
    docs = load(folder)
    docs.update(shared)
    for (kind, name), doc in sorted(docs.items()):
        errors = schema_errors(doc)
        report(not errors, f"{label}{name}: {kind} fits the Kubernetes {doc['apiVersion']} schema", "; ".join(errors))
    deploy = next(d for (k, _), d in docs.items() if k == "Deployment")
    pod = deploy["spec"]["template"]["spec"]
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    bad = restricted(pod)
    report(not bad, f"{label}deployment.yaml: restricted pod security, probes, resources", "; ".join(bad))
    report(deploy["spec"].get("replicas") == 2, f"{label}deployment.yaml: 2 replicas")
    sel = [d["spec"]["selector"] for (k, _), d in docs.items() if k == "Service"]
    sel += [d["spec"]["selector"]["matchLabels"] for (k, _), d in docs.items() if k == "PodDisruptionBudget"]
    sel.append(deploy["spec"]["selector"]["matchLabels"])
    report(all(set(s.items()) <= set(labels.items()) for s in sel),
           f"{label}the Deployment's, Service's and PodDisruptionBudget's selectors match the pods")
    cm = next(d for (k, _), d in docs.items() if k == "ConfigMap")
    report(cm["data"]["negotiated.conf"] == open(os.path.join(top, conf_file)).read(),
           f"{label}configmap.yaml holds {conf_file} as it is")
    refs = [v for v in pod["volumes"] if "configMap" in v or "secret" in v]
    secrets = {d["metadata"]["name"]: d for (k, _), d in docs.items() if k == "Secret"}
    missing = []
    for v in refs:
        src = v.get("configMap") or v.get("secret")
        name = src.get("name") or src.get("secretName")
        have = cm if "configMap" in v else secrets.get(name)
        if have is None:
            if name != "negotiated-apikeys":  # made by the operator (kustomization.yaml says how)
                missing.append(f"{v['name']}: {name} is not in the manifests")
            continue
        keys = set(have.get("data", {})) | set(have.get("stringData", {}))
        missing += [f"{v['name']}: no key {i['key']} in {name}" for i in src.get("items", []) if i["key"] not in keys]
    report(not missing, f"{label}every ConfigMap and Secret key the pods mount exists", "; ".join(missing))
    kust = yaml.safe_load(open(os.path.join(folder, "kustomization.yaml")))
    absent = [r for r in kust["resources"] if not os.path.isfile(os.path.join(folder, r))]
    report(not absent, f"{label}kustomization.yaml lists files that exist", " ".join(absent))
    return docs


base = variant(kube, "", "deploy/container/negotiated.conf", {})
shared = {k: v for k, v in base.items() if k[0] in ("Service", "PodDisruptionBudget")}
wi = variant(os.path.join(kube, "workload-identity"), "workload-identity/",
             "deploy/container/negotiated-workload-identity.conf", shared)
wipod = next(d for (k, _), d in wi.items() if k == "Deployment")["spec"]["template"]["spec"]
env = {e["name"]: e.get("value") for e in wipod["containers"][0].get("env", [])}
proj = [s["serviceAccountToken"] for v in wipod["volumes"] if "projected" in v for s in v["projected"]["sources"]]
mount = next((m["mountPath"] for m in wipod["containers"][0]["volumeMounts"]
              if any("projected" in v and v["name"] == m["name"] for v in wipod["volumes"])), "")
sa = next(d for (k, _), d in wi.items() if k == "ServiceAccount")
good = (proj and proj[0].get("audience") == "api://AzureADTokenExchange"
        and env.get("AZURE_FEDERATED_TOKEN_FILE") == f"{mount}/{proj[0]['path']}"
        and {"AZURE_CLIENT_ID", "AZURE_TENANT_ID"} <= set(env)
        and wipod.get("serviceAccountName") == sa["metadata"]["name"]
        and "azure.workload.identity/client-id" in sa["metadata"].get("annotations", {}))
report(bool(good), "workload-identity: the projected token (audience api://AzureADTokenExchange) is the file "
       "AZURE_FEDERATED_TOKEN_FILE names, with the client and tenant ids and the annotated ServiceAccount")

# the schema check itself refuses a misspelt field and a missing required one
typo = yaml.safe_load(open(os.path.join(kube, "deployment.yaml")))
typo["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True
no_name = yaml.safe_load(open(os.path.join(kube, "deployment.yaml")))
del no_name["spec"]["template"]["spec"]["containers"][0]["name"]
caught = [schema_errors(typo), schema_errors(no_name)]
report(all(caught), "the schema check refuses readOnlyRootFileSystem (misspelt) and a container without a name",
       " | ".join("; ".join(c) for c in caught))
