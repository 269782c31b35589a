#!/usr/bin/env python3
"""Walkaround's Grafana dashboards as code.

  dashboards.py            writes deploy/kubernetes/components/grafana-dashboards/dashboards/*.json
                           and the panel list in docs/observability.md (between its markers)
  dashboards.py --check    writes nothing; exits 1 when a committed file differs from what this
                           script makes (run it without --check and commit the result)
  --root DIR               the deploy/kubernetes folder to write or check (default: this repository's)

The panels are the compact definitions below; the JSON is derived from them, so it is the same on
every run (no timestamps, no random ids). Every PromQL expression names only metrics of the
inventory (METRICS: what the binary exports) and keeps `namespace=~"$namespace"` on every
selector; generating or checking fails otherwise.

`expressions()` returns every PromQL expression of every dashboard with the Grafana variables
replaced by sample values Prometheus can parse (`$namespace` → `.*`, `$__rate_interval` → `5m`, …),
for `promtool check rules` (make k8s-check) and for a check against a live Prometheus.
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COMPONENT = os.path.join("components", "grafana-dashboards")
DOC = os.path.join(REPO, "docs", "observability.md")
BEGIN, END = "<!-- panels:begin -->", "<!-- panels:end -->"

# --- the metric inventory: what a running Walkaround exports ---------------------------------------
# name: (type, labels). H = histogram (_bucket, _sum, _count), C = counter (name ends in _total), G = gauge.
METRICS = {
    "http_request_duration_seconds": ("H", ("method", "route", "status")),
    "walkaround_photo_processing_seconds": ("H", ()),
    "walkaround_photo_stage_seconds": ("H", ("stage",)),
    "inference_duration_seconds": ("H", ("model", "version", "batch_size")),
    "walkaround_inference_batch_size": ("H", ("model", "version")),
    "walkaround_detections_total": ("C", ("model", "version", "class")),
    "walkaround_model_photos_total": ("C", ("model", "version")),
    "walkaround_model_info": ("G", ("model", "version", "role", "execution")),
    "walkaround_remote_inference_seconds": ("H", ("model",)),
    "walkaround_remote_inference_failures_total": ("C", ("model",)),
    "walkaround_plate_read_seconds": ("H", ()),
    "walkaround_plate_reads_total": ("C", ("outcome",)),
    "walkaround_uploads_total": ("C", ("station", "outcome")),
    "walkaround_photo_verdicts_total": ("C", ("station", "verdict")),
    "walkaround_photo_rejections_total": ("C", ("station", "issue")),
    "walkaround_photo_retakes_total": ("C", ("station",)),
    "walkaround_jobs_total": ("C", ("kind", "outcome")),
    "walkaround_job_queue_wait_seconds": ("H", ("kind",)),
    "walkaround_job_duration_seconds": ("H", ("kind",)),
    "walkaround_jobs_in_flight": ("G", ("kind",)),
    "walkaround_jobs_queued": ("G", ()),
    "walkaround_jobs_due": ("G", ("kind",)),
    "walkaround_jobs_oldest_due_age_seconds": ("G", ("kind",)),
    "walkaround_job_failures_total": ("C", ("kind", "reason")),
    "walkaround_llm_requests_total": ("C", ("provider", "outcome")),
    "walkaround_llm_request_seconds": ("H", ("provider",)),
    "walkaround_llm_tokens_total": ("C", ("provider", "type")),
    "walkaround_report_seconds": ("H", ("provider",)),
    "walkaround_db_connections_in_use": ("G", ("system",)),
    "walkaround_db_connections_max": ("G", ("system",)),
    "walkaround_db_query_seconds": ("H", ()),
    "walkaround_redis_up": ("G", ()),
    "walkaround_redis_commands_total": ("C", ("outcome",)),
    "walkaround_cache_total": ("C", ("cache", "outcome")),
    "walkaround_detection_cache_total": ("C", ("outcome",)),
    "walkaround_photo_store_requests_total": ("C", ("store", "operation", "outcome")),
    "walkaround_photo_store_request_seconds": ("H", ("store", "operation")),
    "walkaround_rate_limited_total": ("C", ("scope",)),
    "walkaround_build_info": ("G", ("version", "role")),
    "process_cpu_seconds_total": ("C", ()),
    "process_resident_memory_bytes": ("G", ()),
    "process_open_fds": ("G", ()),
    "process_start_time_seconds": ("G", ()),
}
# Labels Prometheus adds to every scraped series (ServiceMonitor targets).
TARGET_LABELS = ("namespace", "pod", "service", "container", "endpoint", "instance", "job")


def series_names():
    """Every series name the inventory's metrics expose, with the labels a selector may match on."""
    names = {}
    for name, (kind, labels) in METRICS.items():
        if kind == "H":
            names[name + "_bucket"] = labels + ("le",)
            names[name + "_sum"] = labels
            names[name + "_count"] = labels
        else:
            names[name] = labels
    return names


# --- PromQL helpers --------------------------------------------------------------------------------
NS = 'namespace=~"$namespace"'
RATE = "$__rate_interval"
API_PODS = 'pod=~"walkaround-api-.*"'
WORKER_PODS = 'pod=~"walkaround-worker-.*"'
INFERENCE_PODS = 'pod=~"walkaround-inference-.*"'
WALKAROUND_PODS = 'pod=~"walkaround-(api|worker|inference)-.*"'
UPLOAD_ROUTE = 'route="/v1/inspections/{id}/photos", method="POST"'
UNDER_500MS = 'le="0.5"'
LOCAL = 'provider="local"'
NOT_OK = 'outcome!="ok"'
REJECTED = 'verdict="rejected"'
REFUSED = 'outcome="refused"'


