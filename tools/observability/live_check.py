#!/usr/bin/env python3
"""The live end-to-end check of Walkaround's observability (make test, via tools/observability/run.sh).

  live_check.py [--release] [--write-inventory]
  live_check.py --bench [--release] [--photos N] [--rounds R] [--write]

The check starts, on loopback:
  - an OTLP/HTTP receiver (POST /v1/traces, protobuf) that keeps every span it is sent;
  - an inference pod (`serve --role inference`) and a main process (`serve --role all`) whose
    photos are detected through the pod (WALKAROUND_INFERENCE_URL), both exporting traces to the
    receiver; the main process uses PostgreSQL, Redis, the S3 store and the LLM when the
    tools/with-*.sh wrappers are around it (WALKAROUND_TEST_*), else SQLite and a folder;
  - Debian's Prometheus, scraping both metrics ports every second, with the PrometheusRule's
    rules loaded.
It drives a workload through the HTTP API (a check-out with good photos, a too-dark one, a retake,
a replayed Idempotency-Key, a refused upload, a report; a return of the same car and its
comparison report; one upload with a W3C traceparent), then checks:
  - traces: the upload's server span continues the client's traceparent, the worker's
    process_photo span continues the upload's span, decode_gate/inference/store are its children,
    the remote `infer <model>` call carries the trace to the inference pod, database spans are in
    the trace;
  - metrics: `promtool check metrics` on a raw scrape of each process; every PromQL expression of
    the dashboards, the recording and alerting rules and the rollout analyses parses in Prometheus,
    and every metric name they use exists in what Prometheus scraped (EXEMPT lists the few that
    cannot, each with its reason); a list of metrics the workload must have produced.
--write-inventory writes the metric inventory (name, type, labels, help) into docs/observability.md
between <!-- inventory:begin --> and <!-- inventory:end -->.

--bench measures what tracing costs on upload → findings: a `serve --role all` (SQLite, local
model) with tracing off, at 10 % and at 100 % sampling, in interleaved rounds, N photos each, one
at a time; --write puts the table into docs/performance.md between <!-- tracing-bench:begin -->
and <!-- tracing-bench:end -->.

Every process is stopped by its PID at the end, also when a check fails; exit status 1 on any failure.
"""
import argparse
import datetime
import gzip
import http.server
import io
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from processes import log_tail, stop_process, wait_until_ready  # noqa: E402

import requests
import yaml
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from PIL import Image, ImageEnhance, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
FIXTURES = os.path.join(ROOT, "Tests", "InferenceTests", "Fixtures")
DEPLOY = os.path.join(ROOT, "deploy", "kubernetes")
RULES_FILE = os.path.join(DEPLOY, "base", "prometheusrule.yaml")
ROLLOUTS = os.path.join(DEPLOY, "components", "rollouts")
OBSERVABILITY_DOC = os.path.join(ROOT, "docs", "observability.md")
PERFORMANCE_DOC = os.path.join(ROOT, "docs", "performance.md")
NAMESPACE = "walkaround-test"
STATION = "LIVE-01"
PLATE = "B-LC 4711"

# Metric names an expression may use although this check cannot produce them, each with its
# reason. A pattern's `when` says when the exemption applies: "always", or the name of a
# component (redis, s3, llm) whose absence exempts it.
EXEMPT = {
    r"kube_.*": ("always", "kube-state-metrics (the cluster's objects); no Kubernetes here"),
    r"container_.*": ("always", "cAdvisor through the kubelet (container CPU and memory); no Kubernetes here"),
    r"kubelet_.*": ("always", "the kubelet; no Kubernetes here"),
    r"DCGM_.*": ("always", "NVIDIA's DCGM exporter (GPU use); no GPU node here"),
    r"ALERTS(_FOR_STATE)?": ("always", "written by Prometheus for firing alerts; none fires in a short check"),
    r"walkaround_redis_.*|walkaround_cache_total|walkaround_detection_cache_total": ("redis", "needs Redis (WALKAROUND_REDIS_URL)"),
    r"walkaround_photo_store_request.*": ("s3", "object-store calls: needs the S3 store (WALKAROUND_S3_ENDPOINT)"),
    r"walkaround_llm_.*": ("llm", "LLM calls: needs an LLM server (WALKAROUND_LLM_URL)"),
}
# `up` is not exempt: Prometheus writes it for every target, so it exists like any other name.

# Metrics the workload must have produced (besides every name an expression uses).
REQUIRED = [
    "walkaround_uploads_total", "walkaround_photo_verdicts_total", "walkaround_photo_rejections_total", "walkaround_jobs_total",
    "walkaround_job_queue_wait_seconds_bucket", "inference_duration_seconds_bucket", "walkaround_detections_total",
    "walkaround_report_seconds_bucket", "walkaround_db_connections_in_use", "process_cpu_seconds_total",
]
REQUIRED_WITH_LLM = ["walkaround_llm_requests_total"]

KIND = {trace_pb2.Span.SPAN_KIND_INTERNAL: "INTERNAL", trace_pb2.Span.SPAN_KIND_SERVER: "SERVER", trace_pb2.Span.SPAN_KIND_CLIENT: "CLIENT",
        trace_pb2.Span.SPAN_KIND_PRODUCER: "PRODUCER", trace_pb2.Span.SPAN_KIND_CONSUMER: "CONSUMER",
        trace_pb2.Span.SPAN_KIND_UNSPECIFIED: "UNSPECIFIED"}


class Fatal(Exception):
    """A failure after which the check cannot go on."""


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def expect(self, condition, message):
        if condition:
            self.passed += 1
        else:
            self.failures.append(message)
            print(f"FAIL: {message}", flush=True)
        return bool(condition)


