#!/usr/bin/env python3
"""The Python baseline for the inference benchmark: the same work per photo as Walkaround's
pipeline, in plain Python: OpenCV decode (imdecode, EXIF orientation applied), letterbox
(INTER_AREA), ONNX Runtime with the same model and intra-op threads, YOLO decoding and class-wise
NMS in numpy, and the detections stored in SQLite (one transaction per photo). No HTTP, so it
is a conservative baseline. Usage: python_service.py MODEL PHOTO COUNT CONCURRENCY THREADS."""
import ast
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time

import cv2
import numpy as np
import onnxruntime as ort

model, photo, count, concurrency, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
options = ort.SessionOptions()
options.intra_op_num_threads = threads
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
meta = session.get_modelmeta().custom_metadata_map
size = ast.literal_eval(meta["imgsz"])[0]
names = ast.literal_eval(meta["names"])
input_name = session.get_inputs()[0].name
body = open(photo, "rb").read()
database = os.path.join(tempfile.mkdtemp(), "bench.sqlite")
setup = sqlite3.connect(database)
setup.executescript("PRAGMA journal_mode=WAL; CREATE TABLE detections (photo INTEGER, class TEXT, confidence REAL, x1 REAL, y1 REAL, x2 REAL, y2 REAL);")
setup.close()
local = threading.local()


def nms(boxes, scores, iou):
    order, keep = scores.argsort()[::-1], []
    while order.size:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        yy1 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        xx2 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        yy2 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        overlap = inter / (area(boxes[i]) + area(boxes[order[1:]]) - inter + 1e-9)
        order = order[1:][overlap <= iou]
    return keep


def process(index):
    image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    h0, w0 = image.shape[:2]
    r = min(size / w0, size / h0)
    w, h = round(w0 * r), round(h0 * r)
    left, top = (size - w) // 2, (size - h) // 2
    canvas = cv2.copyMakeBorder(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA), top, size - h - top, left, size - w - left,
                                cv2.BORDER_CONSTANT, value=(114, 114, 114))
    tensor = np.ascontiguousarray(canvas[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255
    output = session.run(None, {input_name: tensor})[0][0]
    scores = output[4:].max(0)
    classes = output[4:].argmax(0)
    keep = scores > 0.25
    cx, cy, bw, bh = output[:4, keep]
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
    found = []
    for c in np.unique(classes[keep]):
        mask = classes[keep] == c
        for i in nms(boxes[mask], scores[keep][mask], 0.7):
            x1, y1, x2, y2 = boxes[mask][i]
            found.append((index, names[int(c)], float(scores[keep][mask][i]), (x1 - left) / r, (y1 - top) / r, (x2 - left) / r, (y2 - top) / r))
    if not hasattr(local, "db"):
        local.db = sqlite3.connect(database)
    with local.db:
        local.db.executemany("INSERT INTO detections VALUES (?, ?, ?, ?, ?, ?, ?)", found)
    return len(found)


results, lock = [], threading.Lock()
counter = iter(range(count))


def worker():
    for index in counter:
        start = time.perf_counter()
        process(index)
        with lock:
            results.append((time.perf_counter() - start) * 1000)


for _ in range(2):
    process(-1)
start = time.perf_counter()
pool = [threading.Thread(target=worker) for _ in range(concurrency)]
for t in pool:
    t.start()
for t in pool:
    t.join()
elapsed = time.perf_counter() - start
latencies = sorted(results)
print(json.dumps({
    "what": f"Python (OpenCV + onnxruntime + numpy NMS + SQLite), photo → stored findings, {concurrency} at a time",
    "photos": len(results), "photos_per_s": round(len(results) / elapsed, 2),
    "median_ms": round(statistics.median(latencies), 1), "p90_ms": round(latencies[int(len(latencies) * 0.9) - 1], 1),
}))