# The API and worker pods' PostgreSQL pools (inference pods keep a local SQLite file of one connection).
PG = 'system="postgresql"'


def sel(metric, *matchers):
    return f"{metric}{{{', '.join((NS,) + matchers)}}}"


def rate(metric, *matchers, window=RATE):
    return f"rate({sel(metric, *matchers)}[{window}])"


def increase(metric, *matchers, window="$__range"):
    return f"increase({sel(metric, *matchers)}[{window}])"


def by(labels):
    return f" by ({', '.join(labels)})" if labels else ""


def sum_rate(metric, *matchers, labels=(), window=RATE):
    return f"sum{by(labels)}{' ' if labels else ''}({rate(metric, *matchers, window=window)})"


def quantile(q, histogram, *matchers, labels=(), window=RATE):
    inner = sum_rate(histogram + "_bucket", *matchers, labels=tuple(labels) + ("le",), window=window)
    return f"histogram_quantile({q}, {inner})"


def mean(histogram, *matchers, labels=(), window=RATE):
    return f"{sum_rate(histogram + '_sum', *matchers, labels=labels, window=window)} / {sum_rate(histogram + '_count', *matchers, labels=labels, window=window)}"


def ratio(numerator, denominator):
    return f"{numerator} / {denominator}"


def quantiles(histogram, *matchers, qs=(0.5, 0.9), labels=(), legend=""):
    """One target per quantile: (expression, legend)."""
    prefix = legend or " ".join("{{" + l + "}}" for l in labels)
    return [(quantile(q, histogram, *matchers, labels=labels), f"{prefix} p{round(q * 100)}".strip()) for q in qs]


# The promise: 90 % of photos from upload to stored findings in under 500 ms (le="0.5" is a bucket
# boundary of walkaround_photo_processing_seconds), over a 30-day window.
SLO_TARGET = 0.9
SLO_WINDOW = "30d"
GOOD = "walkaround_photo_processing_seconds_bucket"
ALL = "walkaround_photo_processing_seconds_count"


def under_500ms(window):
    return ratio(f"sum({rate(GOOD, UNDER_500MS, window=window)})", f"sum({rate(ALL, window=window)})")


BUDGET_LEFT = (f"1 - (1 - sum({increase(GOOD, UNDER_500MS, window=SLO_WINDOW)}) / sum({increase(ALL, window=SLO_WINDOW)}))"
               f" / {1 - SLO_TARGET:.1f}")

# Each Walkaround pod's role from walkaround_build_info, joined onto the standard process metrics.
ROLE_JOIN = f"* on (namespace, pod) group_left (role) {sel('walkaround_build_info')}"


# --- LogQL (Loki) ------------------------------------------------------------------------------------
# Stream labels (components/logging): namespace, app, role, container, level. Ids are fields of the
# JSON line, filtered with `| json`, never labels.
STREAM = '{namespace=~"$namespace", app="walkaround"'
LOG_ERRORS = STREAM + ', level=~"error|critical"}'
LOG_SLOW_PHOTOS = (STREAM + ', role="worker"} | json | event="photo_processed" | ms > 500'
                   ' | line_format "{{.ms}} ms  trace_id={{.trace_id}}  photo_id={{.photo_id}}  inspection_id={{.inspection_id}}"')
LOG_STATION = STREAM + ', level=~"warning|error|critical"} | json | station="$station"'


# --- panel definitions ---------------------------------------------------------------------------------

class Row:
    def __init__(self, title):
        self.title = title


class Panel:
    """kind: timeseries, stat, bargauge, table, logs. targets: [(expression, legend)].
    source: prometheus or loki. thresholds: [(value, color)] above a green base."""

    def __init__(self, title, targets, unit, kind="timeseries", w=12, h=8, description="", source="prometheus",
                 thresholds=(), stack=False, mappings=(), min=None, max=None, line=False, base="green"):
        self.title, self.unit, self.kind, self.w, self.h = title, unit, kind, w, h
        targets = [targets] if isinstance(targets, str) else targets
        self.targets = [t if isinstance(t, tuple) else (t, "") for t in targets]
        self.description, self.source, self.thresholds, self.stack = description, source, thresholds, stack
        self.mappings, self.min, self.max, self.line, self.base = mappings, min, max, line, base


