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
bin=.build/$config/walkaround
[ -x "$bin" ] || { echo "build it first: swift build -c $config --product walkaround" >&2; exit 1; }
[ -f models/walkaround-demo.onnx ] && [ -f .ort/lib/libonnxruntime.so ] || { echo "run make build first (model and ONNX Runtime)" >&2; exit 1; }
work=$(mktemp -d /tmp/walkaround-latency.XXXXXX)
pid=
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap stop EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
metrics=$(free_port)
key=$("$bin" keys create --role station --station BENCH-1 --name bench --data-dir "$work/data" 2>/dev/null)
WALKAROUND_MODEL_PATH=models/walkaround-demo.onnx ORT_LIBRARY_PATH=.ort/lib/libonnxruntime.so WALKAROUND_PLATES_ENABLED=false \
  LOG_LEVEL=warning "$bin" serve --host 127.0.0.1 --port "$port" --metrics-port "$metrics" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -sf "127.0.0.1:$metrics/ready" >/dev/null && break; sleep 0.1; done
curl -sf "127.0.0.1:$metrics/ready" >/dev/null || { cat "$work/server.log"; exit 1; }

python3 - "http://127.0.0.1:$port" "$key" "$rounds" Tests/InferenceTests/Fixtures/car <<'PY'
import json, statistics, sys, time, urllib.error, urllib.request
base, key, rounds, fixtures = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

def call(method, path, body=None, content_type="application/json"):
    request = urllib.request.Request(base + path, data=body, method=method)
    request.add_header("Authorization", "Bearer " + key)
    if body is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()

def inspect(kind, plate):
    status, body = call("POST", "/v1/inspections", json.dumps({"kind": kind, "station": "BENCH-1", "vehicle": {"plate": plate}}).encode())
    assert status == 201, (status, body)
    inspection = json.loads(body)["id"]
    for view in ("rear", "left"):
        with open(f"{fixtures}/{kind}-{view}.jpg", "rb") as photo:
            status, body = call("POST", f"/v1/inspections/{inspection}/photos?view={view}", photo.read(), "image/jpeg")
        assert status == 202, (status, body)
    started = time.monotonic()
    status, body = call("POST", f"/v1/inspections/{inspection}/complete")
    assert status == 200, (status, body)
    while True:
        status, body = call("GET", f"/v1/inspections/{inspection}/report")
        if status == 200:
            return (time.monotonic() - started) * 1000, json.loads(body)
        assert status == 202, (status, body)
        time.sleep(0.01)

times = []
for index in range(rounds):
    plate = f"B-LT {index + 1}"
    inspect("checkout", plate)
    elapsed, report = inspect("return", plate)
    statuses = sorted(f"{d['class_name']}={d['status']}" for d in report["report"]["damages"])
    print(f"round {index + 1}: {elapsed:.0f} ms, {statuses}, prose by {report['provider']}")
    times.append(elapsed)
times.sort()
p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
print(f"complete → stored report over {rounds} returns: median {statistics.median(times):.0f} ms, p90 {p90:.0f} ms")
PY
