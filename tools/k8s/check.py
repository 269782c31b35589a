#!/usr/bin/env python3
"""Offline checks of deploy/: what `make k8s-check` runs (through tools/k8s/check.sh).

  check.py [--root deploy/kubernetes] [--dockerfile deploy/docker/Dockerfile]
           [--schemas ../shared/k8s-schemas] [--out DIR] [--skip STEP,...]

Steps (each can be skipped by name):
  render     `kubectl kustomize` of every overlay and of components/argocd
  core       kubernetes-validate --strict on the core kinds of every render
  crds       the custom resources against the JSON schemas in --schemas (skipped with a notice
             when that folder does not exist)
  checkov    checkov --framework kubernetes --skip-download on every render, skipping only the
             checks listed with a reason in deploy/kubernetes/checkov-exceptions.yaml
  promtool   `promtool check rules` on the PrometheusRule, `promtool test rules` on
             deploy/kubernetes/tests/alerts.test.yaml
  analysis   the AnalysisTemplates' queries (tools/observability/expressions.py, with sample
             arguments) parse as PromQL, and `promtool test rules` on
             deploy/kubernetes/tests/analysis.test.yaml runs them on canary and stable series
  hadolint   the Dockerfile
  dashboards the Grafana dashboards are what tools/observability/dashboards.py makes (--check), and
             every PromQL expression in them parses (`promtool check rules`, as recording rules)
  asserts    what the overlays' patches must have done, and that every reference (Service and
             PDB selectors, HPA and ScaledObject targets, ConfigMaps, Secrets, PVCs,
             ServiceAccounts) points at something in the same render

Exit status 0 when every step passes; otherwise 1, with each failure on a line starting "FAIL".
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

CORE_GROUPS = {"v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1", "batch/v1", "rbac.authorization.k8s.io/v1"}
ENVIRONMENTS = ("dev", "staging", "prod")
failures = []


def fail(step, message):
    failures.append(f"FAIL [{step}] {message}")
    print(failures[-1], flush=True)


def run(step, command, **kwargs):
    """Runs a command; a non-zero exit is a failure of `step` with the command's output."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail(step, f"{' '.join(command)} exited {result.returncode}:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    return result


# --- render ---------------------------------------------------------------------------------

def render(root, out):
    renders = {}
    targets = {env: os.path.join(root, "overlays", env) for env in ENVIRONMENTS}
    targets["argocd"] = os.path.join(root, "components", "argocd")
    for name, path in targets.items():
        result = run("render", ["kubectl", "kustomize", path])
        if result.returncode != 0:
            continue
        with open(os.path.join(out, f"{name}.yaml"), "w") as f:
            f.write(result.stdout)
        renders[name] = [d for d in yaml.safe_load_all(result.stdout) if d]
        print(f"render: {name}: {len(renders[name])} objects")
    return renders


# --- validation -----------------------------------------------------------------------------

def validate_core(renders, out):
    for name, docs in renders.items():
        core = [d for d in docs if d.get("apiVersion") in CORE_GROUPS]
        if not core:
            continue
        path = os.path.join(out, f"{name}.core.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(core, f, sort_keys=False)
        result = run("core", ["kubernetes-validate", "--strict", "--quiet", path])
        if result.returncode == 0:
            print(f"core: {name}: {len(core)} objects valid (strict)")


_schemas = {}


def load_schema(path):
    """A custom resource's JSON schema. A schema that allows unknown fields everywhere (no
    `additionalProperties: false` anywhere: Argo Rollouts' Rollout and AnalysisTemplate) is made
    strict, as kubeconform -strict does: every object with properties rejects others, except
    where the CRD keeps unknown fields (x-kubernetes-preserve-unknown-fields). A typo in a
    Rollout must fail here, not be dropped by the API server."""
    if path not in _schemas:
        with open(path) as f:
            schema = json.load(f)
        if '"additionalProperties": false' not in json.dumps(schema):
            def strict(node):
                if isinstance(node, dict):
                    if "properties" in node and "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                        node["additionalProperties"] = False
                    for value in node.values():
                        strict(value)
                elif isinstance(node, list):
                    for value in node:
                        strict(value)
            strict(schema)
        _schemas[path] = schema
    return _schemas[path]


def validate_crds(renders, schemas):
    if not os.path.isdir(schemas):
        print(f"NOTICE [crds] {schemas} does not exist: custom resources are not validated")
        return
    import jsonschema

    for name, docs in renders.items():
        checked = 0
        for d in docs:
            if d.get("apiVersion") in CORE_GROUPS:
                continue
            group, _, version = d["apiVersion"].rpartition("/")
            path = os.path.join(schemas, group, f"{d['kind'].lower()}_{version}.json")
            if not os.path.exists(path):
                fail("crds", f"{name}: no schema for {d['apiVersion']} {d['kind']} ({path})")
                continue
            schema = load_schema(path)
            errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(d), key=lambda e: list(e.path))
            for e in errors:
                fail("crds", f"{name}: {d['kind']}/{d['metadata']['name']}: {'.'.join(map(str, e.path)) or '(root)'}: {e.message}")
            checked += 1
        print(f"crds: {name}: {checked} custom resources checked")