def overview():
    return [
        Row("The promise: upload → findings p90 under 500 ms (SLO: 90 % of photos in 30 days)"),
        Panel("Photos under 500 ms (this range)", under_500ms("$__range"), "percentunit", kind="stat", w=6, h=5,
              description="Share of photos whose findings were stored within 500 ms of the upload, over the selected range. The SLO is 90 %.",
              thresholds=((SLO_TARGET, "green"),), base="red"),
        Panel("Error budget left (30 days)", BUDGET_LEFT, "percentunit", kind="stat", w=6, h=5,
              description="Share of the 30-day budget of slow photos (10 %) not yet spent; below 0 the promise is broken for the month. "
                          "Reads 30 days of raw series: with a shorter Prometheus retention it is the budget over what is kept.",
              thresholds=((0, "orange"), (0.25, "green")), base="red"),
        Panel("p90 upload → findings (this range)", quantile(0.9, "walkaround_photo_processing_seconds", window="$__range"), "s", kind="stat",
              w=6, h=5, thresholds=((0.4, "orange"), (0.5, "red"))),
        Panel("Uploads per second (this range)", f"sum({rate('walkaround_uploads_total', window='$__range')})", "reqps", kind="stat", w=6, h=5),
        Panel("Upload → findings latency against the 500 ms promise",
              quantiles("walkaround_photo_processing_seconds", qs=(0.5, 0.9, 0.99), legend="upload → findings"), "s",
              thresholds=((0.5, "red"),), line=True, min=0,
              description="From the upload's 2xx to the stored findings (walkaround_photo_processing_seconds). The red line is the promise."),
        Panel("Share of photos under 500 ms", [(under_500ms(RATE), "under 500 ms")], "percentunit",
              thresholds=((SLO_TARGET, "green"),), base="red", line=True, max=1,
              description="Below the 90 % line the error budget burns."),
        Row("Traffic and errors"),
        Panel("Uploads per second by outcome", [(sum_rate("walkaround_uploads_total", labels=("outcome",)), "{{outcome}}")], "reqps", w=8, stack=True,
              description="accepted: new photos; replayed: a retried upload with the same Idempotency-Key; refused: not stored (4xx/5xx)."),
        Panel("HTTP 5xx share", [(ratio(sum_rate("http_request_duration_seconds_count", 'status=~"5.."'),
                                        sum_rate("http_request_duration_seconds_count")), "5xx / all")], "percentunit", w=8,
              thresholds=((0.001, "orange"), (0.01, "red")), line=True, min=0),
        Panel("Upload request latency (POST photos)", quantiles("http_request_duration_seconds", UPLOAD_ROUTE, legend="upload"), "s", w=8, min=0),
        Panel("Requests per second by status", [(sum_rate("http_request_duration_seconds_count", labels=("status",)), "{{status}}")], "reqps", stack=True),
        Panel("Failing job attempts per second", [(sum_rate("walkaround_jobs_total", 'outcome=~"retry|failed|quarantined"', labels=("kind", "outcome")),
                                                   "{{kind}} {{outcome}}")], "ops",
              description="Pipeline dashboard: failures by reason."),
        Row("Saturation per tier"),
        Panel("CPU by tier (cores)", [(f"sum by (role) ({rate('process_cpu_seconds_total')} {ROLE_JOIN})", "{{role}}")], "short", w=8, stack=True,
              description="process_cpu_seconds_total of every Walkaround pod, by its role (walkaround_build_info)."),
        Panel("CPU by pod (cores)", [(sum_rate("process_cpu_seconds_total", WALKAROUND_PODS, labels=("pod",)), "{{pod}}")], "short", w=8),
        Panel("Resident memory by pod", [(f"sum by (pod) ({sel('process_resident_memory_bytes', WALKAROUND_PODS)})", "{{pod}}")], "bytes", w=8),
        Panel("Jobs queued", [(f"max({sel('walkaround_jobs_queued')})", "queued")], "short", w=6,
              description="Every pod reports the same database count: max, not sum."),
        Panel("Oldest due job's age by kind", [(f"max by (kind) ({sel('walkaround_jobs_oldest_due_age_seconds')})", "{{kind}}")], "s", w=6,
              thresholds=((5, "orange"), (30, "red")), line=True),
        Panel("Database connections: in use and pool size", [(f"sum({sel('walkaround_db_connections_in_use', PG)})", "in use"),
                                                             (f"sum({sel('walkaround_db_connections_max', PG)})", "pool size")], "short", w=6),
        Panel("Busiest pod's pool use", f"max({sel('walkaround_db_connections_in_use', PG)} / {sel('walkaround_db_connections_max', PG)})", "percentunit",
              kind="stat", w=3, h=8, thresholds=((0.8, "orange"), (0.95, "red"))),
        Panel("Redis", f"min({sel('walkaround_redis_up')})", "none", kind="stat", w=3, h=8,
              mappings=((0, "down", "red"), (1, "up", "green")),
              description="Cache only: losing it loses nothing, but every pod then falls back to the database and to polling."),
        Row("Logs (Loki)"),
        Panel("Error lines per role", [(f"sum by (role) (count_over_time({LOG_ERRORS} [$__interval]))", "{{role}}")], "short", source="loki", stack=True,
              description="Loki: lines at level error or critical, by the stream label role."),
        Panel("Latest errors", LOG_ERRORS + " | json", "none", kind="logs", source="loki",
              description="Each line carries trace_id, request_id, inspection_id, photo_id and job_id where known: paste a trace_id into the tracing backend."),
    ]


