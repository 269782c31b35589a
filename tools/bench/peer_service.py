#!/usr/bin/env python3
"""A peer service for `make bench`: what a careful Python team would write instead of Walkaround.
FastAPI + uvicorn, `POST /detect` with a raw JPEG body answers the detections (class, confidence,
box in original upright pixels); the CPU work runs in the thread pool (as FastAPI runs sync work),
nothing is stored. Two flavours:

- `ort-opencv`: OpenCV full decode (`imdecode`, EXIF orientation applied), INTER_AREA letterbox,
  ONNX Runtime (CPU provider), numpy decoding and class-wise NMS.
- `openvino-pillow`: Pillow's `draft` (DCT-scaled decode, as Walkaround's), `exif_transpose`,
  letterbox, OpenVINO on the CPU with the bf16 precision hint (the fastest setting on this CPU),
  one infer request per thread, the same numpy decoding and NMS.

Usage: peer_service.py FLAVOUR MODEL THREADS PORT"""
import ast
import io
import sys
import threading

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from PIL import Image, ImageOps

flavour, model, threads, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
local = threading.local()

import onnxruntime as ort  # also reads the model's metadata (imgsz, names) for the OpenVINO flavour

if flavour == "ort-opencv":
    import cv2

    cv2.setNumThreads(threads)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name

    def run(tensor):
        return session.run(None, {input_name: tensor})[0][0]
else:
    import openvino as ov

    network = ov.Core().read_model(model)
    compiled = ov.Core().compile_model(network, "CPU", {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "bf16", "PERFORMANCE_HINT": "LATENCY"})

    def run(tensor):
        if not hasattr(local, "request"):
            local.request = compiled.create_infer_request()
        return local.request.infer({0: tensor})[0][0]

meta = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).get_modelmeta().custom_metadata_map
size = ast.literal_eval(meta["imgsz"])[0]
names = ast.literal_eval(meta["names"])


def letterbox_opencv(body):
    image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    h0, w0 = image.shape[:2]
    r = min(size / w0, size / h0)
    w, h = round(w0 * r), round(h0 * r)
    left, top = (size - w) // 2, (size - h) // 2
    canvas = cv2.copyMakeBorder(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA), top, size - h - top, left, size - w - left,
                                cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return canvas[..., ::-1], r, left, top


def letterbox_pillow(body):
    image = Image.open(io.BytesIO(body))
    full_w, full_h = image.size
    if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
        full_w, full_h = full_h, full_w
    image.draft("RGB", (size, size))  # DCT scaling: the smallest scale still at least size × size
    image = ImageOps.exif_transpose(image).convert("RGB")
    w0, h0 = image.size
    r = min(size / w0, size / h0)
    w, h = round(w0 * r), round(h0 * r)
    left, top = (size - w) // 2, (size - h) // 2
    canvas = Image.new("RGB", (size, size), (114, 114, 114))
    canvas.paste(image.resize((w, h), Image.BILINEAR), (left, top))
    # Boxes go back to the original's upright pixels: the decoded image is a fraction of them.
    return np.asarray(canvas), r * w0 / full_w, left, top


def nms(boxes, scores, iou):
    order, keep = scores.argsort()[::-1], []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        inter = (np.clip(np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None)
                 * np.clip(np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None))
        order = rest[inter / (area[i] + area[rest] - inter + 1e-9) <= iou]
    return keep


def detect(body):
    rgb, r, left, top = letterbox_opencv(body) if flavour == "ort-opencv" else letterbox_pillow(body)
    tensor = np.ascontiguousarray(rgb.transpose(2, 0, 1))[None].astype(np.float32) / 255
    output = run(tensor)
    scores, classes = output[4:].max(0), output[4:].argmax(0)
    keep = scores > 0.25
    cx, cy, bw, bh = output[:4, keep]
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
    found = []
    for c in np.unique(classes[keep]):
        mask = classes[keep] == c
        for i in nms(boxes[mask], scores[keep][mask], 0.7):
            x1, y1, x2, y2 = boxes[mask][i]
            found.append({"class": names[int(c)], "confidence": float(scores[keep][mask][i]),
                          "box": [float((x1 - left) / r), float((y1 - top) / r), float((x2 - left) / r), float((y2 - top) / r)]})
    return found


app = FastAPI()


@app.post("/detect")
async def detect_route(request: Request):
    body = await request.body()
    return {"detections": await run_in_threadpool(detect, body)}


@app.get("/ready")
async def ready():
    return {"status": "ready"}


uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
