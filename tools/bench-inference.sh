#!/usr/bin/env bash
# Inference benchmark, all in one run, 2 intra-op threads everywhere:
#   1. raw ONNX Runtime Run of the demo model (inference-bench, release);
#   2. Walkaround end to end: a release `walkaround serve` (SQLite), a 12 MP JPEG uploaded and
#      polled until its findings are stored, sequentially and 4 at a time (tools/bench/e2e_client.py);
#   3. the same work in plain Python (tools/bench/python_service.py), sequentially and 4 at a time.
# Usage: tools/bench-inference.sh [PHOTOS] [MODEL]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-40}
model=${2:-models/walkaround-demo.onnx}
tools/install-onnxruntime.sh
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q -r tools/bench/requirements.txt
fi
.venv-bench/bin/python -c 'import onnxruntime' 2>/dev/null || .venv-bench/bin/pip install -q onnxruntime==1.31.1
swift build -c release --product walkaround >/dev/null
swift build -c release --product inference-bench >/dev/null
photo=.build/bench-12mp.jpg
[ -f "$photo" ] || .venv-bench/bin/python tools/bench/make_photo.py "$photo" 4000 3000 6
echo "# $(nproc) cores, photo $(stat -c %s "$photo") bytes (4000×3000, EXIF orientation 6), model $model"
.build/release/inference-bench "$model" "$photo" 40 2

work=$(mktemp -d /tmp/walkaround-bench.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export WALKAROUND_DATA_DIR="$work/data" LOG_LEVEL=warning WALKAROUND_MODEL_PATH="$model" WALKAROUND_INFERENCE_THREADS=2
key=$(.build/release/walkaround keys create --role station --station BENCH-01 2>/dev/null)
.build/release/walkaround serve --host 127.0.0.1 --port "$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 200); do curl -sf "localhost:$port/ready" >/dev/null && break; sleep 0.1; done
for concurrency in 1 4; do
  python3 tools/bench/e2e_client.py "http://127.0.0.1:$port" "$key" "$photo" "$count" "$concurrency"
  .venv-bench/bin/python tools/bench/python_service.py "$model" "$photo" "$count" "$concurrency" 2
done