def pipeline():
    stage_p = lambda q: [(quantile(q, "walkaround_photo_stage_seconds", labels=("stage",)), "{{stage}}")]
    return [
        Row("Each stage of a photo"),
        Panel("Stage latency p90", stage_p(0.9), "s", min=0,
              description="queue (created → claimed), read (object from the bucket), decode_gate (JPEG decode and quality gate), inference, plates, store."),
        Panel("Stage latency p50", stage_p(0.5), "s", min=0),
        Panel("Mean time per photo by stage (stacked)", [(mean("walkaround_photo_stage_seconds", labels=("stage",)), "{{stage}}")], "s", stack=True,
              description="Where a photo's time goes: the stack is about the upload → findings mean."),
        Panel("Photos per second through each stage", [(sum_rate("walkaround_photo_stage_seconds_count", labels=("stage",)), "{{stage}}")], "ops"),
        Row("Queue"),
        Panel("Jobs queued", f"max({sel('walkaround_jobs_queued')})", "short", kind="stat", w=4, h=8, thresholds=((50, "orange"), (200, "red"))),
        Panel("Due jobs by kind", [(f"max by (kind) ({sel('walkaround_jobs_due')})", "{{kind}}")], "short", w=10,
              description="Jobs whose run_at has passed and that no worker holds (every pod reports the database's count: max)."),
        Panel("Oldest due job's age by kind", [(f"max by (kind) ({sel('walkaround_jobs_oldest_due_age_seconds')})", "{{kind}}")], "s", w=10),
        Panel("Jobs in flight by kind", [(f"sum by (kind) ({sel('walkaround_jobs_in_flight')})", "{{kind}}")], "short", w=8, stack=True),
        Panel("Queue wait p90 by kind", [(quantile(0.9, "walkaround_job_queue_wait_seconds", labels=("kind",)), "{{kind}}")], "s", w=8),
        Panel("Job duration p90 by kind", [(quantile(0.9, "walkaround_job_duration_seconds", labels=("kind",)), "{{kind}}")], "s", w=8),
        Panel("Job outcomes per second", [(sum_rate("walkaround_jobs_total", labels=("kind", "outcome")), "{{kind}} {{outcome}}")], "ops", stack=True,
              description="done, retry (tried again later), failed (gave up), released (handed back at shutdown), quarantined."),
        Panel("Job failures by reason", [(sum_rate("walkaround_job_failures_total", labels=("kind", "reason")), "{{kind}}: {{reason}}")], "ops", stack=True),
        Row("Plates"),
        Panel("Plate reading latency", quantiles("walkaround_plate_read_seconds", legend="plate read"), "s", min=0),
        Panel("Plate reads by outcome", [(sum_rate("walkaround_plate_reads_total", labels=("outcome",)), "{{outcome}}")], "ops", stack=True),
        Row("Dependencies: database, photo store, Redis"),
        Panel("Database query latency", quantiles("walkaround_db_query_seconds", qs=(0.5, 0.9, 0.99), legend="query"), "s", w=8, min=0),
        Panel("Database connections in use by pod", [(f"sum by (pod) ({sel('walkaround_db_connections_in_use', PG)})", "{{pod}}")], "short", w=8),
        Panel("Rate-limited requests by scope", [(sum_rate("walkaround_rate_limited_total", labels=("scope",)), "{{scope}}")], "reqps", w=8),
        Panel("Photo store requests by operation and outcome",
              [(sum_rate("walkaround_photo_store_requests_total", labels=("store", "operation", "outcome")), "{{store}} {{operation}} {{outcome}}")], "ops", w=8),
        Panel("Photo store latency p90 by operation",
              [(quantile(0.9, "walkaround_photo_store_request_seconds", labels=("store", "operation")), "{{store}} {{operation}}")], "s", w=8),
        Panel("Redis commands by outcome", [(sum_rate("walkaround_redis_commands_total", labels=("outcome",)), "{{outcome}}")], "ops", w=8, stack=True),
        Panel("Cache hit ratio by cache", [(ratio(sum_rate("walkaround_cache_total", 'outcome="hit"', labels=("cache",)),
                                                  sum_rate("walkaround_cache_total", labels=("cache",))), "{{cache}}"),
                                           (ratio(sum_rate("walkaround_detection_cache_total", 'outcome="hit"'),
                                                  sum_rate("walkaround_detection_cache_total")), "detections")], "percentunit", max=1),
        Panel("Cache lookups by outcome", [(sum_rate("walkaround_cache_total", labels=("cache", "outcome")), "{{cache}} {{outcome}}"),
                                           (sum_rate("walkaround_detection_cache_total", labels=("outcome",)), "detections {{outcome}}")], "ops"),
        Row("Logs (Loki)"),
        Panel("Photos slower than 500 ms (follow the trace_id)", LOG_SLOW_PHOTOS, "none", kind="logs", source="loki", w=24, h=10,
              description="Worker lines with event=photo_processed and ms > 500: the trace_id opens the photo's trace from its upload to its stored findings."),
    ]


