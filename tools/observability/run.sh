#!/usr/bin/env bash
# The live observability check (make test): a real `walkaround serve --role all` and an inference
# pod (debug build; --release for the release one) exporting traces to an OTLP/HTTP receiver in
# the check and scraped by Debian's Prometheus (installed when missing; the binary is run here,
# never the Debian service), a workload through the API, then the span links of one photo's
# trace, `promtool check metrics`, and every PromQL expression of the dashboards, rules and
# rollout analyses run against what Prometheus scraped (tools/observability/live_check.py).
# Under tools/with-postgres.sh, with-s3.sh, with-redis.sh and with-llm.sh the main process uses
# them; without, SQLite and a folder.
#   tools/observability/run.sh [--release] [--write-inventory]
#   tools/observability/run.sh --bench [--release] [--photos N] [--rounds R] [--write]   (tracing overhead)
set -euo pipefail
cd "$(dirname "$0")/../.."
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  echo "installing prometheus and promtool (Debian package prometheus)"
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package starts its own server where an init system runs; the check runs the binary itself.
  (sudo_if_needed systemctl disable --now prometheus >/dev/null 2>&1 || sudo_if_needed service prometheus stop >/dev/null 2>&1) || true
fi
pins=(requests==2.32.5 protobuf==7.36.2 opentelemetry-proto==1.45.2 pyyaml==6.0.3 pillow==12.1.1)
venv=${WALKAROUND_CACHE:-$HOME/.cache/walkaround}/observability-otlp1.45.2-pb7.36.2-rq2.32.5-yaml6.0.3-pil12.1.1
if ! "$venv/bin/python" -c 'import requests, yaml, PIL, google.protobuf, opentelemetry.proto.collector.trace.v1.trace_service_pb2' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
fi
config=debug
for argument in "$@"; do [ "$argument" = --release ] && config=release; done
bin=$(. tools/lib/serve.sh && serve_binary "$config")
export WALKAROUND_BIN=$PWD/$bin
exec "$venv/bin/python" tools/observability/live_check.py "$@"
