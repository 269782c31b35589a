#!/usr/bin/env bash
# Reproduces models/walkaround-demo.onnx: renders the synthetic dataset, trains YOLOv8n from
# scratch (offline; on the GPU when PyTorch sees one, else the CPU), evaluates on the held-out
# test split and exports ONNX. Arguments after the third go to train.py (--batch, --hours, ...).
#   tools/demo-model/train.sh [EPOCHS] [IMGSZ] [TRAIN_IMAGES] [train.py options]
# The committed model: tools/demo-model/train.sh 80 480 4000 --batch 64 --workers 14 --hours 0.11
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-80}
imgsz=${2:-480}
train=${3:-4000}
shift $(( $# < 3 ? $# : 3 ))
if [ ! -x .venv-train/bin/python ]; then
  python3 -m venv .venv-train
  .venv-train/bin/pip install -q -r tools/demo-model/requirements.txt
  .venv-train/bin/pip install -q --no-deps ultralytics==8.4.190
fi
work=models/.work
rm -rf "$work/data"
.venv-train/bin/python tools/demo-model/render_dataset.py "$work/data" --train "$train" --val 300 --test 300
YOLO_CONFIG_DIR="$PWD/$work/config" .venv-train/bin/python tools/demo-model/train.py "$work/data" "$work" \
  --epochs "$epochs" --imgsz "$imgsz" "$@"
cp "$work/walkaround-demo.onnx" models/walkaround-demo.onnx
cp "$work/metrics.json" models/walkaround-demo.metrics.json
.venv-train/bin/python tools/demo-model/model_card.py models/walkaround-demo.metrics.json > models/README.md
# Reference detections (Ultralytics on ONNX Runtime Python) and held-out scenes for the Swift tests.
rm -rf Tests/InferenceTests/Fixtures/reference Tests/InferenceTests/Fixtures/holdout
YOLO_CONFIG_DIR="$PWD/$work/config" .venv-train/bin/python tools/demo-model/make_reference.py models/walkaround-demo.onnx Tests/InferenceTests/Fixtures
ls -l models/walkaround-demo.onnx