def log(message):
    print(message, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the OTLP/HTTP receiver ----------------------------------------------------------------------

def any_value(value):
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


class Receiver:
    """OTLP/HTTP traces on 127.0.0.1: every span of every ExportTraceServiceRequest, flattened."""

    def __init__(self):
        self.spans, self.problems, self.requests = [], [], 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, body=b"", content_type="application/x-protobuf"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.split("?")[0] != "/v1/traces":
                    receiver.problem(f"POST {self.path}: not /v1/traces")
                    return self.answer(404, b"not found", "text/plain")
                if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                    body = gzip.decompress(body)
                content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if content_type != "application/x-protobuf":
                    receiver.problem(f"POST /v1/traces with Content-Type {content_type!r}, not application/x-protobuf")
                    return self.answer(415, b"protobuf only", "text/plain")
                request = trace_service_pb2.ExportTraceServiceRequest()
                try:
                    request.ParseFromString(body)
                except Exception as error:  # a body that does not decode is the exporter's bug
                    receiver.problem(f"an export that does not decode as ExportTraceServiceRequest: {error}")
                    return self.answer(400, b"bad protobuf", "text/plain")
                receiver.keep(request)
                self.answer(200, trace_service_pb2.ExportTraceServiceResponse().SerializeToString())

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def keep(self, request):
        found = []
        for resource_spans in request.resource_spans:
            resource = {kv.key: any_value(kv.value) for kv in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append({
                        "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(), "parent_span_id": span.parent_span_id.hex(),
                        "name": span.name, "kind": KIND.get(span.kind, str(span.kind)),
                        "attributes": {kv.key: any_value(kv.value) for kv in span.attributes},
                        "service": resource.get("service.name", ""), "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                        "status": span.status.code,
                    })
        with self.lock:
            self.spans.extend(found)
            self.requests += 1

    def snapshot(self):
        with self.lock:
            return list(self.spans)

    def count(self):
        with self.lock:
            return len(self.spans)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --- walkaround processes ---------------------------------------------------------------------------

def base_env():
    """This environment without anything that configures walkaround (set explicitly below)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALKAROUND_", "OTEL_")) and k not in ("DATABASE_URL", "LOG_LEVEL")}
    env.update(LOG_LEVEL="info", ORT_LIBRARY_PATH=os.path.join(ROOT, ".ort", "lib", "libonnxruntime.so"), WALKAROUND_WORKER_POLL_MS="50",
               WALKAROUND_RATE_LIMIT_KEY_PER_MINUTE="0", WALKAROUND_RATE_LIMIT_STATION_PER_MINUTE="0",
               WALKAROUND_RATE_LIMIT_SIGN_IN_PER_MINUTE="2", WALKAROUND_JOB_RETRY_BASE_MS="1000")
    return env


def tracing_env(receiver, sampler="parentbased_always_on", argument=None, delay_ms="200"):
    env = {"WALKAROUND_TRACING": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_TRACES_SAMPLER": sampler}
    if argument is not None:
        env["OTEL_TRACES_SAMPLER_ARG"] = argument
    if delay_ms is not None:
        env["OTEL_BSP_SCHEDULE_DELAY"] = delay_ms
    return env


class Walkaround:
    """One `walkaround serve` on loopback with its own data folder, random ports, ready when its
    metrics port's /ready answers 200."""
    started = []  # every one made, for the logs when something breaks

    def __init__(self, binary, name, role, env, folder):
        Walkaround.started.append(self)
        self.binary, self.name, self.role, self.env = binary, name, role, env
        self.folder = os.path.join(folder, name)
        os.makedirs(self.folder, exist_ok=True)
        self.port, self.metrics_port = free_port(), free_port()
        self.url, self.metrics_url = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.metrics_port}"
        self.log_path = os.path.join(folder, name + ".log")
        self.process = None

    def key(self, *arguments):
        result = subprocess.run([self.binary, "keys", "create", *arguments, "--data-dir", self.folder], env=self.env, cwd=ROOT,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise Fatal(f"walkaround keys create {' '.join(arguments)} failed: {result.stderr.strip()[-2000:]}")
        return result.stdout.strip().splitlines()[-1]

    def start(self, timeout=180):
        with open(self.log_path, "a") as out:  # a restart appends
            self.process = subprocess.Popen(
                [self.binary, "serve", "--role", self.role, "--host", "127.0.0.1", "--port", str(self.port),
                 "--metrics-port", str(self.metrics_port), "--data-dir", self.folder],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        if wait_until_ready(self.metrics_url + "/ready", self.process, timeout):
            return self
        raise Fatal(f"{self.name} (serve --role {self.role}) did not become ready; its log ends:\n{self.log_tail()}")

    def log_tail(self, chars=4000):
        return log_tail(self.log_path, chars)

    def stop(self):
        stop_process(self.process)
        self.process = None

    def scrape(self):
        response = requests.get(self.metrics_url + "/metrics", timeout=10)
        response.raise_for_status()
        return response.text


class API:
    def __init__(self, server, key):
        self.base, self.key = server.url, key

    def call(self, method, path, headers=None, **kwargs):
        all_headers = {"Authorization": f"Bearer {self.key}"}
        all_headers.update(headers or {})
        return requests.request(method, self.base + path, headers=all_headers, timeout=60, **kwargs)

    def open(self, kind, plate=PLATE, station=STATION):
        response = self.call("POST", "/v1/inspections", json={"kind": kind, "station": station, "vehicle": {"plate": plate}})
        if response.status_code != 201:
            raise Fatal(f"POST /v1/inspections ({kind}) answered {response.status_code}: {response.text[:500]}")
        return response.json()["id"]

    def upload(self, inspection, view, data, headers=None):
        all_headers = {"Content-Type": "image/jpeg"}
        all_headers.update(headers or {})
        return self.call("POST", f"/v1/inspections/{inspection}/photos", params={"view": view}, data=data, headers=all_headers)

    def inspection(self, inspection):
        response = self.call("GET", f"/v1/inspections/{inspection}")
        if response.status_code != 200:
            raise Fatal(f"GET /v1/inspections/{inspection} answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def settle(self, inspection, count, timeout=180):
        """The inspection once `count` photos are settled (processed, rejected or failed)."""
        deadline = time.time() + timeout
        while True:
            body = self.inspection(inspection)
            photos = body.get("photos", [])
            if len(photos) >= count and all(p["status"] in ("processed", "rejected", "failed") for p in photos):
                return body
            if time.time() > deadline:
                raise Fatal(f"inspection {inspection}: photos not settled in {timeout} s: "
                            + ", ".join(f"{p['view']}={p['status']}" for p in photos))
            time.sleep(0.1)

    def complete(self, inspection):
        response = self.call("POST", f"/v1/inspections/{inspection}/complete")
        if response.status_code != 200:
            raise Fatal(f"POST /v1/inspections/{inspection}/complete answered {response.status_code}: {response.text[:500]}")

    def report(self, inspection, timeout=180):
        deadline = time.time() + timeout
        while True:
            response = self.call("GET", f"/v1/inspections/{inspection}/report")
            if response.status_code == 200:
                return response.json()
            if response.status_code != 202:
                raise Fatal(f"GET /v1/inspections/{inspection}/report answered {response.status_code}: {response.text[:500]}")
            if time.time() > deadline:
                raise Fatal(f"no report for inspection {inspection} in {timeout} s")
            time.sleep(0.2)


def jpeg(image, quality=90):
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def fixture(path, size=(1600, 1200), mirror=False):
    image = Image.open(os.path.join(FIXTURES, path)).convert("RGB")
    if size:
        image = image.resize(size, Image.LANCZOS)
    return ImageOps.mirror(image) if mirror else image


# --- Prometheus ---------------------------------------------------------------------------------------

class Prometheus:
    def __init__(self, folder, targets, rules_path):
        self.folder = os.path.join(folder, "prometheus")
        os.makedirs(os.path.join(self.folder, "data"), exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = os.path.join(self.folder, "prometheus.yml")
        scrape_configs = [{
            "job_name": job, "scrape_interval": "1s", "scrape_timeout": "1s", "metrics_path": "/metrics",
            "static_configs": [{"targets": [f"127.0.0.1:{port}"], "labels": labels}],
        } for job, port, labels in targets]
        config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "scrape_configs": scrape_configs}
        if rules_path:
            config["rule_files"] = [rules_path]
        with open(self.config, "w") as f:
            yaml.safe_dump(config, f, sort_keys=False)
        self.log_path = os.path.join(self.folder, "prometheus.log")
        self.process = None

    def start(self):
        with open(self.log_path, "w") as out:
            self.process = subprocess.Popen(
                ["prometheus", f"--config.file={self.config}", f"--storage.tsdb.path={os.path.join(self.folder, 'data')}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1d"],
                cwd=self.folder, stdout=out, stderr=subprocess.STDOUT)
        if wait_until_ready(self.url + "/-/ready", self.process, 60):
            return
        raise Fatal(f"prometheus did not become ready; its log ends:\n{self.log_tail()}")

    def log_tail(self, chars=3000):
        return log_tail(self.log_path, chars)

    def api(self, path, **params):
        response = requests.get(self.url + path, params=params, timeout=30)
        try:
            return response.json()
        except ValueError:
            return {"status": "error", "error": f"HTTP {response.status_code}: {response.text[:300]}"}

    def query(self, expr):
        return self.api("/api/v1/query", query=expr)

    def wait_targets_up(self, jobs, timeout=60):
        deadline = time.time() + timeout
        while True:
            targets = self.api("/api/v1/targets").get("data", {}).get("activeTargets", [])
            health = {t["labels"].get("job"): (t.get("health"), t.get("lastError")) for t in targets}
            if all(health.get(job, (None,))[0] == "up" for job in jobs):
                return
            if time.time() > deadline:
                raise Fatal(f"Prometheus targets not up in {timeout} s: {health}")
            time.sleep(0.5)

    def wait_scrapes_after(self, moment, scrapes=3, timeout=60):
        """Until every target was scraped at least `scrapes` times after `moment` (unix seconds)."""
        deadline = time.time() + timeout
        while True:
            result = self.query(f'min(timestamp(up{{namespace="{NAMESPACE}"}}))').get("data", {}).get("result", [])
            if result and float(result[0]["value"][1]) >= moment + scrapes:
                return
            if time.time() > deadline:
                raise Fatal(f"Prometheus did not scrape {scrapes} times after the workload within {timeout} s")
            time.sleep(0.5)

    def stop(self):
        stop_process(self.process)
        self.process = None


# --- PromQL: the expressions and the metric names they use ------------------------------------------

def grafana_substitute(expr):
    """Grafana's variables replaced by values Prometheus can run."""
    def replace(match):
        name = match.group(1) or match.group(2) or match.group(3)
        if name == "namespace":
            return NAMESPACE
        if name in ("__rate_interval", "__interval", "__range"):
            return "1m"
        if name.endswith("_ms"):
            return "60000"
        if name.endswith("_s"):
            return "60"
        return ".*"
    return re.sub(r"\$\{([A-Za-z_]\w*)(?::\w+)?\}|\[\[([A-Za-z_]\w*)\]\]|\$([A-Za-z_]\w*)", replace, expr)


def deploy_documents():
    """The PrometheusRule and (Cluster)AnalysisTemplate/Rollout documents under deploy/kubernetes
    (the base and every component; not the tests), with the check's namespace."""
    docs = []
    for folder in (os.path.join(DEPLOY, "base"), os.path.join(DEPLOY, "components")):
        for dirpath, _, files in sorted(os.walk(folder)):
            for name in sorted(files):
                if not name.endswith((".yaml", ".yml")) or name.startswith("kustomization"):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    with open(path) as f:
                        found = [d for d in yaml.safe_load_all(f) if isinstance(d, dict)]
                except yaml.YAMLError as error:
                    raise Fatal(f"{os.path.relpath(path, ROOT)} does not parse as YAML: {error}")
                for doc in found:
                    if doc.get("kind") in ("PrometheusRule", "AnalysisTemplate", "ClusterAnalysisTemplate", "Rollout"):
                        doc = json.loads(json.dumps(doc))
                        doc.setdefault("metadata", {})["namespace"] = NAMESPACE
                        doc["_path"] = os.path.relpath(path, ROOT)
                        docs.append(doc)
    return docs


ARG = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")


def own_rule_and_analysis_expressions(docs):
    """What tools/observability/expressions.py gives, for when it is not there."""
    found = []
    for doc in docs:
        if doc["kind"] == "PrometheusRule":
            for group in doc["spec"].get("groups", []):
                for rule in group.get("rules", []):
                    found.append({"source": f"PrometheusRule/{doc['metadata'].get('name')}", "name": rule.get("alert") or rule.get("record"),
                                  "expr": str(rule["expr"]).strip(), "kind": "alert" if "alert" in rule else "record"})
        elif doc["kind"] in ("AnalysisTemplate", "ClusterAnalysisTemplate"):
            defaults = {a["name"]: str(a["value"]) for a in doc["spec"].get("args", []) if "value" in a}

            def sample(match):
                name = match.group(1)
                if name in defaults:
                    return defaults[name]
                if "namespace" in name:
                    return NAMESPACE
                if "hash" in name:
                    return "canary" if "canary" in name or "latest" in name else "stable"
                return "sample"
            for metric in doc["spec"].get("metrics", []):
                query = metric.get("provider", {}).get("prometheus", {}).get("query")
                if query is not None:
                    found.append({"source": f"{doc['kind']}/{doc['metadata'].get('name')}", "name": metric.get("name"),
                                  "expr": ARG.sub(sample, query).strip(), "kind": "analysis"})
    return found


def collect_expressions(docs):
    """[(source, expr)] from the dashboards, the rules and the analyses, Grafana variables replaced;
    and the notes on where they came from."""
    out, notes = [], []
    try:
        import dashboards
        for expr in dashboards.expressions():
            out.append(("dashboard", grafana_substitute(expr)))
        notes.append(f"dashboards: {len(out)} expressions from tools/observability/dashboards.py")
    except ImportError:
        notes.append("dashboards: tools/observability/dashboards.py not there, no dashboard expressions")
    try:
        import expressions as expressions_module
    except ImportError:
        expressions_module = None
    if expressions_module:
        try:
            found = expressions_module.expressions([{k: v for k, v in d.items() if k != "_path"} for d in docs])
        except ValueError as error:
            raise Fatal(f"tools/observability/expressions.py: {error}")
        notes.append("rules and analyses: through tools/observability/expressions.py")
    else:
        found = own_rule_and_analysis_expressions(docs)
        notes.append("rules and analyses: parsed here (tools/observability/expressions.py not there)")
    for item in found:
        kind = item.get("kind", "rule")
        out.append((f"{item['source']} {kind} {item['name']}", grafana_substitute(item["expr"])))
    counts = {}
    for source, _ in out:
        key = "dashboard" if source == "dashboard" else source.split(" ")[1] if " " in source else source
        counts[key] = counts.get(key, 0) + 1
    notes.append("expressions by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    seen, unique = set(), []
    for source, expr in out:
        if expr not in seen:
            seen.add(expr)
            unique.append((source, expr))
    return unique, notes


FUNCTIONS = set("""
abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp clamp_max clamp_min cos cosh
count_over_time day_of_month day_of_week day_of_year days_in_month deg delta deriv double_exponential_smoothing exp floor
histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev histogram_stdvar histogram_sum holt_winters hour
idelta increase info irate label_join label_replace last_over_time ln log10 log2 mad_over_time max_over_time min_over_time minute
month pi predict_linear present_over_time quantile_over_time rad rate resets round scalar sgn sin sinh sort sort_by_label
sort_by_label_desc sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh time timestamp vector year
""".split())
AGGREGATORS = set("sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio".split())
KEYWORDS = set("and or unless by without on ignoring group_left group_right bool offset atan2 start end inf nan".split())
STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
TOKEN = re.compile(r"(?P<number>0[xX][0-9a-fA-F]+|\d[\w.]*|\.\d[\w.]*)|(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)")


def metric_names(expr):
    """The metric names a PromQL expression reads: strings, the insides of {…} and […], the label
    lists of by/without/on/ignoring/group_left/group_right, functions, aggregators, keywords,
    numbers and durations dropped."""
    text = STRING.sub(' "" ', expr)
    text = re.sub(r"#[^\n]*", " ", text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    names = []
    for match in TOKEN.finditer(text):
        name = match.group("name")
        if not name:
            continue
        lower = name.lower()
        if lower in KEYWORDS or lower in AGGREGATORS:
            continue
        if lower in FUNCTIONS and re.match(r"\s*\(", text[match.end():]):
            continue
        if name not in names:
            names.append(name)
    return names


# --- the exposition: types, labels, help ---------------------------------------------------------

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"(?:\\.|[^"\\])*"')


def parse_exposition(text):
    """{family: {"type", "help", "labels": set, "series": int}} from Prometheus text."""
    families = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split(None, 3)
            families.setdefault(parts[2], {"type": "untyped", "help": "", "labels": set(), "series": 0})["type"] = parts[3].strip() if len(parts) > 3 else "untyped"
        elif line.startswith("# HELP "):
            parts = line.split(None, 3)
            families.setdefault(parts[2], {"type": "untyped", "help": "", "labels": set(), "series": 0})["help"] = parts[3].strip() if len(parts) > 3 else ""
        elif line and not line.startswith("#"):
            match = SAMPLE.match(line)
            if not match:
                continue
            name = match.group(1)
            family = name
            if family not in families:
                for suffix in ("_bucket", "_sum", "_count", "_total", "_created", "_info"):
                    if name.endswith(suffix) and name[: -len(suffix)] in families:
                        family = name[: -len(suffix)]
                        break
            entry = families.setdefault(family, {"type": "untyped", "help": "", "labels": set(), "series": 0})
            entry["series"] += 1
            entry["labels"].update(label for label in LABEL.findall(match.group(2) or "") if label not in ("le", "quantile"))
    return families


def inventory_markdown(inventory, when, services, promtool_ok):
    lines = [f"Generated by `tools/observability/run.sh --write-inventory` on {when} from real scrapes of a "
             f"`serve --role all` ({services}) and a `serve --role inference` after the live check's workload; labels as "
             "seen in those scrapes (`le` left out). `promtool check metrics` "
             + ("passes on both scrapes." if promtool_ok else "FAILED on a scrape: see the check's output."), "",
             "| metric | type | labels | exported by | what it answers |", "|---|---|---|---|---|"]
    for name in sorted(inventory):
        entry = inventory[name]
        labels = ", ".join(f"`{l}`" for l in sorted(entry["labels"])) or "—"
        help_text = entry["help"].replace("|", "\\|") or "—"
        lines.append(f"| `{name}` | {entry['type']} | {labels} | {', '.join(sorted(entry['roles']))} | {help_text} |")
    return "\n".join(lines)


def write_between(path, begin, end, block, heading):
    text = open(path).read() if os.path.exists(path) else ""
    if begin in text and end in text and text.index(begin) < text.index(end):
        text = text[: text.index(begin) + len(begin)] + "\n" + block + "\n" + text[text.index(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + heading + "\n\n" + begin + "\n" + block + "\n" + end + "\n"
    with open(path, "w") as f:
        f.write(text)


# --- traces ------------------------------------------------------------------------------------------

def print_tree(spans, trace_id, client_span_id=None):
    in_trace = [s for s in spans if s["trace_id"] == trace_id]
    ids = {s["span_id"] for s in in_trace}
    children = {}
    for s in in_trace:
        children.setdefault(s["parent_span_id"] if s["parent_span_id"] in ids else None, []).append(s)
    for group in children.values():
        group.sort(key=lambda s: s["start"])
    shown = 0

    def show(span, depth):
        nonlocal shown
        shown += 1
        extra = {k: v for k, v in span["attributes"].items()
                 if k in ("http.route", "http.response.status_code", "walkaround.photo.id", "walkaround.model", "db.system.name")}
        ms = (span["end"] - span["start"]) / 1e6
        log(f"  {'  ' * depth}{span['name']} [{span['kind']}, {span['service']}] {ms:.1f} ms"
            + (f" {extra}" if extra else ""))
        for child in children.get(span["span_id"], []):
            show(child, depth + 1)
    log(f"trace {trace_id} ({len(in_trace)} spans):")
    for root in children.get(None, []):
        if root["parent_span_id"] == client_span_id:
            log(f"  (parent {root['parent_span_id']}: the client's span, from its traceparent)")
        elif root["parent_span_id"]:
            log(f"  (parent {root['parent_span_id']} not received)")
        show(root, 0)


def check_traces(checks, receiver, trace_id, client_span_id, photo_id, main_service, inference_service):
    """The span relations of the traced upload; True when all hold. Prints what it found."""
    spans = receiver.snapshot()
    in_trace = [s for s in spans if s["trace_id"] == trace_id]
    problems = []
    server = [s for s in in_trace if s["kind"] == "SERVER" and s["parent_span_id"] == client_span_id]
    if not server:
        problems.append(f"no SERVER span with trace_id {trace_id} and parent_span_id {client_span_id} (the upload sent with traceparent); "
                        f"spans in the trace: {sorted({s['name'] for s in in_trace})}")
        return problems
    upload = server[0]
    if upload["service"] != main_service:
        problems.append(f"the upload's server span has service.name {upload['service']!r}, not {main_service!r}")
    jobs = [s for s in in_trace if s["name"] == "process_photo" and str(s["attributes"].get("walkaround.photo.id", "")).lower() == photo_id.lower()]
    if not jobs:
        others = [(s["trace_id"], s["kind"]) for s in spans if s["name"] == "process_photo"
                  and str(s["attributes"].get("walkaround.photo.id", "")).lower() == photo_id.lower()]
        problems.append(f"no process_photo span with walkaround.photo.id={photo_id} in trace {trace_id} "
                        f"(that photo's process_photo spans, by trace id and kind: {others[:4]})")
        return problems
    job = jobs[0]
    by_id = {s["span_id"]: s for s in in_trace}
    if job["kind"] != "CONSUMER":
        problems.append(f"the process_photo span is {job['kind']}, not CONSUMER")
    if job["parent_span_id"] != upload["span_id"]:
        parent = by_id.get(job["parent_span_id"])
        problems.append(f"process_photo's parent_span_id is {job['parent_span_id']} "
                        + (f"(the span {parent['name']!r} [{parent['kind']}])" if parent else "(not a received span)")
                        + f", not the upload's server span {upload['span_id']} ({upload['name']!r})")
    for stage in ("decode_gate", "inference", "store"):
        found = [s for s in in_trace if s["name"] == stage]
        if not found:
            problems.append(f"no {stage!r} span in the trace")
        elif not any(s["parent_span_id"] == job["span_id"] for s in found):
            parents = [by_id.get(s["parent_span_id"], {"name": s["parent_span_id"]})["name"] for s in found]
            problems.append(f"the {stage!r} span is not a child of process_photo (its parent: {parents})")
    infers = [s for s in in_trace if s["name"].startswith("infer ") and s["kind"] == "CLIENT"]
    if not infers:
        problems.append("no 'infer <model>' CLIENT span in the trace (the remote inference call)")
    else:
        # The pod's server span is the infer span's child, or the child of the HTTP client's own
        # CLIENT span directly under it (AsyncHTTPClient's request span, when it injects the header).
        callers = {i["span_id"] for i in infers}
        callers |= {s["span_id"] for s in in_trace if s["kind"] == "CLIENT" and s["parent_span_id"] in callers}
        pod = [s for s in in_trace if s["kind"] == "SERVER" and s["service"] == inference_service and s["parent_span_id"] in callers]
        if not pod:
            pod_spans = [(s["name"], s["kind"], s["parent_span_id"]) for s in in_trace if s["service"] == inference_service]
            problems.append(f"no SERVER span of {inference_service} whose parent is an 'infer' span or its HTTP CLIENT span (traceparent not propagated to the "
                            f"inference pod?); the pod's spans in this trace: {pod_spans[:8]}")
    database = [s for s in in_trace if s["kind"] == "CLIENT" and "db.system.name" in s["attributes"]]
    if not database:
        problems.append("no database span (CLIENT with db.system.name) in the trace")
    return problems


# --- the live check ----------------------------------------------------------------------------------

def external_services(env):
    """The services the wrappers started, as the server's settings; and which are there."""
    present = {"postgres": False, "redis": False, "s3": False, "llm": False}
    extra = {}
    if os.environ.get("WALKAROUND_TEST_REDIS_URL"):
        extra["WALKAROUND_REDIS_URL"] = os.environ["WALKAROUND_TEST_REDIS_URL"]
        present["redis"] = True
    if os.environ.get("WALKAROUND_TEST_S3_ENDPOINT"):
        extra.update(WALKAROUND_S3_ENDPOINT=os.environ["WALKAROUND_TEST_S3_ENDPOINT"], WALKAROUND_S3_BUCKET=os.environ.get("WALKAROUND_TEST_S3_BUCKET", ""),
                     WALKAROUND_S3_REGION="eu-central-1", WALKAROUND_S3_ACCESS_KEY_ID=os.environ.get("WALKAROUND_TEST_S3_ACCESS_KEY_ID", ""),
                     WALKAROUND_S3_SECRET_ACCESS_KEY=os.environ.get("WALKAROUND_TEST_S3_SECRET_ACCESS_KEY", ""),
                     WALKAROUND_S3_PREFIX=f"live-check-{secrets.token_hex(4)}/")
        present["s3"] = True
    llm = os.environ.get("WALKAROUND_TEST_LLM_URL") or os.environ.get("WALKAROUND_LLM_URL")
    if llm:
        extra["WALKAROUND_LLM_URL"] = llm
        present["llm"] = True
    return extra, present


class Database:
    """A database of its own on the test PostgreSQL server (dropped at the end), or None."""

    def __init__(self):
        self.url = self.name = self.server = None
        server = os.environ.get("WALKAROUND_TEST_POSTGRES_URL")
        if not server:
            return
        self.server = server
        if not shutil.which("psql"):
            self.url = server
            return
        self.name = f"walkaround_live_{secrets.token_hex(4)}"
        subprocess.run(["psql", server, "-q", "-c", f"CREATE DATABASE {self.name}"], check=True, capture_output=True)
        parts = urllib.parse.urlsplit(server)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def drop(self):
        if self.name:
            subprocess.run(["psql", self.server, "-q", "-c", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"], capture_output=True)
            self.name = None


def live_check(args, folder, stack):
    checks = Checks()
    binary = args.binary
    receiver = Receiver()
    stack.append(receiver.stop)
    log(f"OTLP receiver on {receiver.url}")

    database = Database()
    stack.append(database.drop)
    extra, present = external_services(os.environ)
    present["postgres"] = database.url is not None
    if database.url:
        extra["DATABASE_URL"] = database.url
    log("services: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in present.items()))

    inference_env = dict(base_env(), **tracing_env(receiver))
    inference = Walkaround(binary, "inference", "inference", inference_env, folder)
    stack.append(inference.stop)
    inference.start()
    main_env = dict(base_env(), **tracing_env(receiver), **extra, WALKAROUND_INFERENCE_URL=inference.url)
    if present["llm"]:
        # The small local model on a busy 2-core runner takes tens of seconds per report: one
        # patient attempt, so that its answer (and the tokens it reports) comes back.
        main_env.update(WALKAROUND_LLM_TIMEOUT_MS="150000", WALKAROUND_LLM_ATTEMPTS="1")
    main = Walkaround(binary, "main", "all", main_env, folder)
    stack.append(main.stop)
    station_key = main.key("--role", "station", "--station", STATION, "--name", "live-check")
    reviewer_key = main.key("--role", "reviewer", "--name", "live-check-reviewer")
    main.start()
    log(f"inference pod on {inference.url} (metrics {inference.metrics_port}); main on {main.url} (metrics {main.metrics_port})")

    docs = deploy_documents()
    rule_groups = [g for d in docs if d["kind"] == "PrometheusRule" for g in d["spec"].get("groups", [])]
    recorded = {r["record"] for g in rule_groups for r in g.get("rules", []) if "record" in r}
    rules_path = None
    if rule_groups:
        rules_path = os.path.join(folder, "rules.yaml")
        with open(rules_path, "w") as f:
            yaml.safe_dump({"groups": rule_groups}, f, sort_keys=False)
    prometheus = Prometheus(folder, [
        ("walkaround-all", main.metrics_port, {"namespace": NAMESPACE, "service": "walkaround-all", "pod": "walkaround-all-live"}),
        ("walkaround-inference", inference.metrics_port, {"namespace": NAMESPACE, "service": "walkaround-inference", "pod": "walkaround-inference-live"}),
    ], rules_path)
    stack.append(prometheus.stop)
    prometheus.start()
    prometheus.wait_targets_up(["walkaround-all", "walkaround-inference"])
    log(f"prometheus on {prometheus.url}, both targets up; {len(rule_groups)} rule groups loaded")

    # --- the workload ---
    station, reviewer = API(main, station_key), API(main, reviewer_key)
    # The rendered car of the comparison tests: its check-out and return photos (rear: a dent on both;
    # left: a scratch on the return only), no plate in view, so the plate check is no edge case and the
    # reports go to the LLM.
    checkout_rear, checkout_left = jpeg(fixture("car/checkout-rear.jpg", None)), jpeg(fixture("car/checkout-left.jpg", None))
    return_rear, return_left = jpeg(fixture("car/return-rear.jpg", None)), jpeg(fixture("car/return-left.jpg", None))
    dark = jpeg(ImageEnhance.Brightness(fixture("car/checkout-rear.jpg", None)).enhance(0.06))
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)

    checkout = station.open("checkout")
    response = station.upload(checkout, "rear", dark)
    checks.expect(response.status_code == 202, f"upload of the dark rear: {response.status_code} {response.text[:300]}")
    dark_id = response.json().get("id") if response.status_code == 202 else None
    # Its retake, with the client's trace context (as the station agent sends it).
    response = station.upload(checkout, "rear", checkout_rear, headers={"traceparent": f"00-{trace_id}-{client_span}-01"})
    if response.status_code != 202:
        raise Fatal(f"the traced upload answered {response.status_code}: {response.text[:300]}")
    traced_photo = response.json()["id"]
    first = station.upload(checkout, "left", checkout_left, headers={"Idempotency-Key": "live-left-1"})
    checks.expect(first.status_code == 202, f"upload of the left view: {first.status_code} {first.text[:300]}")
    replay = station.upload(checkout, "left", checkout_left, headers={"Idempotency-Key": "live-left-1"})
    checks.expect(replay.status_code == 202 and replay.headers.get("Idempotent-Replayed", "").lower() == "true"
                  and replay.json().get("id") == first.json().get("id"),
                  f"the replayed Idempotency-Key upload: {replay.status_code}, Idempotent-Replayed={replay.headers.get('Idempotent-Replayed')!r}")
    body = station.settle(checkout, 3)
    for photo in body["photos"]:
        issues = [i.get("code") for i in (photo.get("quality") or {}).get("issues", [])]
        if photo["id"] == dark_id:
            checks.expect(photo["status"] == "rejected" and "too_dark" in issues, f"the dark photo: {photo['status']}, issues {issues}")
        else:
            checks.expect(photo["status"] == "processed", f"photo {photo['view']}: {photo['status']} {issues} {photo.get('error', '')}")
    # The station's app shows the thumbnail (twice: a cache miss, then a hit when Redis is there).
    for _ in range(2):
        response = station.call("GET", f"/v1/photos/{traced_photo}/thumbnail.jpg")
        checks.expect(response.status_code == 200, f"GET the traced photo's thumbnail: {response.status_code}")
    station.complete(checkout)
    station.report(checkout)
    refused = station.upload(checkout, "front", return_left)
    checks.expect(refused.status_code == 409, f"an upload to the completed check-out answered {refused.status_code}, not 409")

    back = station.open("return")
    for view, data in (("rear", return_rear), ("left", return_left)):
        response = station.upload(back, view, data)
        checks.expect(response.status_code == 202, f"return upload {view}: {response.status_code} {response.text[:300]}")
    body = station.settle(back, 2)
    for photo in body["photos"]:
        checks.expect(photo["status"] == "processed", f"return photo {photo['view']}: {photo['status']} {photo.get('error', '')}")
    station.complete(back)
    station.report(back)
    comparison = reviewer.report(back)
    compared = (comparison.get("report") or {}).get("compared_with") or comparison.get("compared_with") or {}
    checks.expect(str(compared.get("id", "")).lower() == checkout, f"the return's report is compared with {compared.get('id')!r}, not the check-out {checkout}")

    # Someone mistyping a key on the sign-in page until the limit answers 429.
    browser = requests.Session()
    page = browser.get(main.url + "/app/signin", timeout=30)
    statuses = []
    for _ in range(int(main_env["WALKAROUND_RATE_LIMIT_SIGN_IN_PER_MINUTE"]) + 2):
        # Each page carries the form's CSRF token (and its cookie) for the next attempt.
        token = re.search(r'name="csrf"\s+value="([^"]*)"', page.text)
        page = browser.post(main.url + "/app/signin", data={"key": "not-a-key", "csrf": token.group(1) if token else ""},
                            allow_redirects=False, timeout=30)
        statuses.append(page.status_code)
    checks.expect(429 in statuses, f"failed sign-ins past the limit answered {statuses}, no 429")

    # The inference pod restarts while a photo is waiting: the job's attempt fails (the remote call
    # fails), it is retried, and the photo is processed once the pod is back.
    inference.stop()
    outage = station.open("checkout", plate="B-LC 4712")
    response = station.upload(outage, "left", jpeg(fixture("flips/pair-15-checkout-left.jpg", None)))
    checks.expect(response.status_code == 202, f"upload during the inference outage: {response.status_code} {response.text[:300]}")
    deadline = time.time() + 60
    while time.time() < deadline and "walkaround_job_failures_total{" not in main.scrape():
        time.sleep(0.2)
    inference.start()
    body = station.settle(outage, 1)
    checks.expect(body["photos"][0]["status"] == "processed",
                  f"the photo uploaded during the inference outage: {body['photos'][0]['status']} {body['photos'][0].get('error', '')}")

    # The report jobs (and their LLM calls) to their end.
    wanted_reports = 2
    deadline = time.time() + (400 if present["llm"] else 90)
    done = 0
    while time.time() < deadline:
        families = main.scrape()
        done = sum(float(v) for v in re.findall(r'^walkaround_jobs_total\{[^}]*kind="write_report"[^}]*outcome="done"[^}]*\}\s+(\S+)', families, re.M)) \
            + sum(float(v) for v in re.findall(r'^walkaround_jobs_total\{[^}]*outcome="done"[^}]*kind="write_report"[^}]*\}\s+(\S+)', families, re.M))
        if done >= wanted_reports:
            break
        time.sleep(1)
    checks.expect(done >= wanted_reports, f"walkaround_jobs_total{{kind=\"write_report\",outcome=\"done\"}} is {done} after the wait, not {wanted_reports}")
    workload_end = time.time()
    log(f"workload done: check-out {checkout}, return {back}; traced photo {traced_photo}")

    # --- traces ---
    deadline = time.time() + 20
    while True:
        problems = check_traces(checks, receiver, trace_id, client_span, traced_photo, "walkaround-all", "walkaround-inference")
        if not problems or time.time() > deadline:
            break
        time.sleep(0.5)
    print_tree(receiver.snapshot(), trace_id, client_span)
    if any("inference pod" in p for p in problems):
        refused = [line for line in inference.log_tail(200000).splitlines() if "failed_to_extract_span_context" in line]
        if refused:
            problems.append(f"the inference pod could not extract {len(refused)} incoming span contexts; the first: {refused[0][:600]}")
    for problem in problems:
        checks.expect(False, f"trace: {problem}")
    for problem in receiver.problems:
        checks.expect(False, f"OTLP receiver: {problem}")
    checks.expect(receiver.count() > 0, "the OTLP receiver got no span at all")
    services = sorted({s["service"] for s in receiver.snapshot()})
    log(f"OTLP: {receiver.count()} spans in {receiver.requests} exports from {services}")

    # --- metrics ---
    prometheus.wait_scrapes_after(workload_end, scrapes=3)
    inventory = {}
    promtool_ok = True
    for server in (main, inference):
        text = server.scrape()
        result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        promtool_ok &= result.returncode == 0
        checks.expect(result.returncode == 0, f"promtool check metrics on {server.name}'s scrape exited {result.returncode}:\n"
                      f"{(result.stdout + result.stderr).strip()[:3000]}")
        for name, entry in parse_exposition(text).items():
            item = inventory.setdefault(name, {"type": entry["type"], "help": entry["help"], "labels": set(), "roles": set()})
            item["labels"] |= entry["labels"]
            item["roles"].add(server.role)
            if entry["type"] != item["type"]:
                checks.expect(False, f"{name} is a {entry['type']} in {server.name}'s scrape and a {item['type']} in the other's")
    names_response = prometheus.api("/api/v1/label/__name__/values")
    names = set(names_response.get("data") or [])
    checks.expect(names_response.get("status") == "success" and names, f"no metric names from Prometheus: {names_response}")

    def exists(name):
        return name in names or any(name + suffix in names for suffix in ("_bucket", "_sum", "_count"))

    def exemption(name):
        for pattern, (when, reason) in EXEMPT.items():
            if re.fullmatch(pattern, name) and (when == "always" or not present.get(when, False)):
                return reason
        return None

    exprs, notes = collect_expressions(docs)
    for note in notes:
        log(note)
    parsed = failed_parse = 0
    used = {}
    for source, expr in exprs:
        result = prometheus.query(expr)
        if checks.expect(result.get("status") == "success",
                         f"{source}: does not run in Prometheus ({result.get('errorType')}: {result.get('error')}):\n    {expr}"):
            parsed += 1
        else:
            failed_parse += 1
        for name in metric_names(expr):
            used.setdefault(name, []).append(source)
    exempted, missing = {}, {}
    for name, sources in sorted(used.items()):
        if ":" in name:
            checks.expect(name in recorded, f"{name} (used by {sorted(set(sources))[:3]}) is not defined by a recording rule")
            continue
        if exists(name):
            checks.passed += 1
            continue
        reason = exemption(name)
        if reason:
            exempted[name] = reason
            continue
        missing[name] = sorted(set(sources))
        checks.expect(False, f"metric {name} is not in what Prometheus scraped; used by: {', '.join(missing[name][:4])}"
                      + (" …" if len(missing[name]) > 4 else ""))
    for name in REQUIRED + (REQUIRED_WITH_LLM if present["llm"] else []):
        checks.expect(name in names, f"required metric {name} is not in what Prometheus scraped")
    # The workload's events, counted.
    for expr, what in ((f'sum(walkaround_uploads_total{{namespace="{NAMESPACE}", outcome="accepted"}})', "accepted uploads"),
                       (f'sum(walkaround_uploads_total{{namespace="{NAMESPACE}", outcome="replayed"}})', "replayed uploads"),
                       (f'sum(walkaround_uploads_total{{namespace="{NAMESPACE}", outcome="refused"}})', "refused uploads"),
                       (f'sum(walkaround_photo_verdicts_total{{namespace="{NAMESPACE}", verdict="rejected"}})', "rejected verdicts"),
                       (f'sum(walkaround_photo_rejections_total{{namespace="{NAMESPACE}", issue="too_dark"}})', "too_dark rejections"),
                       (f'sum(inference_duration_seconds_count{{service="walkaround-inference"}})', "model runs in the inference pod")):
        result = prometheus.query(expr).get("data", {}).get("result", [])
        value = float(result[0]["value"][1]) if result else 0
        checks.expect(value >= 1, f"{what}: {expr} is {value}, expected at least 1")
    rules = prometheus.api("/api/v1/rules").get("data", {}).get("groups", [])
    for group in rules:
        for rule in group.get("rules", []):
            checks.expect(rule.get("health") != "err", f"rule {rule.get('name')} evaluates with an error: {rule.get('lastError')}")

    log("")
    log(f"metric inventory ({len(inventory)} families, main = serve --role all, inference = serve --role inference):")
    for name in sorted(inventory):
        entry = inventory[name]
        log(f"  {name:48} {entry['type']:9} {','.join(sorted(entry['roles'])):15} {{{', '.join(sorted(entry['labels']))}}}")
    if exempted:
        log("exempt (not checked against the scrape):")
        for name, reason in exempted.items():
            log(f"  {name}: {reason}")
    if args.write_inventory:
        when = datetime.date.today().isoformat()
        services = ", ".join(name for name, there in (("PostgreSQL", present["postgres"]), ("Redis", present["redis"]),
                                                     ("the S3 store", present["s3"]), ("the LLM", present["llm"])) if there) \
            or "SQLite and a folder, no Redis, S3 or LLM"
        write_between(OBSERVABILITY_DOC, "<!-- inventory:begin -->", "<!-- inventory:end -->",
                      inventory_markdown(inventory, when, services, promtool_ok),
                      "## Metric inventory")
        log(f"wrote the inventory into {os.path.relpath(OBSERVABILITY_DOC, ROOT)}")
    log("")
    log(f"summary: {len(exprs)} PromQL expressions ({parsed} run, {failed_parse} failed), {len(used)} metric names used "
        f"({len(missing)} missing, {len(exempted)} exempt), {len(inventory)} families scraped, {receiver.count()} spans; "
        f"{checks.passed} checks passed, {len(checks.failures)} failed")
    if checks.failures:
        for server in (main, inference):
            log(f"--- {server.name}'s log, last lines ---\n{server.log_tail(2500)}")
    return checks


# --- the tracing overhead benchmark --------------------------------------------------------------------

BENCH_SOURCES = ["car/checkout-left.jpg", "car/checkout-rear.jpg", "car/return-left.jpg", "car/return-rear.jpg"] + \
    [f"plates/scenes/{n}" for n in ("000-DE.jpg", "001-ES.jpg", "002-SE.jpg", "003-FR.jpg")] + \
    sorted(f"flips/{n}" for n in os.listdir(os.path.join(FIXTURES, "flips")) if n.endswith(".jpg"))
VIEWS = ["front", "front_left", "left", "rear_left", "rear", "rear_right", "right", "front_right"]


def timestamp(text):
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$", text)
    if not match:
        raise ValueError(f"not an ISO 8601 time: {text!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = float("0." + match.group(7)) if match.group(7) else 0.0
    zone = match.group(8) or "Z"
    offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[-2:])) * 60
    moment = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone.utc).timestamp()
    return moment - offset + fraction


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def bench_run(args, folder, receiver, label, env_extra, photos, run_index):
    env = dict(base_env(), LOG_LEVEL="warning", **env_extra)
    server = Walkaround(args.binary, f"bench-{run_index}", "all", env, folder)
    key = server.key("--role", "station", "--station", "BENCH-01", "--name", "bench")
    server.start()
    api = API(server, key)
    spans_before = receiver.count()
    server_ms, client_ms, statuses = [], [], {}
    try:
        for index, data in enumerate(photos):
            inspection = api.open("checkout", plate=f"B-TB {1000 + index}", station="BENCH-01")
            started = time.monotonic()
            response = api.upload(inspection, VIEWS[index % len(VIEWS)], data)
            if response.status_code != 202:
                raise Fatal(f"bench upload answered {response.status_code}: {response.text[:300]}")
            photo_id = response.json()["id"]
            deadline = time.time() + 120
            while True:
                photo = next(p for p in api.inspection(inspection)["photos"] if p["id"] == photo_id)
                if photo["status"] in ("processed", "rejected", "failed"):
                    break
                if time.time() > deadline:
                    raise Fatal(f"bench photo {photo_id} not settled in 120 s")
                time.sleep(0.02)
            elapsed = (time.monotonic() - started) * 1000
            if index < args.warmup:
                continue
            statuses[photo["status"]] = statuses.get(photo["status"], 0) + 1
            client_ms.append(elapsed)
            if photo.get("processed_at"):
                server_ms.append((timestamp(photo["processed_at"]) - timestamp(photo["created_at"])) * 1000)
    finally:
        server.stop()  # flushes its spans
        shutil.rmtree(server.folder, ignore_errors=True)
    time.sleep(0.5)
    return {"setting": label, "server_ms": server_ms, "client_ms": client_ms, "statuses": statuses, "spans": receiver.count() - spans_before}


def bench(args, folder, stack):
    receiver = Receiver()
    stack.append(receiver.stop)
    settings = [
        ("off", {"WALKAROUND_TRACING": "off"}),
        ("10 %", tracing_env(receiver, "traceidratio", "0.1", delay_ms=None)),
        ("100 %", tracing_env(receiver, "traceidratio", "1.0", delay_ms=None)),
    ]
    count = args.warmup + args.photos
    photos = [jpeg(fixture(BENCH_SOURCES[i % len(BENCH_SOURCES)], mirror=(i // len(BENCH_SOURCES)) % 2 == 1)) for i in range(count)]
    results = {label: {"server_ms": [], "client_ms": [], "statuses": {}, "spans": 0} for label, _ in settings}
    run_index = 0
    log(f"tracing bench: {args.rounds} rounds × {len(settings)} settings, {args.photos} photos each (+{args.warmup} warm-up), "
        f"one at a time; binary {os.path.relpath(args.binary, ROOT)}")
    for round_index in range(args.rounds):
        order = settings[round_index % len(settings):] + settings[: round_index % len(settings)]
        for label, env_extra in order:
            run_index += 1
            run = bench_run(args, folder, receiver, label, env_extra, photos, run_index)
            total = results[label]
            total["server_ms"] += run["server_ms"]
            total["client_ms"] += run["client_ms"]
            total["spans"] += run["spans"]
            for status, n in run["statuses"].items():
                total["statuses"][status] = total["statuses"].get(status, 0) + n
            log(f"  round {round_index + 1} {label:6}: median {statistics.median(run['server_ms']):.1f} ms (server), "
                f"{statistics.median(run['client_ms']):.1f} ms (client), {run['spans']} spans")
    checks = Checks()
    checks.expect(results["off"]["spans"] == 0, f"tracing off still sent {results['off']['spans']} spans")
    checks.expect(results["100 %"]["spans"] > 0, "tracing at 100 % sent no span")
    base = results["off"]
    rows = []
    for label, _ in settings:
        r = results[label]
        median, p90 = statistics.median(r["server_ms"]), percentile(r["server_ms"], 0.9)
        client_median, client_p90 = statistics.median(r["client_ms"]), percentile(r["client_ms"], 0.9)
        rows.append((label, len(r["server_ms"]), median, p90, median / statistics.median(base["server_ms"]),
                     p90 / percentile(base["server_ms"], 0.9), client_median, client_p90,
                     r["spans"] / max(1, len(r["client_ms"]) + args.warmup * args.rounds), r["statuses"]))
    header = ("| sampling | photos | upload → findings median | p90 | median vs off | p90 vs off | "
              "client-seen median | client-seen p90 | spans per photo (polls included) |")
    lines = [header, "|---|---|---|---|---|---|---|---|---|"]
    for label, n, median, p90, ratio, ratio90, cm, c90, spans, _ in rows:
        lines.append(f"| {label} | {n} | {median:.1f} ms | {p90:.1f} ms | {ratio:.3f} | {ratio90:.3f} | {cm:.1f} ms | {c90:.1f} ms | {spans:.1f} |")
    table = "\n".join(lines)
    log("")
    log(table)
    statuses = "; ".join(f"{label}: {r['statuses']}" for label, r in results.items())
    log(f"photo verdicts: {statuses}")
    if args.write:
        cpu = ""
        try:
            cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
        except OSError:
            pass
        build = "release" if args.release else "debug"
        block = (f"`tools/observability/run.sh --bench{' --release' if args.release else ''}` on {datetime.date.today().isoformat()}: "
                 f"{os.cpu_count()} cores ({cpu or platform.machine()}), {build} build, `serve --role all` on SQLite with the demo "
                 f"model, one photo at a time (each waited for until settled), {args.rounds} interleaved rounds × "
                 f"{args.photos} photos per setting after {args.warmup} warm-up photos. Upload → findings is the photo's "
                 "`processed_at − created_at` (the server's clock); client-seen is from the POST to the poll that saw the verdict. "
                 "Tracing on: `WALKAROUND_TRACING=otlp`, `OTEL_TRACES_SAMPLER=traceidratio` with `OTEL_TRACES_SAMPLER_ARG` 0.1 "
                 "and 1.0, exported over OTLP/HTTP (default batch delay) to a receiver on loopback.\n\n"
                 + table + "\n\nVerdicts: " + statuses + ".")
        write_between(PERFORMANCE_DOC, "<!-- tracing-bench:begin -->", "<!-- tracing-bench:end -->", block,
                      "## Tracing overhead on upload → findings (observability issue)")
        log(f"wrote the table into {os.path.relpath(PERFORMANCE_DOC, ROOT)}")
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", action="store_true", help="use .build/release/walkaround (default: debug)")
    parser.add_argument("--write-inventory", action="store_true", help="write the metric inventory into docs/observability.md")
    parser.add_argument("--bench", action="store_true", help="measure the tracing overhead instead of the check")
    parser.add_argument("--photos", type=int, default=40, help="--bench: photos per setting and round (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="--bench: interleaved rounds (default 3)")
    parser.add_argument("--warmup", type=int, default=3, help="--bench: photos not counted at each start (default 3)")
    parser.add_argument("--write", action="store_true", help="--bench: write the table into docs/performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, Prometheus data) for a post-mortem")
    args = parser.parse_args()
    args.binary = os.environ.get("WALKAROUND_BIN") or os.path.join(ROOT, ".build", "release" if args.release else "debug", "walkaround")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"no walkaround binary at {args.binary}: swift build{' -c release' if args.release else ''} --product walkaround")
    if not args.bench and not shutil.which("prometheus"):
        sys.exit("prometheus is not on PATH (tools/observability/run.sh installs Debian's package)")
    # SIGTERM (a timeout, make's interrupt) runs the clean-up below too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = tempfile.mkdtemp(prefix="walkaround-observability-")
    stack = []
    checks = None
    started = time.time()
    try:
        checks = bench(args, folder, stack) if args.bench else live_check(args, folder, stack)
    except Fatal as error:
        print(f"FAIL: {error}", flush=True)
        for server in Walkaround.started:
            print(f"--- {server.name}'s log, last lines ---\n{server.log_tail(2500)}", flush=True)
    except BaseException:
        for server in Walkaround.started:
            print(f"--- {server.name}'s log, last lines ---\n{server.log_tail(2500)}", flush=True)
        raise
    finally:
        for stop in reversed(stack):
            try:
                stop()
            except Exception as error:  # keep stopping the rest
                print(f"while stopping: {error}", file=sys.stderr)
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    took = time.time() - started
    if checks is None or checks.failures:
        failures = len(checks.failures) if checks else 1
        print(f"observability {'bench' if args.bench else 'live check'}: FAILED ({failures} failures, {took:.0f} s)", flush=True)
        sys.exit(1)
    print(f"observability {'bench' if args.bench else 'live check'}: passed ({checks.passed} checks, {took:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
