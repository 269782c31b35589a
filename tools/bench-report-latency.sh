#!/usr/bin/env bash
# Time from `POST /v1/inspections/{id}/complete` of a return to its stored report (the first
# `GET …/report` that answers 200), with the demo model on the rendered car photos
# (Tests/InferenceTests/Fixtures/car): each round is a check-out and a return of a new vehicle,
# both photos uploaded and the inspection completed at once, as a station does. Prints each
# round, then the median and p90 in milliseconds.
#   tools/bench-report-latency.sh [release|debug] [rounds]     (defaults: release, 10; builds nothing)
# `walkaround serve` on SQLite in a temporary folder, no LLM configured (the report is stored
# with the template's prose before any LLM is asked; set WALKAROUND_LLM_URL to check that one
# configured does not change this figure).
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
rounds=${2:-10}
. tools/lib/serve.sh
bin=$(serve_binary "$config")
[ -f models/walkaround-demo.onnx ] && [ -f .ort/lib/libonnxruntime.so ] || { echo "run make build first (model and ONNX Runtime)" >&2; exit 1; }
work=$(mktemp -d /tmp/walkaround-latency.XXXXXX)
trap 'serve_stop; rm -rf "$work"' EXIT
key=$("$bin" keys create --role station --station BENCH-1 --name bench --data-dir "$work/data" 2>/dev/null)
serve_start "$bin" "$work/data" "$work/server.log" WALKAROUND_MODEL_PATH=models/walkaround-demo.onnx \
  ORT_LIBRARY_PATH=.ort/lib/libonnxruntime.so WALKAROUND_PLATES_ENABLED=false LOG_LEVEL=warning
python3 tools/bench-report-latency.py "http://127.0.0.1:$SERVE_PORT" "$key" "$rounds" Tests/InferenceTests/Fixtures/car
