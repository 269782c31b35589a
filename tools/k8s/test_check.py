#!/usr/bin/env python3
"""Proves that `make k8s-check` catches broken manifests: each case copies deploy/ into a
temporary folder, breaks one thing, runs tools/k8s/check.py on the copy and expects it to fail
with a message that names the breakage. The unbroken copy must pass the same steps.

checkov and hadolint are skipped here (they run on the real tree in check.py), except in the
Dockerfile case.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    if old not in text:
        raise SystemExit(f"test_check: the case's text is no longer in {path}: {old!r}")
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


CASES = [
    # (name, file under deploy/, old text, new text, steps to skip, text the failure must contain)
    ("a typo in a field name", "kubernetes/base/api.yaml", "  revisionHistoryLimit: 5", "  revisionHistoryLimt: 5",
     "checkov,hadolint", "revisionHistoryLimt"),
    ("a wrong type in a core field", "kubernetes/base/hpa.yaml", "          averageUtilization: 70", "          averageUtilization: seventy",
     "checkov,hadolint", "[core]"),
    ("a typo in a custom resource", "kubernetes/components/keda/scaledobject.yaml", "  pollingInterval: 15", "  pollingIntervall: 15",
     "checkov,hadolint", "pollingIntervall"),
    ("a broken alert expression", "kubernetes/base/prometheusrule.yaml",
     "sum by (namespace, model, le) (rate(inference_duration_seconds_bucket[5m]))) > 0.5",
     "sum by (namespace, model, le) (rate(inference_duration_seconds_bucket[5m])) > 0.5", "checkov,hadolint", "[promtool]"),
    ("an alert that no longer fires on the data it is for", "kubernetes/base/prometheusrule.yaml",
     "[30m])) > 0.2", "[30m])) > 0.9", "checkov,hadolint", "LLMFallbackRateHigh"),
    ("a patch whose path no longer exists", "kubernetes/components/postgres/cluster.yaml", "  storage:\n    size: 50Gi\n", "",
     "checkov,hadolint", "[render]"),
    ("a patch that no longer reaches its target", "kubernetes/components/gpu/kustomization.yaml", "      name: walkaround-inference", "      name: walkaround-inferences",
     "checkov,hadolint", "GPU limit"),
    ("an autoscaler pointing at no Deployment", "kubernetes/base/hpa.yaml", "    kind: Deployment\n    name: walkaround-api", "    kind: Deployment\n    name: walkaround-apis",
     "checkov,hadolint", "HPA walkaround-api targets missing Deployment walkaround-apis"),
    ("a ScaledObject pointing at no Deployment", "kubernetes/components/keda/scaledobject.yaml", "    name: walkaround-worker\n  minReplicaCount", "    name: walkaround-workers\n  minReplicaCount",
     "checkov,hadolint", "ScaledObject walkaround-worker targets missing Rollout walkaround-workers"),
    ("a ServiceMonitor scraping a port that does not exist", "kubernetes/base/servicemonitor.yaml", "    - port: metrics", "    - port: metricz",
     "checkov,hadolint", "port metricz is not a named port"),
    ("an api that can outgrow the database's connections", "kubernetes/overlays/prod/kustomization.yaml", '        value: "400"', '        value: "250"',
     "checkov,hadolint", "exceed max_connections 250"),
    ("a Service selecting no pods", "kubernetes/base/services.yaml", "    app.kubernetes.io/component: api\n  ports:", "    app.kubernetes.io/component: apis\n  ports:",
     "checkov,hadolint", "Service walkaround-api selects no pod template"),
    ("a prod patch that drops the CPU size", "kubernetes/overlays/prod/kustomization.yaml", 'value: {cpu: "2", memory: 2Gi}', 'value: {cpu: "1", memory: 2Gi}',
     "checkov,hadolint", "CPU request 1"),
    ("a root container", "kubernetes/base/pod-defaults.yaml", "            runAsNonRoot: true\n", "            runAsNonRoot: false\n",
     "hadolint", "[checkov]"),
    ("a Dockerfile that runs as root", "docker/Dockerfile", "USER 10001:10001\n", "USER root\n",
     "checkov", "[hadolint]"),
    ("workers pointed at no inference Service", "kubernetes/base/kustomization.yaml",
     "WALKAROUND_INFERENCE_URL=http://walkaround-inference:8080", "WALKAROUND_INFERENCE_URL=http://walkaround-infer:8080", "checkov,hadolint",
     "is not the inference Service"),
    ("prod's photo bucket moved out of the EU", "kubernetes/overlays/prod/kustomization.yaml",
     "      - WALKAROUND_S3_REGION=eu-central-1", "      - WALKAROUND_S3_REGION=us-east-1", "checkov,hadolint", "not an EU one"),
    ("an SLO alert that no longer fires on a fast burn", "kubernetes/base/prometheusrule.yaml",
     "walkaround:slo_availability_errors:ratio_rate1h > (14.4 * 0.005)", "walkaround:slo_availability_errors:ratio_rate1h > (28.8 * 0.005)",
     "checkov,hadolint", "AvailabilitySLOBurnFast"),
    ("a recording rule that sums the environments together", "kubernetes/base/prometheusrule.yaml",
     'sum by (namespace) (rate(walkaround_photo_processing_seconds_count[3d]))', 'sum(rate(walkaround_photo_processing_seconds_count[3d]))',
     "checkov,hadolint", "walkaround:slo_photo_findings_errors:ratio_rate3d: aggregation drops namespace"),
    ("a typo in a Rollout", "kubernetes/components/rollouts/rollouts.yaml", "  progressDeadlineAbort: true\n", "  progressDeadlineAbourt: true\n",
     "checkov,hadolint", "progressDeadlineAbourt"),
    ("a Rollout of a Deployment that does not exist", "kubernetes/components/rollouts/rollouts.yaml",
     "    name: walkaround-worker\n    scaleDown", "    name: walkaround-workers\n    scaleDown",
     "checkov,hadolint", "Rollout walkaround-worker: workloadRef Deployment/walkaround-workers is not a Deployment in the render"),
    ("Deployments left running beside their Rollouts", "kubernetes/overlays/prod/kustomization.yaml",
     "transformers:\n  - ../../components/rollouts/deployments-as-templates\n", "",
     "checkov,hadolint", "its Deployment has 3 replicas, expected 0"),
    ("an analysis query that reads every environment", "kubernetes/components/rollouts/analysistemplates.yaml",
     'sum(increase(walkaround_jobs_total{namespace="{{args.namespace}}", ', 'sum(increase(walkaround_jobs_total{',
     "checkov,hadolint", 'job-failure-share: a series selector without namespace='),
    ("an analysis query that no longer computes the canary's failure share", "kubernetes/components/rollouts/analysistemplates.yaml",
     'outcome=~"retry|failed|quarantined"', 'outcome=~"failed|quarantined"', "checkov,hadolint", "[analysis]"),
    ("canary series no longer labelled with their pod-template hash", "kubernetes/base/servicemonitor.yaml",
     "          targetLabel: rollouts_pod_template_hash", "          targetLabel: pod_template_hash",
     "checkov,hadolint", "no ServiceMonitor copies the pod label rollouts-pod-template-hash"),
    ("a dashboard edited by hand instead of generated", "kubernetes/components/grafana-dashboards/dashboards/walkaround-overview.json",
     '"refresh": "30s"', '"refresh": "5s"', "checkov,hadolint", "walkaround-overview.json differs"),
    ("pods that cannot reach the trace collector", "kubernetes/components/otel-collector/kustomization.yaml",
     "      name: walkaround-(api|worker|inference)", "      name: walkaround-(api|worker)", "checkov,hadolint",
     "NetworkPolicy walkaround-inference does not let the pods reach the collector"),
]


def check(deploy, skip):
    command = [sys.executable, os.path.join(HERE, "check.py"), "--root", os.path.join(deploy, "kubernetes"),
               "--dockerfile", os.path.join(deploy, "docker", "Dockerfile"), "--skip", skip]
    return subprocess.run(command, capture_output=True, text=True)


def main():
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        clean = os.path.join(tmp, "clean")
        shutil.copytree(os.path.join(REPO, "deploy"), clean)
        result = check(clean, "checkov,hadolint")
        if result.returncode != 0:
            print(f"FAIL the unbroken copy does not pass:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
            return 1
        for name, path, old, new, skip, expected in CASES:
            deploy = os.path.join(tmp, name.replace(" ", "-"))
            shutil.copytree(os.path.join(REPO, "deploy"), deploy)
            edit(os.path.join(deploy, path), old, new)
            result = check(deploy, skip)
            output = result.stdout + result.stderr
            if result.returncode != 0 and expected in output:
                print(f"caught: {name}")
            else:
                failed += 1
                print(f"FAIL not caught: {name} (exit {result.returncode}; expected {expected!r} in the output)\n{output[-3000:]}")
    print(f"test_check: {len(CASES) - failed} of {len(CASES)} breakages caught")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