def inference():
    model = 'model=~"$model"'
    return [
        Row("Detection runs per model and version"),
        Panel("Inference p50 by batch size", [(quantile(0.5, "inference_duration_seconds", model, labels=("model", "version", "batch_size")),
                                               "{{model}} {{version}} batch {{batch_size}}")], "s", min=0,
              description="One Run of the model (on a GPU pod: mostly GPU time) per batch."),
        Panel("Inference p95 by batch size", [(quantile(0.95, "inference_duration_seconds", model, labels=("model", "version", "batch_size")),
                                               "{{model}} {{version}} batch {{batch_size}}")], "s", min=0,
              thresholds=((0.5, "red"),), line=True, description="HighInferenceLatency fires over 500 ms."),
        Panel("Runs per second by model and version", [(sum_rate("inference_duration_seconds_count", model, labels=("model", "version")),
                                                        "{{model}} {{version}}")], "ops", w=8),
        Panel("Batches per second by batch size", [(sum_rate("inference_duration_seconds_count", model, labels=("model", "batch_size")),
                                                    "{{model}} batch {{batch_size}}")], "ops", w=8, stack=True),
        Panel("Batch size: mean and p90", [(mean("walkaround_inference_batch_size", model, labels=("model", "version")), "{{model}} {{version}} mean"),
                                           (quantile(0.9, "walkaround_inference_batch_size", model, labels=("model", "version")),
                                            "{{model}} {{version}} p90")], "short", w=8),
        Row("What the models find"),
        Panel("Detections per second by class", [(sum_rate("walkaround_detections_total", model, labels=("model", "class")),
                                                  "{{model}} {{class}}")], "ops", stack=True),
        Panel("Detections per photo by class and version",
              [(f"{sum_rate('walkaround_detections_total', model, labels=('model', 'version', 'class'))} / on (model, version) group_left "
                f"{sum_rate('walkaround_model_photos_total', model, labels=('model', 'version'))}", "{{model}} {{version}} {{class}}")], "short",
              description="A canary model's findings against the stable version's: each class per photo the version saw."),
        Row("Remote inference (workers → inference pods) and CPU"),
        Panel("Remote inference latency", [(quantile(q, "walkaround_remote_inference_seconds", model, labels=("model",)), f"{{{{model}}}} p{p}")
                                           for q, p in ((0.5, 50), (0.95, 95))], "s", w=8, min=0,
              description="The workers' Open Inference Protocol call: network, queueing in the batcher and the run."),
        Panel("Remote inference failures per second", [(sum_rate("walkaround_remote_inference_failures_total", model, labels=("model",)), "{{model}}")],
              "ops", w=8),
        Panel("CPU of the inference pods (cores)", [(sum_rate("process_cpu_seconds_total", INFERENCE_PODS, labels=("pod",)), "{{pod}}")], "short", w=8),
        Panel("CPU seconds per photo (inference pods)",
              [(ratio(sum_rate("process_cpu_seconds_total", INFERENCE_PODS), sum_rate("walkaround_inference_batch_size_sum")), "CPU s / photo")], "s",
              description="On GPU pods this is what stays on the CPU (pre- and post-processing, the protocol)."),
        Panel("Loaded models", [(f"max by (model, version, role, execution) ({sel('walkaround_model_info', model)})", "")], "none", kind="table",
              description="walkaround_model_info: which version each pod runs and where (CPU or CUDA)."),
    ]


def reports():
    return [
        Row("Who writes the reports"),
        Panel("LLM requests per second by provider", [(sum_rate("walkaround_llm_requests_total", labels=("provider",)), "{{provider}}")], "ops",
              stack=True, w=8),
        Panel("Provider mix (share of LLM requests)",
              [(f"{sum_rate('walkaround_llm_requests_total', labels=('provider',))} / ignoring (provider) group_left "
                f"{sum_rate('walkaround_llm_requests_total')}", "{{provider}}")], "percentunit", stack=True, w=8, max=1),
        Panel("Reports written per second by provider", [(sum_rate("walkaround_report_seconds_count", labels=("provider",)), "{{provider}}")], "ops",
              stack=True, w=8, description="The provider whose text the report kept: the self-hosted model, the fallback API or the template."),
        Panel("Self-hosted answers not used (this range)",
              ratio(f"sum({increase('walkaround_llm_requests_total', LOCAL, NOT_OK)})",
                    f"sum({increase('walkaround_llm_requests_total', LOCAL)})"), "percentunit", kind="stat", w=6,
              thresholds=((0.1, "orange"), (0.2, "red")), description="LLMFallbackRateHigh fires over 20 % for 30 minutes."),
        Panel("Answers not used by provider and outcome (fallbacks)",
              [(sum_rate("walkaround_llm_requests_total", 'outcome!="ok"', labels=("provider", "outcome")), "{{provider}} {{outcome}}")], "ops",
              stack=True, w=9, description="timeout, rate_limited, server_error, client_error, unreachable, malformed, ungrounded: each sends the report on down the chain."),
        Panel("Grounding failures (share of answers)",
              [(ratio(sum_rate("walkaround_llm_requests_total", 'outcome="ungrounded"', labels=("provider",)),
                      sum_rate("walkaround_llm_requests_total", labels=("provider",))), "{{provider}}")], "percentunit", w=9, max=1,
              description="Answers that named a damage, panel, side, plate or count the data does not have."),
        Row("Latency and tokens"),
        Panel("LLM request latency by provider", [(quantile(q, "walkaround_llm_request_seconds", labels=("provider",)), f"{{{{provider}}}} p{p}")
                                                  for q, p in ((0.5, 50), (0.9, 90))], "s", w=8, min=0),
        Panel("Report writing latency by provider", [(quantile(q, "walkaround_report_seconds", labels=("provider",)), f"{{{{provider}}}} p{p}")
                                                     for q, p in ((0.5, 50), (0.9, 90))], "s", w=8, min=0,
              description="The whole chain for one report: every attempt, fallback and the grounding checks."),
        Panel("Tokens per second by provider and type", [(sum_rate("walkaround_llm_tokens_total", labels=("provider", "type")),
                                                          "{{provider}} {{type}}")], "short", w=8, stack=True),
        Panel("Tokens in this range by provider and type",
              [(f"sum by (provider, type) ({increase('walkaround_llm_tokens_total')})", "{{provider}} {{type}}")], "short", kind="bargauge", w=24, h=6,
              description="The fallback API's tokens are what it bills."),
    ]


