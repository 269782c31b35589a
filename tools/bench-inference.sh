#!/usr/bin/env bash
# Raw inference benchmark: ONNX Runtime's Run of the model at 640 and at its own input size, and the
# in-process photo path (decode + letterbox + Run + NMS), release build, 2 intra-op threads
# (inference-bench). End to end against the Python services a team would write: `make bench`.
# Usage: tools/bench-inference.sh [ITERATIONS] [MODEL]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-40}
model=${2:-models/walkaround-demo-int8.onnx}
tools/install-onnxruntime.sh
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q -r tools/bench/requirements.txt
fi
swift build -c release --product inference-bench >/dev/null
photo=.build/bench-12mp.jpg
[ -f "$photo" ] || .venv-bench/bin/python tools/bench/make_photo.py "$photo" 4000 3000 6
echo "# $(nproc) cores, photo $(stat -c %s "$photo") bytes (4000×3000, EXIF orientation 6), model $model"
ORT_LIBRARY_PATH=.ort/lib/libonnxruntime.so .build/release/inference-bench "$model" "$photo" "$count" 2