def checkov(renders, out, exceptions_file):
    with open(exceptions_file) as f:
        exceptions = yaml.safe_load(f) or []
    for e in exceptions:
        if not e.get("reason"):
            fail("checkov", f"exception {e.get('id')} has no reason")
    skip = ",".join(e["id"] for e in exceptions)
    for name in renders:
        if name == "argocd":
            continue
        result = run("checkov", ["checkov", "--framework", "kubernetes", "--skip-download", "--quiet", "--compact",
                                 "--skip-check", skip, "-f", os.path.join(out, f"{name}.yaml")])
        if result.returncode == 0:
            print(f"checkov: {name}: passed ({len(exceptions)} accepted exceptions)")


def promtool(renders, out, tests):
    rules = [d for d in renders.get("prod", []) if d["kind"] == "PrometheusRule"]
    if not rules:
        fail("promtool", "the prod render has no PrometheusRule")
        return
    work = os.path.join(out, "promtool")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "rules.yaml"), "w") as f:
        yaml.safe_dump({"groups": rules[0]["spec"]["groups"]}, f, sort_keys=False)
    shutil.copy(tests, os.path.join(work, "alerts.test.yaml"))
    if run("promtool", ["promtool", "check", "rules", "rules.yaml"], cwd=work).returncode == 0:
        print("promtool: rules valid")
        if run("promtool", ["promtool", "test", "rules", "alerts.test.yaml"], cwd=work).returncode == 0:
            print("promtool: alert tests passed")