def station():
    st = 'station=~"$station"'
    per_minute = lambda metric, *m, labels=(): f"60 * {sum_rate(metric, st, *m, labels=labels)}"
    return [
        Row("This station"),
        Panel("Uploads (this range)", f"sum({increase('walkaround_uploads_total', st)})", "short", kind="stat", w=6, h=5),
        Panel("Photos rejected (this range)",
              ratio(f"sum({increase('walkaround_photo_verdicts_total', st, REJECTED)})",
                    f"sum({increase('walkaround_photo_verdicts_total', st)})"), "percentunit", kind="stat", w=6, h=5,
              thresholds=((0.1, "orange"), (0.25, "red"))),
        Panel("Retake rate (this range)",
              ratio(f"sum({increase('walkaround_photo_retakes_total', st)})", f"sum({increase('walkaround_photo_verdicts_total', st)})"),
              "percentunit", kind="stat", w=6, h=5, thresholds=((0.1, "orange"), (0.25, "red")),
              description="Retakes per photo judged: how often the station's staff had to take a view again."),
        Panel("Uploads refused (this range)", f"sum({increase('walkaround_uploads_total', st, REFUSED)})", "short", kind="stat", w=6, h=5,
              thresholds=((1, "orange"),)),
        Panel("Uploads per minute by outcome", [(per_minute("walkaround_uploads_total", labels=("outcome",)), "{{outcome}}")], "opm", stack=True),
        Panel("Verdicts per minute: accepted vs rejected", [(per_minute("walkaround_photo_verdicts_total", labels=("verdict",)), "{{verdict}}")], "opm",
              stack=True),
        Panel("Rejection reasons per minute", [(per_minute("walkaround_photo_rejections_total", labels=("issue",)), "{{issue}}")], "opm", stack=True,
              description="The quality gate's issue codes (blur, exposure, too small, wrong view, …)."),
        Panel("Retake rate (1 h window)", [(ratio(sum_rate("walkaround_photo_retakes_total", st, window="1h"),
                                                  sum_rate("walkaround_photo_verdicts_total", st, window="1h")), "retakes / photos")], "percentunit",
              max=1, description="A one-hour window: one station's counts are small."),
        Panel("Rejection reasons (this range)", [(f"sort_desc(sum by (issue) ({increase('walkaround_photo_rejections_total', st)}))", "{{issue}}")],
              "short", kind="bargauge"),
        Panel("This station's warnings and errors", LOG_STATION, "none", kind="logs", source="loki",
              description="Loki: lines whose station field is this station."),
    ]


DASHBOARDS = [
    # (uid, title, description, builder, extra variables)
    ("walkaround-overview", "Walkaround / Overview",
     "The 07:30 page: is the promise (upload → findings p90 < 500 ms) kept, and which tier is the problem.", overview, ()),
    ("walkaround-pipeline", "Walkaround / Pipeline",
     "Each stage of a photo, the job queue, plates and the dependencies (database, photo store, Redis).", pipeline, ()),
    ("walkaround-inference", "Walkaround / Inference",
     "Detection models per model and version: latency by batch size, batching, findings, remote calls, CPU.", inference, ("model",)),
    ("walkaround-reports", "Walkaround / Reports",
     "Report writing: provider mix, fallbacks and grounding failures, latency, tokens.", reports, ()),
    ("walkaround-station", "Walkaround / Station",
     "One rental station: uploads, verdicts, rejection reasons, retakes.", station, ("station",)),
]


# --- JSON ------------------------------------------------------------------------------------------------

def datasource(source):
    return {"type": source, "uid": "${datasource}" if source == "prometheus" else "${loki}"}


def field_config(p):
    defaults = {"unit": p.unit}
    if p.min is not None:
        defaults["min"] = p.min
    if p.max is not None:
        defaults["max"] = p.max
    steps = [{"color": p.base, "value": None}] + [{"color": c, "value": v} for v, c in p.thresholds]
    defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    defaults["color"] = {"mode": "thresholds" if p.kind in ("stat", "bargauge") else "palette-classic"}
    if p.mappings:
        defaults["mappings"] = [{"type": "value", "options": {str(v): {"text": text, "color": color, "index": i}}}
                                for i, (v, text, color) in enumerate(p.mappings)]
    if p.kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line", "lineWidth": 1, "fillOpacity": 20 if p.stack else 0, "showPoints": "never", "spanNulls": False,
            "stacking": {"mode": "normal" if p.stack else "none", "group": "A"},
            "thresholdsStyle": {"mode": "line" if p.line else "off"},
        }
    return {"defaults": defaults, "overrides": []}


def options(p):
    if p.kind == "timeseries":
        return {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}, "tooltip": {"mode": "multi", "sort": "desc"}}
    if p.kind in ("stat", "bargauge"):
        o = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "orientation": "auto"}
        if p.kind == "stat":
            o |= {"colorMode": "value", "graphMode": "none", "justifyMode": "auto", "textMode": "auto"}
        else:
            o |= {"displayMode": "gradient", "showUnfilled": True}
            o["orientation"] = "horizontal"
        return o
    if p.kind == "table":
        return {"showHeader": True, "cellHeight": "sm"}
    return {"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending", "enableLogDetails": True, "dedupStrategy": "none",
            "prettifyLogMessage": False, "showCommonLabels": False, "showLabels": False}


