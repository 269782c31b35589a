#!/usr/bin/env bash
# Makes models/walkaround-demo-int8.onnx from models/walkaround-demo.onnx (tools/demo-model/quantize.py)
# in a cached venv with pinned wheels. About a minute on 2 cores.
#   tools/demo-model/quantize.sh [SCENES]
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${XDG_CACHE_HOME:-$HOME/.cache}/walkaround/quant-venv
if ! "$venv/bin/python" -c 'import onnxruntime, onnx, numpy, PIL' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy==2.2.6 pillow==12.1.1 onnx==1.19.1 onnxruntime==1.31.1
fi
"$venv/bin/python" tools/demo-model/quantize.py models/walkaround-demo.onnx models/walkaround-demo-int8.onnx "${1:-128}"