def analysis(renders, out, tests):
    """The AnalysisTemplates' Prometheus queries of the prod render, with sample arguments
    (tools/observability/expressions.py), as recording rules: `promtool check rules` parses them,
    `promtool test rules` on tests/analysis.test.yaml computes them on canary and stable series.
    Each becomes `analysis:<template>:<metric>` (dashes as underscores)."""
    import importlib.util

    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "observability", "expressions.py")
    spec = importlib.util.spec_from_file_location("walkaround_expressions", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        found = [e for e in module.expressions(renders.get("prod", [])) if e["kind"] == "analysis"]
    except ValueError as e:
        fail("analysis", str(e))
        return
    if not found:
        print("analysis: the prod render has no AnalysisTemplate queries")
        return
    work = os.path.join(out, "analysis")
    os.makedirs(work, exist_ok=True)
    name = lambda e: "analysis:" + ":".join(x.replace("-", "_") for x in (e["source"].partition("/")[2], e["name"]))
    rules = [{"record": name(e), "expr": e["expr"]} for e in found]
    with open(os.path.join(work, "analysis-rules.yaml"), "w") as f:
        yaml.safe_dump({"groups": [{"name": "analysis", "rules": rules}]}, f, sort_keys=False)
    if run("analysis", ["promtool", "check", "rules", "analysis-rules.yaml"], cwd=work).returncode != 0:
        return
    print(f"analysis: {len(rules)} queries parse")
    if os.path.exists(tests):
        shutil.copy(tests, os.path.join(work, "analysis.test.yaml"))
        if run("analysis", ["promtool", "test", "rules", "analysis.test.yaml"], cwd=work).returncode == 0:
            print("analysis: query tests passed")


def hadolint(dockerfile):
    if run("hadolint", ["hadolint", dockerfile]).returncode == 0:
        print("hadolint: passed")


def dashboards(root, out):
    """The committed dashboards (components/grafana-dashboards) and docs/observability.md are what
    tools/observability/dashboards.py makes, and every PromQL expression of theirs parses."""
    import importlib.util

    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "observability", "dashboards.py")
    if run("dashboards", [sys.executable, script, "--check", "--root", root]).returncode != 0:
        return
    spec = importlib.util.spec_from_file_location("walkaround_dashboards", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    work = os.path.join(out, "dashboards")
    os.makedirs(work, exist_ok=True)
    rules = [{"record": f"dashboard:expression_{i}", "expr": e} for i, e in enumerate(module.expressions())]
    with open(os.path.join(work, "rules.yaml"), "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, f, sort_keys=False)
    if run("dashboards", ["promtool", "check", "rules", "rules.yaml"], cwd=work).returncode == 0:
        print(f"dashboards: up to date, {len(rules)} PromQL expressions parse")


# --- assertions on the renders ----------------------------------------------------------------

def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container(deployment, name="walkaround"):
    for c in deployment["spec"]["template"]["spec"]["containers"]:
        if c["name"] == name:
            return c
    return None


def cpu(value):
    value = str(value)
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def pod_owner(docs, deployment):
    """The Rollout that takes this Deployment's pod template (workloadRef), else the Deployment."""
    for rollout in by_kind(docs, "Rollout").values():
        ref = rollout["spec"].get("workloadRef", {})
        if ref.get("kind") == "Deployment" and ref.get("name") == deployment["metadata"]["name"]:
            return rollout
    return deployment


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check(name, condition, message):
    if not condition:
        fail("asserts", f"{name}: {message}")


def assert_references(name, docs):
    """Everything that points at something points at something in the same render."""
    deployments = by_kind(docs, "Deployment")
    pods = [d["spec"]["template"]["metadata"].get("labels", {}) for d in deployments.values()]
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for service in by_kind(docs, "Service").values():
        check(name, any(matches(service["spec"].get("selector"), labels) for labels in pods),
              f"Service {service['metadata']['name']} selects no pod template")
    for pdb in by_kind(docs, "PodDisruptionBudget").values():
        check(name, any(matches(pdb["spec"]["selector"]["matchLabels"], labels) for labels in pods),
              f"PodDisruptionBudget {pdb['metadata']['name']} selects no pod template")
    scaled = {}
    for hpa in by_kind(docs, "HorizontalPodAutoscaler").values():
        target = hpa["spec"]["scaleTargetRef"]
        check(name, (target["kind"], target["name"]) in names, f"HPA {hpa['metadata']['name']} targets missing {target['kind']} {target['name']}")
        scaled.setdefault(target["name"], []).append(f"HPA {hpa['metadata']['name']}")
    for so in by_kind(docs, "ScaledObject").values():
        target = so["spec"]["scaleTargetRef"]
        check(name, (target["kind"], target["name"]) in names, f"ScaledObject {so['metadata']['name']} targets missing {target['kind']} {target['name']}")
        scaled.setdefault(target["name"], []).append(f"ScaledObject {so['metadata']['name']}")
        for trigger in so["spec"]["triggers"]:
            auth = trigger.get("authenticationRef", {}).get("name")
            check(name, auth is None or ("TriggerAuthentication", auth) in names, f"ScaledObject {so['metadata']['name']} uses missing TriggerAuthentication {auth}")
    for target, scalers in scaled.items():
        check(name, len(scalers) == 1, f"Deployment {target} has several autoscalers: {scalers}")
    # Secrets are made by External Secrets and by CloudNativePG (`<cluster>-app`, `<cluster>-ca`).
    made_secrets = {d["spec"]["target"]["name"] for d in docs if d["kind"] == "ExternalSecret"}
    for cluster in by_kind(docs, "Cluster"):
        made_secrets |= {f"{cluster}-app", f"{cluster}-ca"}
    services = by_kind(docs, "Service")
    for ingress in by_kind(docs, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            check(name, not rule["host"].endswith(".invalid"), f"Ingress {ingress['metadata']['name']}: host {rule['host']} not set by the overlay")
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                target = services.get(backend["name"])
                check(name, target is not None and any(p.get("name") == backend["port"].get("name") for p in target["spec"]["ports"]),
                      f"Ingress {ingress['metadata']['name']}: backend {backend['name']}:{backend['port']} is not a Service port in the render")
    for monitor in by_kind(docs, "ServiceMonitor").values():
        selected = [svc for svc in services.values() if matches(monitor["spec"]["selector"]["matchLabels"], svc["metadata"].get("labels", {}))]
        check(name, selected, f"ServiceMonitor {monitor['metadata']['name']} selects no Service")
        for endpoint in monitor["spec"]["endpoints"]:
            check(name, selected and all(any(p.get("name") == endpoint["port"] for p in svc["spec"]["ports"]) for svc in selected),
                  f"ServiceMonitor {monitor['metadata']['name']}: port {endpoint['port']} is not a named port of every Service it selects")
    for dep in deployments.values():
        spec = dep["spec"]["template"]["spec"]
        dname = dep["metadata"]["name"]
        check(name, matches(dep["spec"]["selector"]["matchLabels"], dep["spec"]["template"]["metadata"]["labels"]),
              f"Deployment {dname}: selector does not match its pod labels")
        if "serviceAccountName" in spec:
            check(name, ("ServiceAccount", spec["serviceAccountName"]) in names, f"Deployment {dname}: missing ServiceAccount {spec['serviceAccountName']}")
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                check(name, ("PersistentVolumeClaim", claim) in names, f"Deployment {dname}: missing PVC {claim}")
            secret = volume.get("secret")
            if secret and not secret.get("optional"):
                check(name, secret["secretName"] in made_secrets, f"Deployment {dname}: Secret {secret['secretName']} is made by nothing in the render")
            if "configMap" in volume:
                check(name, ("ConfigMap", volume["configMap"]["name"]) in names, f"Deployment {dname}: missing ConfigMap {volume['configMap']['name']}")
        for c in spec["containers"]:
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    check(name, ("ConfigMap", source["configMapRef"]["name"]) in names, f"Deployment {dname}: missing ConfigMap {source['configMapRef']['name']}")
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    check(name, ref["name"] in made_secrets, f"Deployment {dname}: Secret {ref['name']} is made by nothing in the render")


def assert_pods(name, docs):
    """Probes, security context and graceful termination on every Walkaround pod."""
    for dep in by_kind(docs, "Deployment").values():
        dname = dep["metadata"]["name"]
        spec = dep["spec"]["template"]["spec"]
        check(name, spec.get("securityContext", {}).get("runAsNonRoot") is True, f"{dname}: pod not runAsNonRoot")
        check(name, spec.get("securityContext", {}).get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{dname}: no RuntimeDefault seccomp")
        check(name, spec.get("automountServiceAccountToken") is False, f"{dname}: service account token mounted")
        check(name, any(c.get("topologyKey") == "topology.kubernetes.io/zone" for c in spec.get("topologySpreadConstraints", []))
              or dep["metadata"]["labels"].get("app.kubernetes.io/name") != "walkaround", f"{dname}: not spread over zones")
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            check(name, sc.get("allowPrivilegeEscalation") is False, f"{dname}/{c['name']}: privilege escalation allowed")
            check(name, sc.get("readOnlyRootFilesystem") is True, f"{dname}/{c['name']}: root filesystem writable")
            check(name, sc.get("capabilities", {}).get("drop") == ["ALL"], f"{dname}/{c['name']}: capabilities not dropped")
            for probe in ("livenessProbe", "readinessProbe"):
                check(name, probe in c, f"{dname}/{c['name']}: no {probe}")
            check(name, "requests" in c.get("resources", {}) and "limits" in c.get("resources", {}), f"{dname}/{c['name']}: no requests and limits")
            check(name, any(m["mountPath"] == "/tmp" for m in c.get("volumeMounts", [])), f"{dname}/{c['name']}: no writable /tmp")
        if dep["metadata"]["labels"].get("app.kubernetes.io/name") != "walkaround":
            continue
        c = container(dep)
        check(name, c is not None, f"{dname}: no walkaround container")
        if c is None:
            continue
        check(name, c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/health", f"{dname}: liveness is not /health")
        check(name, c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/ready", f"{dname}: readiness is not /ready")
        check(name, c.get("startupProbe", {}).get("httpGet", {}).get("path") == "/ready", f"{dname}: no startupProbe on /ready")
        check(name, any(p["containerPort"] == 8080 and p["name"] == "http" for p in c["ports"]), f"{dname}: port 8080 not named http")
        check(name, any(p["containerPort"] == 9090 and p["name"] == "metrics" for p in c["ports"]), f"{dname}: port 9090 not named metrics")
        check(name, "preStop" in c.get("lifecycle", {}), f"{dname}: no preStop")
        if dname == "walkaround-worker":
            config = next((d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == c["envFrom"][0]["configMapRef"]["name"]), {})
            drain = int(config.get("data", {}).get("WALKAROUND_WORKER_DRAIN_MS", "25000")) / 1000
            grace = spec.get("terminationGracePeriodSeconds", 30)
            check(name, grace > drain + 5, f"{dname}: terminationGracePeriodSeconds {grace} does not cover the drain ({drain} s) and preStop")
        startup = c.get("startupProbe", {})
        check(name, startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) >= 300, f"{dname}: startupProbe allows less than 5 minutes (model loading)")


def assert_environment(env, docs):
    """What each overlay's patches and components must have produced."""
    deployments = by_kind(docs, "Deployment")
    api, worker = deployments.get("walkaround-api"), deployments.get("walkaround-worker")
    check(env, api is not None and worker is not None, "api or worker Deployment missing")
    if api is None or worker is None:
        return
    replicas = {"dev": 1, "staging": 2, "prod": 3}[env]
    cpus = {"dev": 0.5, "staging": 1.0, "prod": 2.0}[env]
    for dep in (api, worker):
        c = container(dep)
        count = pod_owner(docs, dep)["spec"].get("replicas", 1)
        check(env, count >= replicas if env == "prod" else count == replicas,
              f"{dep['metadata']['name']}: {count} replicas, expected {replicas}{'+' if env == 'prod' else ''}")
        check(env, cpu(c["resources"]["requests"]["cpu"]) == cpus, f"{dep['metadata']['name']}: CPU request {c['resources']['requests']['cpu']}, expected {cpus}")
        tag = c["image"].rpartition(":")[2]
        check(env, ":" in c["image"] and tag not in ("base-unset", "latest", ""), f"{dep['metadata']['name']}: image {c['image']} has no release tag")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    api_hpa = hpas.get("walkaround-api")
    check(env, api_hpa is not None, "no HPA for the api")
    if api_hpa:
        targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in api_hpa["spec"]["metrics"]}
        check(env, targets == {"cpu": 70, "memory": 80}, f"api HPA targets {targets}, expected CPU 70 %, memory 80 %")
    # Photos are in the bucket: no pod shares a volume, and prod's bucket is in an EU region.
    claims = [v["persistentVolumeClaim"]["claimName"] for dep in (api, worker) for v in dep["spec"]["template"]["spec"].get("volumes", [])
              if "persistentVolumeClaim" in v]
    check(env, not claims, f"api or worker pods mount volumes {claims}: photos belong in the S3 bucket")
    rwx = [d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim" and "ReadWriteMany" in d["spec"].get("accessModes", [])]
    check(env, not rwx, f"ReadWriteMany volumes {rwx}")
    config = next((d.get("data", {}) for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("walkaround-config")), {})
    region, endpoint = config.get("WALKAROUND_S3_REGION", ""), config.get("WALKAROUND_S3_ENDPOINT", "")
    check(env, endpoint.startswith("https://") and config.get("WALKAROUND_S3_BUCKET"), f"no S3 bucket over HTTPS configured ({endpoint!r})")
    if env == "prod":
        check(env, region.startswith("eu-"), f"prod's photo bucket is in region {region!r}, not an EU one")
        check(env, "amazonaws.com" not in endpoint or f".{region}." in endpoint, f"prod's S3 endpoint {endpoint} is not the bucket region's ({region})")
    redis = by_kind(docs, "Service").get("walkaround-redis")
    if redis:
        # The name the service reads (it once read none: REDIS_URL was set and ignored).
        url = config.get("WALKAROUND_REDIS_URL", "")
        check(env, url == f"redis://walkaround-redis:{redis['spec']['ports'][0]['port']}", f"WALKAROUND_REDIS_URL {url!r} is not the Redis Service")
    scaled = by_kind(docs, "ScaledObject")
    inference = deployments.get("walkaround-inference")
    check(env, inference is not None, "no inference Deployment")
    if inference is None:
        return
    # The workers reach the inference pods through their Service, on the port the pods serve.
    services = by_kind(docs, "Service")
    url = config.get("WALKAROUND_INFERENCE_URL", "")
    target = services.get("walkaround-inference")
    check(env, target is not None and url == f"http://walkaround-inference:{target['spec']['ports'][0]['port']}",
          f"workers' WALKAROUND_INFERENCE_URL {url!r} is not the inference Service")
    if target:
        labels = inference["spec"]["template"]["metadata"]["labels"]
        check(env, matches(target["spec"]["selector"], labels), "the inference Service selects no inference pod")
    check(env, container(inference)["args"] == ["--role", "inference"], f"inference pods run {container(inference)['args']}")
    inference_hpa = hpas.get("walkaround-inference")
    check(env, inference_hpa is not None, "no HPA for the inference pods")
    if inference_hpa:
        targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in inference_hpa["spec"]["metrics"]}
        check(env, targets == {"cpu": 70, "memory": 80}, f"inference HPA targets {targets}, expected CPU 70 %, memory 80 %")
    gpu_limit = container(inference)["resources"].get("limits", {}).get("nvidia.com/gpu")
    worker_spec = worker["spec"]["template"]["spec"]
    check(env, container(worker)["resources"].get("limits", {}).get("nvidia.com/gpu") is None, "workers ask for a GPU: they belong on CPU nodes")
    check(env, "nvidia.com/gpu.present" not in worker_spec.get("nodeSelector", {}), "workers pinned to GPU nodes")
    if env == "dev":
        check(env, not scaled, "dev has a ScaledObject")
        check(env, gpu_limit is None, "dev inference pods ask for a GPU")
        check(env, by_kind(docs, "Cluster").get("walkaround-db", {}).get("spec", {}).get("instances") == 1, "dev database is not a single instance")
        return
    check(env, "walkaround-worker" in scaled, "no ScaledObject for the workers")
    check(env, "walkaround-worker" not in hpas, "the workers still have a CPU HPA beside KEDA")
    check(env, str(gpu_limit) == "1", f"inference pods' GPU limit is {gpu_limit}, expected 1")
    spec = inference["spec"]["template"]["spec"]
    check(env, spec.get("nodeSelector", {}).get("nvidia.com/gpu.present") == "true", "inference pods not on GPU nodes")
    check(env, any(t.get("key") == "nvidia.com/gpu" for t in spec.get("tolerations", [])), "inference pods do not tolerate the GPU taint")
    check(env, container(inference)["image"].startswith("ghcr.io/walkaround/walkaround-cuda:"), f"inference pods run {container(inference)['image']}, not the CUDA image")
    check(env, not container(worker)["image"].startswith("ghcr.io/walkaround/walkaround-cuda:"), "workers run the CUDA image")
    llm = deployments.get("walkaround-llm")
    check(env, llm is not None and str(container(llm, "llama-server")["resources"]["limits"].get("nvidia.com/gpu")) == "1", "no llama.cpp server on a GPU")
    cluster = by_kind(docs, "Cluster").get("walkaround-db")
    check(env, cluster is not None and cluster["spec"]["instances"] == 2, "database is not 1 primary + 1 replica")
    if env == "prod":
        check(env, api_hpa and (api_hpa["spec"]["minReplicas"], api_hpa["spec"]["maxReplicas"]) == (2, 50), "api HPA is not 2–50")
        so = scaled.get("walkaround-worker", {}).get("spec", {})
        check(env, (so.get("minReplicaCount"), so.get("maxReplicaCount")) == (2, 20), f"workers scale {so.get('minReplicaCount')}–{so.get('maxReplicaCount')}, expected 2–20")
        check(env, inference_hpa and (inference_hpa["spec"]["minReplicas"], inference_hpa["spec"]["maxReplicas"]) == (2, 8),
              "inference HPA is not 2–8")
        for dep in deployments.values():
            terms = dep["spec"]["template"]["spec"].get("affinity", {}).get("nodeAffinity", {}) \
                .get("requiredDuringSchedulingIgnoredDuringExecution", {}).get("nodeSelectorTerms", [])
            regions = [v for t in terms for e in t["matchExpressions"] if e["key"] == "topology.kubernetes.io/region" for v in e["values"]]
            check(env, regions and all(r.startswith("eu-") for r in regions), f"{dep['metadata']['name']}: not pinned to EU regions")


def assert_connections(name, docs):
    """At the most pods the autoscalers allow, the pools fit in the database's max_connections."""
    cluster = by_kind(docs, "Cluster").get("walkaround-db")
    if cluster is None:
        return
    limit = int(cluster["spec"].get("postgresql", {}).get("parameters", {}).get("max_connections", 100))
    ceilings = {h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"] for h in by_kind(docs, "HorizontalPodAutoscaler").values()}
    ceilings |= {s["spec"]["scaleTargetRef"]["name"]: s["spec"]["maxReplicaCount"] for s in by_kind(docs, "ScaledObject").values()}
    config = next((d.get("data", {}) for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("walkaround-config")), {})
    total = 0
    for dep in by_kind(docs, "Deployment").values():
        c = container(dep)
        if dep["metadata"]["labels"].get("app.kubernetes.io/name") != "walkaround" or c is None:
            continue
        if dep["metadata"]["labels"].get("app.kubernetes.io/component") == "inference":
            continue  # the inference role uses no shared database
        pool = next((int(e["value"]) for e in c.get("env", []) if e["name"] == "DATABASE_MAX_CONNECTIONS" and "value" in e),
                    int(config.get("DATABASE_MAX_CONNECTIONS", 20)))
        total += pool * ceilings.get(dep["metadata"]["name"], pod_owner(docs, dep)["spec"].get("replicas", 1))
    # Leave room for the operator, KEDA's query, the exporter and a person with psql.
    check(name, total + 20 <= limit, f"{total} pooled connections at full scale (+20 reserved) exceed max_connections {limit}")


def assert_network(name, docs):
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies.get("default-deny-all")
    check(name, deny is not None and deny["spec"]["podSelector"] == {} and set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"},
          "no default-deny NetworkPolicy for ingress and egress")
    for dep in by_kind(docs, "Deployment").values():
        labels = dep["spec"]["template"]["metadata"]["labels"]
        own = [p for p in policies.values() if p["spec"]["podSelector"] and matches(p["spec"]["podSelector"].get("matchLabels"), labels)]
        check(name, own, f"{dep['metadata']['name']}: no NetworkPolicy of its own (only the default deny)")


def assert_observability(env, docs):
    """Staging and prod: the dashboards' ConfigMaps for the Grafana sidecar, Alloy shipping logs, and
    every Walkaround pod sending traces to the collector, which its NetworkPolicy lets it reach."""
    if env == "dev":
        return
    boards = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    uids = sorted(json.loads(text).get("uid", "") for d in boards for text in d.get("data", {}).values())
    check(env, uids == sorted(["walkaround-overview", "walkaround-pipeline", "walkaround-inference", "walkaround-reports", "walkaround-station"]),
          f"Grafana dashboards {uids}")
    check(env, all(d["metadata"].get("annotations", {}).get("grafana_folder") for d in boards), "a dashboard ConfigMap has no grafana_folder")
    deployments = by_kind(docs, "Deployment")
    check(env, "walkaround-alloy" in deployments, "no Alloy Deployment shipping the logs to Loki")
    collector = by_kind(docs, "Service").get("otel-collector")
    check(env, collector is not None and "otel-collector" in deployments, "no OpenTelemetry Collector Deployment and Service")
    if collector is None:
        return
    port = next((p["port"] for p in collector["spec"]["ports"] if p.get("name") == "otlp-http"), None)
    config = next((d.get("data", {}) for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("walkaround-config")), {})
    check(env, config.get("WALKAROUND_TRACING") == "otlp", f"WALKAROUND_TRACING is {config.get('WALKAROUND_TRACING')!r}, not otlp")
    endpoint = config.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    check(env, endpoint == f"http://otel-collector:{port}", f"OTEL_EXPORTER_OTLP_ENDPOINT {endpoint!r} is not the collector's OTLP/HTTP port")
    policies = by_kind(docs, "NetworkPolicy")
    for role in ("api", "worker", "inference"):
        dep = deployments.get(f"walkaround-{role}")
        c = container(dep) if dep else None
        env_names = {e["name"]: e for e in (c or {}).get("env", [])}
        check(env, "OTEL_SERVICE_NAME" in env_names, f"walkaround-{role}: no OTEL_SERVICE_NAME (the tracing patch missed it)")
        policy = policies.get(f"walkaround-{role}", {})
        reaches = any(any(matches(t.get("podSelector", {}).get("matchLabels"), {"app.kubernetes.io/name": "otel-collector"}) for t in rule.get("to", []))
                      and any(p.get("port") == port for p in rule.get("ports", []))
                      for rule in policy.get("spec", {}).get("egress", []))
        check(env, reaches, f"NetworkPolicy walkaround-{role} does not let the pods reach the collector on {port}")


AGGREGATION = re.compile(r"\b(count_values|bottomk|quantile|stddev|stdvar|group|count|topk|sum|avg|min|max)\s*(by|without)?\s*\(")
SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)?\{([^{}]*)\}")


def closing(text, start):
    """The index just after the parenthesis that closes the one at `start`."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return len(text)


def aggregations_losing_namespace(expr):
    """Aggregations of an expression whose result has no `namespace` label (no `by (…namespace…)`,
    or `without (…namespace…)`): several environments share one Prometheus."""
    lost = []
    for m in AGGREGATION.finditer(expr):
        if m.group(2):  # sum by (labels) (…)
            end = closing(expr, m.end() - 1)
            labels, clause = expr[m.end():end - 1], m.group(2)
        else:  # sum (…) or sum (…) by (labels)
            end = closing(expr, m.end() - 1)
            after = re.match(r"\s*(by|without)\s*\(([^)]*)\)", expr[end:])
            labels, clause = (after.group(2), after.group(1)) if after else ("", "by")
        names = {label.strip() for label in labels.split(",")}
        if (clause == "by") != ("namespace" in names):
            lost.append(expr[m.start():m.end()].strip() + (labels + ")" if m.group(2) else " …"))
    return lost


def assert_prometheus(name, docs):
    """Every alert and recording rule keeps `namespace` through its aggregations; every analysis
    query selects the namespace (and the canary's pods) on every series it reads."""
    for rule_doc in by_kind(docs, "PrometheusRule").values():
        for group in rule_doc["spec"]["groups"]:
            for rule in group["rules"]:
                lost = aggregations_losing_namespace(str(rule["expr"]))
                check(name, not lost, f"rule {rule.get('alert') or rule.get('record')}: aggregation drops namespace: {lost}")
    for template in by_kind(docs, "AnalysisTemplate").values():
        tname = template["metadata"]["name"]
        for metric in template["spec"]["metrics"]:
            query = metric.get("provider", {}).get("prometheus", {}).get("query", "")
            where = f"AnalysisTemplate {tname} {metric['name']}"
            selectors = SELECTOR.findall(re.sub(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}", r"ARG_\1", query))
            check(name, selectors and all('namespace="ARG_namespace"' in labels for _, labels in selectors),
                  f"{where}: a series selector without namespace=\"{{{{args.namespace}}}}\"")
            check(name, "{{args.canary-hash}}" in query, f"{where}: the query does not select the canary's pods (rollouts_pod_template_hash)")
            for condition in ("successCondition", "failureCondition"):
                check(name, "len(result) > 0" in metric.get(condition, ""),
                      f"{where}: {condition} must guard an empty result (too little traffic is inconclusive, not a pass or a failure)")
            check(name, isinstance(metric.get("failureLimit"), int), f"{where}: no failureLimit")


def assert_rollouts(env, docs):
    """Canary releases: staging and prod run the api, worker and inference pods as Rollouts of the
    base's Deployments, gated by AnalysisTemplates that exist and get the arguments they need; dev
    keeps plain rolling Deployments."""
    rollouts, deployments = by_kind(docs, "Rollout"), by_kind(docs, "Deployment")
    templates = by_kind(docs, "AnalysisTemplate")
    expected = {"walkaround-api", "walkaround-worker", "walkaround-inference"} if env in ("staging", "prod") else set()
    check(env, set(rollouts) == expected, f"Rollouts {sorted(rollouts)}, expected {sorted(expected)}")
    for rname, rollout in rollouts.items():
        spec = rollout["spec"]
        ref = spec.get("workloadRef", {})
        target = deployments.get(ref.get("name")) if ref.get("kind") == "Deployment" else None
        check(env, target is not None, f"Rollout {rname}: workloadRef {ref.get('kind')}/{ref.get('name')} is not a Deployment in the render")
        check(env, "template" not in spec, f"Rollout {rname}: has a template of its own beside its workloadRef")
        check(env, ref.get("scaleDown") in ("progressively", "onsuccess"), f"Rollout {rname}: workloadRef.scaleDown {ref.get('scaleDown')!r} leaves the Deployment's pods running")
        if target is not None:
            # A Deployment with pods would roll a new template out by itself, beside the canary.
            check(env, target["spec"].get("replicas") == 0, f"Rollout {rname}: its Deployment has {target['spec'].get('replicas')} replicas, expected 0 (the Rollout owns the pods)")
        canary = spec.get("strategy", {}).get("canary", {})
        weights = [step["setWeight"] for step in canary.get("steps", []) if "setWeight" in step]
        check(env, weights == [10, 50] and sum("pause" in step for step in canary.get("steps", [])) == 2,
              f"Rollout {rname}: canary steps {canary.get('steps')}, expected 10 % → pause → 50 % → pause → 100 %")
        analyses = [canary.get("analysis", {})] + [step["analysis"] for step in canary.get("steps", []) if "analysis" in step]
        analyses = [a for a in analyses if a.get("templates")]
        check(env, analyses, f"Rollout {rname}: no analysis gates the canary")
        for a in analyses:
            passed = {arg["name"] for arg in a.get("args", [])}
            for ref in a["templates"]:
                template = templates.get(ref.get("templateName"))
                check(env, template is not None and not ref.get("clusterScope"), f"Rollout {rname}: AnalysisTemplate {ref.get('templateName')} is not in the render")
                if template is None:
                    continue
                missing = [arg["name"] for arg in template["spec"].get("args", []) if "value" not in arg and "valueFrom" not in arg and arg["name"] not in passed]
                check(env, not missing, f"Rollout {rname}: AnalysisTemplate {ref['templateName']} needs arguments {missing}")
            for arg in a.get("args", []):
                if arg["name"].endswith("-hash"):
                    check(env, "podTemplateHashValue" in arg.get("valueFrom", {}), f"Rollout {rname}: argument {arg['name']} is not a podTemplateHashValue")
    # Autoscalers scale the Rollout, never the Deployment whose pods it owns.
    owned = {r["spec"].get("workloadRef", {}).get("name") for r in rollouts.values()}
    for kind in ("HorizontalPodAutoscaler", "ScaledObject"):
        for scaler in by_kind(docs, kind).values():
            target = scaler["spec"]["scaleTargetRef"]
            check(env, not (target.get("kind", "Deployment") == "Deployment" and target["name"] in owned),
                  f"{kind} {scaler['metadata']['name']} scales Deployment {target['name']}, whose pods Rollout {target['name']} owns")
    if rollouts:
        relabeled = any(r.get("targetLabel") == "rollouts_pod_template_hash" and "__meta_kubernetes_pod_label_rollouts_pod_template_hash" in r.get("sourceLabels", [])
                        for m in by_kind(docs, "ServiceMonitor").values() for e in m["spec"]["endpoints"] for r in e.get("relabelings", []))
        check(env, relabeled, "no ServiceMonitor copies the pod label rollouts-pod-template-hash: the analyses cannot tell the canary's series")


def assertions(renders):
    before = len(failures)
    for env in ENVIRONMENTS:
        docs = renders.get(env)
        if docs is None:
            continue
        assert_references(env, docs)
        assert_pods(env, docs)
        assert_environment(env, docs)
        assert_connections(env, docs)
        assert_network(env, docs)
        assert_prometheus(env, docs)
        assert_rollouts(env, docs)
        assert_observability(env, docs)
    apps = {a["spec"]["source"]["path"] for a in renders.get("argocd", []) if a["kind"] == "Application"}
    check("argocd", apps == {f"deploy/kubernetes/overlays/{e}" for e in ENVIRONMENTS}, f"Applications point at {sorted(apps)}")
    print(f"asserts: {'passed' if len(failures) == before else 'failed'}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser()
    p.add_argument("--root", default=os.path.join(repo, "deploy", "kubernetes"))
    p.add_argument("--dockerfile", default=os.path.join(repo, "deploy", "docker", "Dockerfile"))
    p.add_argument("--schemas", default=os.path.join(os.path.dirname(repo), "shared", "k8s-schemas"))
    p.add_argument("--out")
    p.add_argument("--skip", default="")
    a = p.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    out = a.out or tempfile.mkdtemp(prefix="k8s-check-")
    os.makedirs(out, exist_ok=True)
    renders = render(a.root, out)
    if "core" not in skip:
        validate_core(renders, out)
    if "crds" not in skip:
        validate_crds(renders, a.schemas)
    if "checkov" not in skip:
        checkov(renders, out, os.path.join(a.root, "checkov-exceptions.yaml"))
    if "promtool" not in skip:
        promtool(renders, out, os.path.join(a.root, "tests", "alerts.test.yaml"))
    if "analysis" not in skip:
        analysis(renders, out, os.path.join(a.root, "tests", "analysis.test.yaml"))
    if "hadolint" not in skip:
        hadolint(a.dockerfile)
    if "dashboards" not in skip:
        dashboards(a.root, out)
    if "asserts" not in skip:
        assertions(renders)
    print(f"k8s-check: {'FAILED, ' + str(len(failures)) + ' failure(s)' if failures else 'passed'} (renders in {out})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
