#!/usr/bin/env python3
"""Trains the demo damage model from scratch on the synthetic dataset, offline, and exports it.

Usage: train.py DATA_DIR OUT_DIR [--epochs N] [--imgsz N] [--batch N] [--device cpu|0] [--workers N]
Writes OUT_DIR/walkaround-demo.onnx and OUT_DIR/metrics.json (test-split mAP50, per class, timing).
YOLO("yolov8n.yaml") builds the architecture with random weights: nothing is downloaded.
"""
import argparse
import json
import os
import platform
import shutil
import time

os.environ.setdefault("YOLO_OFFLINE", "1")

import torch  # noqa: E402
from ultralytics import YOLO  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("data")
p.add_argument("out")
p.add_argument("--epochs", type=int, default=40)
p.add_argument("--imgsz", type=int, default=416)
p.add_argument("--batch", type=int, default=16)
p.add_argument("--device", default="0" if torch.cuda.is_available() else "cpu")
p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
p.add_argument("--hours", type=float, default=0, help="stop after this long (Ultralytics' `time`); 0: no limit")
a = p.parse_args()
gpu = a.device != "cpu"
os.makedirs(a.out, exist_ok=True)
data = os.path.join(os.path.abspath(a.data), "data.yaml")

model = YOLO("yolov8n.yaml")
start = time.time()
model.train(
    data=data, epochs=a.epochs, imgsz=a.imgsz, batch=a.batch, device=a.device, workers=a.workers, pretrained=False,
    amp=False, plots=False, project=os.path.abspath(os.path.join(a.out, "runs")), name="train", exist_ok=True,
    seed=0, deterministic=True, verbose=False, patience=0, mosaic=1.0, close_mosaic=5,
    **({"time": a.hours} if a.hours > 0 else {}),
)
epochs_run = model.trainer.epoch + 1
train_seconds = time.time() - start
metrics = model.val(data=data, split="test", imgsz=a.imgsz, batch=a.batch, device=a.device, plots=False, verbose=False)
names = model.names
per_class = {names[int(c)]: round(float(ap), 4) for c, ap in zip(metrics.box.ap_class_index, metrics.box.ap50)}
exported = model.export(format="onnx", imgsz=a.imgsz, opset=17, simplify=False, dynamic=True, device="cpu")
shutil.copy(exported, os.path.join(a.out, "walkaround-demo.onnx"))
with open(os.path.join(a.out, "metrics.json"), "w") as f:
    json.dump({
        "map50_test": round(float(metrics.box.map50), 4),
        "map50_95_test": round(float(metrics.box.map), 4),
        "ap50_per_class": per_class,
        "epochs": epochs_run, "imgsz": a.imgsz, "batch": a.batch,
        "train_images": len(os.listdir(os.path.join(a.data, "images", "train"))),
        "train_seconds": round(train_seconds),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
                   + (torch.cuda.get_device_name(0) if gpu else "CPU only"),
    }, f, indent=2)
print(json.dumps(per_class))
