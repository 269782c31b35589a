#!/usr/bin/env python3
"""Every PromQL expression of the rendered Kubernetes manifests, for checks that run them.

  expressions.py [RENDER]    prints the expressions as a JSON list

RENDER is a rendered manifest (`kubectl kustomize deploy/kubernetes/overlays/prod > prod.yaml`),
a folder holding `prod.yaml` (what `tools/k8s/check.py --out DIR` writes), or a kustomization
folder (rendered here with `kubectl kustomize`); the default is the prod overlay.

    from expressions import expressions
    expressions("deploy/kubernetes/overlays/prod")  # or a file, a folder, or a list of documents
    -> [{"source": "PrometheusRule/walkaround", "name": "PhotoFindingsSLOBurnFast", "expr": "...",
         "kind": "alert", "group": "walkaround.slo"},
        {"source": "AnalysisTemplate/walkaround-canary-http-errors", "name": "http-5xx-share",
         "expr": "...", "kind": "analysis", "args": {"namespace": "walkaround-prod", ...}}, ...]

The keys `source`, `name` and `expr` are the contract; `kind` is "alert", "record" or
"analysis". An AnalysisTemplate's `{{args.NAME}}` placeholders are replaced by sample values, so
that Prometheus can parse and run the query: the argument's value in the template (the
Prometheus address), else how the Rollouts that use the template pass it — the namespace for
`fieldRef: metadata.namespace`, "canary" for `podTemplateHashValue: Latest`, "stable" for
`Stable`, a literal `value` as it is. (The pod-template hashes match no real series; a live check
asks whether a query parses and which metrics it names, deploy/kubernetes/tests/analysis.test.yaml
feeds series labelled with these samples.) An argument with no sample is an error. Grafana
dashboards have their own list (tools/observability/dashboards.py).
"""
import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROD = os.path.join(REPO, "deploy", "kubernetes", "overlays", "prod")

# The sample values of `podTemplateHashValue` (the label rollouts_pod_template_hash).
POD_TEMPLATE_HASHES = {"Latest": "canary", "Stable": "stable"}
DEFAULT_NAMESPACE = "walkaround-prod"
PLACEHOLDER = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")


def load(render_dir_or_docs):
    """The documents of a render: a list of dicts as it is, else a YAML file, a folder with
    prod.yaml, or a kustomization folder (rendered with kubectl)."""
    if not isinstance(render_dir_or_docs, (str, os.PathLike)):
        return [d for d in render_dir_or_docs if d]
    path = os.fspath(render_dir_or_docs)
    if os.path.isdir(path):
        if any(os.path.exists(os.path.join(path, k)) for k in ("kustomization.yaml", "kustomization.yml", "Kustomization")):
            result = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True, check=True)
            return [d for d in yaml.safe_load_all(result.stdout) if d]
        path = os.path.join(path, "prod.yaml")
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def sample_args(template, rollouts):
    """Sample values for a template's arguments: its own defaults, then what the Rollouts that
    name it pass (the first Rollout that passes an argument wins)."""
    values = {}
    namespace = template["metadata"].get("namespace", DEFAULT_NAMESPACE)
    for arg in template["spec"].get("args", []):
        if "value" in arg:
            values[arg["name"]] = str(arg["value"])
    for rollout in rollouts:
        analysis = rollout["spec"].get("strategy", {}).get("canary", {}).get("analysis", {})
        steps = [s["analysis"] for s in rollout["spec"].get("strategy", {}).get("canary", {}).get("steps", []) if "analysis" in s]
        for a in [analysis] + steps:
            if not any(t.get("templateName") == template["metadata"]["name"] for t in a.get("templates", [])):
                continue
            for arg in a.get("args", []):
                if arg["name"] in values:
                    continue
                source = arg.get("valueFrom", {})
                if "value" in arg:
                    values[arg["name"]] = str(arg["value"])
                elif "podTemplateHashValue" in source:
                    values[arg["name"]] = POD_TEMPLATE_HASHES[source["podTemplateHashValue"]]
                elif source.get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
                    values[arg["name"]] = rollout["metadata"].get("namespace", namespace)
    return values


def substitute(query, values, where):
    def replace(match):
        if match.group(1) not in values:
            raise ValueError(f"{where}: no sample value for {{{{args.{match.group(1)}}}}}")
        return values[match.group(1)]
    return PLACEHOLDER.sub(replace, query)


def expressions(render_dir_or_docs=PROD):
    """Every alert and recording rule expression and every AnalysisTemplate query (arguments
    substituted) of a render: [{"source", "name", "expr", "kind", ...}]."""
    docs = load(render_dir_or_docs)
    found = []
    for doc in docs:
        if doc.get("kind") != "PrometheusRule":
            continue
        for group in doc["spec"].get("groups", []):
            for rule in group.get("rules", []):
                kind = "alert" if "alert" in rule else "record"
                found.append({"source": f"PrometheusRule/{doc['metadata']['name']}", "name": rule.get("alert") or rule.get("record"),
                              "expr": str(rule["expr"]).strip(), "kind": kind, "group": group["name"]})
    rollouts = [d for d in docs if d.get("kind") == "Rollout"]
    for doc in docs:
        if doc.get("kind") not in ("AnalysisTemplate", "ClusterAnalysisTemplate"):
            continue
        values = sample_args(doc, rollouts)
        for metric in doc["spec"].get("metrics", []):
            query = metric.get("provider", {}).get("prometheus", {}).get("query")
            if query is None:
                continue
            where = f"{doc['kind']}/{doc['metadata']['name']} {metric['name']}"
            found.append({"source": f"{doc['kind']}/{doc['metadata']['name']}", "name": metric["name"],
                          "expr": substitute(query, values, where).strip(), "kind": "analysis",
                          "args": {k: values[k] for k in sorted(set(PLACEHOLDER.findall(query)))}})
    return found


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else PROD
    json.dump(expressions(target), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