def target(p, i, expr, legend):
    t = {"refId": chr(ord("A") + i), "datasource": datasource(p.source), "expr": expr}
    if p.source == "loki":
        t["queryType"] = "range"
        if legend:
            t["legendFormat"] = legend
        return t
    instant = p.kind in ("stat", "bargauge", "table")
    t |= {"legendFormat": legend or "__auto", "range": not instant, "instant": instant}
    if p.kind == "table":
        t["format"] = "table"
    return t


def panel_json(p, pid, pos):
    j = {"id": pid, "type": p.kind, "title": p.title}
    if p.description:
        j["description"] = p.description
    j |= {"datasource": datasource(p.source), "gridPos": pos}
    if p.kind != "logs":
        j["fieldConfig"] = field_config(p)
    j["options"] = options(p)
    j["targets"] = [target(p, i, e, l) for i, (e, l) in enumerate(p.targets)]
    if p.kind == "table":
        j["transformations"] = [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True}}}]
    return j


def variables(extra):
    prom = {"type": "prometheus", "uid": "${datasource}"}

    def ds(name, kind, label):
        return {"name": name, "label": label, "type": "datasource", "query": kind, "current": {}, "hide": 0, "includeAll": False,
                "multi": False, "options": [], "refresh": 1, "regex": "", "skipUrlSync": False}

    def query(name, label, q, multi=False):
        v = {"name": name, "label": label, "type": "query", "datasource": prom, "definition": q,
             "query": {"query": q, "refId": f"{name}-variable"}, "current": {}, "hide": 0, "includeAll": multi, "multi": multi,
             "options": [], "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1}
        if multi:
            v["allValue"] = ".*"
        return v

    out = [ds("datasource", "prometheus", "Prometheus"), ds("loki", "loki", "Loki"),
           query("namespace", "Namespace", "label_values(walkaround_build_info, namespace)")]
    if "model" in extra:
        out.append(query("model", "Model", f"label_values({sel('walkaround_model_info')}, model)", multi=True))
    if "station" in extra:
        out.append(query("station", "Station", f"label_values({sel('walkaround_uploads_total')}, station)"))
    return out


def layout(items):
    """Rows span the width; panels flow left to right and wrap at 24 columns."""
    panels, x, y, row_h, pid = [], 0, 0, 0, 1
    for item in items:
        if isinstance(item, Row):
            if x:
                y, x, row_h = y + row_h, 0, 0
            panels.append({"id": pid, "type": "row", "title": item.title, "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                           "panels": []})
            y += 1
        else:
            if x + item.w > 24:
                y, x, row_h = y + row_h, 0, 0
            panels.append(panel_json(item, pid, {"h": item.h, "w": item.w, "x": x, "y": y}))
            x, row_h = x + item.w, max(row_h, item.h)
        pid += 1
    return panels


def dashboard(uid, title, description, build, extra):
    return {
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
                                  "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": description,
        "editable": False,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [{"title": "Walkaround", "type": "dashboards", "tags": ["walkaround"], "asDropdown": True, "includeVars": True,
                   "keepTime": True, "icon": "external link", "targetBlank": False, "tooltip": "", "url": ""}],
        "panels": layout(build()),
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": ["walkaround"],
        "templating": {"list": variables(extra)},
        "time": {"from": "now-3h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


# --- checks on the definitions -----------------------------------------------------------------------------

SAMPLES = {"$namespace": ".*", "$station": ".*", "$model": ".*", "$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
KEYWORDS = {"sum", "by", "rate", "increase", "histogram_quantile", "max", "min", "on", "group_left", "ignoring", "sort_desc", "and", "or",
            "unless", "without", "count", "avg", "offset", "bool", "topk", "bottomk", "le"}


def selectors(expr):
    """(name, matchers) of every `name{...}` in a PromQL expression, skipping quoted strings."""
    out, i = [], 0
    while i < len(expr):
        c = expr[i]
        if c == '"':
            i = expr.index('"', i + 1) + 1
            continue
        m = IDENT.match(expr, i)
        if not m:
            i += 1
            continue
        name, j = m.group(0), m.end()
        if j < len(expr) and expr[j] == "{":
            k, quoted = j + 1, False
            while expr[k] != "}" or quoted:
                if expr[k] == '"':
                    quoted = not quoted
                k += 1
            out.append((name, expr[j + 1:k]))
            j = k + 1
        elif name.startswith(("walkaround_", "http_", "inference_", "process_")):
            out.append((name, None))
        i = j
    return out


def lint(uid, p):
    problems, known = [], series_names()
    if p.source != "prometheus":
        for expr, _ in p.targets:
            if 'namespace=~"$namespace"' not in expr:
                problems.append(f"{uid}: {p.title}: LogQL without the namespace matcher: {expr}")
        return problems
    for expr, _ in p.targets:
        found = selectors(expr)
        if not found:
            problems.append(f"{uid}: {p.title}: no metric in {expr}")
        for name, matchers in found:
            if name not in known:
                problems.append(f"{uid}: {p.title}: {name} is not in the metric inventory")
                continue
            if matchers is None or not re.search(r'namespace=~?"\$namespace"', matchers):
                problems.append(f"{uid}: {p.title}: {name} without namespace=~\"$namespace\"")
                continue
            for label in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"', matchers):
                if label not in known[name] and label not in TARGET_LABELS:
                    problems.append(f"{uid}: {p.title}: {name} has no label {label}")
    return problems


def panels():
    """(dashboard uid, panel) for every panel, in order."""
    return [(uid, p) for uid, _, _, build, _ in DASHBOARDS for p in build() if isinstance(p, Panel)]


def substitute(expr):
    for var in sorted(SAMPLES, key=len, reverse=True):
        expr = expr.replace(var, SAMPLES[var])
    return expr


def expressions():
    """Every PromQL expression of every dashboard, Grafana variables replaced by sample values."""
    out = []
    for _, p in panels():
        if p.source == "prometheus":
            for expr, _ in p.targets:
                e = substitute(expr)
                if e not in out:
                    out.append(e)
    for v in [v for _, _, _, _, extra in DASHBOARDS for v in variables(extra) if v["type"] == "query"]:
        m = re.fullmatch(r"label_values\((.*), \w+\)", v["definition"])
        if m and "{" in m.group(1):
            e = substitute(m.group(1))
            if e not in out:
                out.append(e)
    return out


def logql():
    """Every LogQL expression of every dashboard, Grafana variables replaced by sample values."""
    return [substitute(e) for _, p in panels() if p.source == "loki" for e, _ in p.targets]


def metric_names():
    """The inventory's series every PromQL expression reads, sorted."""
    return sorted({name for _, p in panels() if p.source == "prometheus" for e, _ in p.targets for name, _ in selectors(e)})


# --- the panel list in docs/observability.md -----------------------------------------------------------------

DOC_INTRO = """# Observability

Walkaround exports Prometheus metrics on each pod's metrics port (`/metrics`, port 9090), writes JSON
log lines to standard output, and sends OpenTelemetry traces when `WALKAROUND_TRACING=otlp`. The
deploy side (Grafana dashboards, the log pipeline to Loki, the OpenTelemetry Collector) is in
`docs/deploy.md`, "Observability".

## Dashboards

Grafana is not packaged here, so there are no screenshots: the list below is what each dashboard
shows, rendered from the same definitions as the dashboard JSON by
`tools/observability/dashboards.py` (`make k8s-check` fails when the two differ). Variables:
`$namespace` (the environment), `$__rate_interval` and `$__range` (Grafana's), `$model` and
`$station` where the dashboard has them.

"""


def doc_section(boards):
    """The panel list, read from the dashboards' JSON: per panel its title, type, unit and queries."""
    lines = [BEGIN, ""]
    for board in boards:
        lines += [f"### {board['title']} (`{board['uid']}`)", "", board["description"], ""]
        for panel in board["panels"]:
            if panel["type"] == "row":
                if lines[-1]:
                    lines.append("")
                lines += [f"**{panel['title']}**", ""]
                continue
            lang = "LogQL" if panel["datasource"]["type"] == "loki" else "PromQL"
            unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "log lines")
            lines.append(f"- {panel['title']} — {panel['type']}, unit `{unit}`, {lang}:")
            targets = panel["targets"]
            for t in targets:
                legend = t.get("legendFormat", "")
                lines.append(f"  - `{t['expr']}`" + (f" ({legend})" if legend and legend != "__auto" and len(targets) > 1 else ""))
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def doc_text(current, boards):
    if current is None or BEGIN not in current or END not in current:
        base = current if current is not None else DOC_INTRO
        return base.rstrip("\n") + "\n\n" + doc_section(boards) + "\n"
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + doc_section(boards) + tail


# --- main ------------------------------------------------------------------------------------------------------

def outputs(root):
    """{path: text} of every file this script owns."""
    problems = [msg for uid, p in panels() for msg in lint(uid, p)]
    if problems:
        raise SystemExit("dashboards: " + "\n".join(problems))
    folder = os.path.join(root, COMPONENT, "dashboards")
    boards = [dashboard(*d) for d in DASHBOARDS]
    files = {os.path.join(folder, f"{b['uid']}.json"): json.dumps(b, indent=2, ensure_ascii=False) + "\n" for b in boards}
    current = open(DOC).read() if os.path.exists(DOC) else None
    files[DOC] = doc_text(current, boards)
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed files differ from what this script makes")
    parser.add_argument("--root", default=os.path.join(REPO, "deploy", "kubernetes"), help="the deploy/kubernetes folder")
    a = parser.parse_args()
    files = outputs(a.root)
    folder = os.path.join(a.root, COMPONENT, "dashboards")
    if a.check:
        stale = [path for path, text in files.items() if not os.path.exists(path) or open(path).read() != text]
        stray = [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".json") and os.path.join(folder, f) not in files] \
            if os.path.isdir(folder) else []
        for path in stale:
            print(f"dashboards: {os.path.relpath(path, REPO)} differs from what tools/observability/dashboards.py makes")
        for path in stray:
            print(f"dashboards: {os.path.relpath(path, REPO)} is made by nothing in tools/observability/dashboards.py")
        if stale or stray:
            print("dashboards: run tools/observability/dashboards.py and commit the result")
            return 1
        print(f"dashboards: {len(DASHBOARDS)} dashboards, {len(panels())} panels, {len(expressions())} PromQL expressions: up to date")
        return 0
    os.makedirs(folder, exist_ok=True)
    for path, text in files.items():
        if not os.path.exists(path) or open(path).read() != text:
            with open(path, "w") as f:
                f.write(text)
            print(f"wrote {os.path.relpath(path, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
