#!/usr/bin/env python3
"""Makes the reference detections the Swift inference tests compare against.

For each test scene (rendered by render_dataset.py's code at the model's input width, saved as PNG so
both sides decode the same pixels) it runs the model the way Ultralytics does: its LetterBox
(square, no auto padding), BGR→RGB, NCHW float32 /255, ONNX Runtime (Python), Ultralytics'
non_max_suppression and scale_boxes. Writes FIXTURES/reference/*.png and FIXTURES/reference.json.

It also renders a held-out set (seeds never used for training) at the training size, as JPEG,
with the ground-truth boxes: FIXTURES/holdout/*.jpg and FIXTURES/holdout.json, for the test that
the model finds rendered damage where it was drawn.
Finally it renders a check-out and a return of the same synthetic car (FIXTURES/car/*.jpg and
FIXTURES/car.json) for the end-to-end report test: a dent on the rear at both, a scratch added on the
left at the return, the return framed a little differently, photos at 1280×960 so that the quality
gate accepts them; it checks that ONNX Runtime finds each drawn damage.
Usage: make_reference.py MODEL.onnx FIXTURES_DIR [COUNT] [CONFIDENCE] [HOLDOUT]
"""
import json
import os
import random
import sys

import cv2
import numpy as np
import onnxruntime as ort
import torch
from ultralytics.data.augment import LetterBox
from ultralytics.utils import ops
from ultralytics.utils.nms import non_max_suppression

sys.path.insert(0, os.path.dirname(__file__))
from render_dataset import CLASSES, DRAW, paint, render  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

model, fixtures = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 6
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
meta = session.get_modelmeta().custom_metadata_map
size = eval(meta["imgsz"])[0]
names = eval(meta["names"])
conf, iou = (float(sys.argv[4]) if len(sys.argv) > 4 else 0.25), 0.7
os.makedirs(f"{fixtures}/reference", exist_ok=True)
cases = []
for i in range(count):
    rng = random.Random(31_000 + i)
    # Width = the model input, so the letterbox only pads: both sides see identical input pixels.
    image, _ = render(rng, size, size * 3 // 4)
    path = f"{fixtures}/reference/scene-{i}.png"
    image.save(path)
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    boxed = LetterBox((size, size), auto=False, scale_fill=False, scaleup=True, stride=32)(image=bgr)
    tensor = np.ascontiguousarray(boxed[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255
    output = session.run(None, {session.get_inputs()[0].name: tensor})[0]
    detections = non_max_suppression(torch.from_numpy(output), conf_thres=conf, iou_thres=iou, max_det=300)[0]
    detections[:, :4] = ops.scale_boxes((size, size), detections[:, :4], bgr.shape[:2])
    cases.append({
        "image": os.path.basename(path),
        "detections": [
            {"class": names[int(c)], "confidence": float(s), "box": [float(v) for v in box]}
            for *box, s, c in detections.tolist()
        ],
    })
with open(f"{fixtures}/reference.json", "w") as f:
    json.dump({"model": os.path.basename(model), "input_size": size, "confidence": conf, "iou": iou, "cases": cases}, f, indent=1)
print(sum(len(c["detections"]) for c in cases), "reference detections in", count, "scenes")

holdout = int(sys.argv[5]) if len(sys.argv) > 5 else 60
os.makedirs(f"{fixtures}/holdout", exist_ok=True)
truth = []
for i in range(holdout):
    rng = random.Random(77_000_000 + i)
    image, labels = render(rng, 640, 480)
    name = f"holdout-{i}.jpg"
    image.save(f"{fixtures}/holdout/{name}", quality=90)
    truth.append({"image": name, "objects": [
        {"class": CLASSES[c], "box": [(x - w / 2) * 640, (y - h / 2) * 480, (x + w / 2) * 640, (y + h / 2) * 480]}
        for c, x, y, w, h in labels
    ]})
with open(f"{fixtures}/holdout.json", "w") as f:
    json.dump(truth, f, indent=1)
print(sum(len(t["objects"]) for t in truth), "objects in", holdout, "held-out scenes")


def detect(image):
    """Ultralytics' way, as above: detections (class, confidence, box) in the image's pixels."""
    bgr = np.ascontiguousarray(np.asarray(image)[..., ::-1])
    boxed = LetterBox((size, size), auto=False, scale_fill=False, scaleup=True, stride=32)(image=bgr)
    tensor = np.ascontiguousarray(boxed[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255
    output = session.run(None, {session.get_inputs()[0].name: tensor})[0]
    found = non_max_suppression(torch.from_numpy(output), conf_thres=conf, iou_thres=iou, max_det=300)[0]
    found[:, :4] = ops.scale_boxes((size, size), found[:, :4], bgr.shape[:2])
    return [(names[int(c)], float(s), box) for *box, s, c in found.tolist()]


def overlap(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


# The car: each view is a panel painted on a canvas larger than the frame, so that the return can be
# framed elsewhere on it; damages are drawn on the canvas, each from its own seed.
CANVAS, FRAME, SCALE = (688, 512), (640, 480), 2
VIEWS = {"rear": (88_001, [("dent", 5)]), "left": (88_005, [("scratch", 3)])}
INSPECTIONS = {"checkout": ((24, 16), {"rear": ["dent"], "left": []}), "return": ((4, 30), {"rear": ["dent"], "left": ["scratch"]})}
os.makedirs(f"{fixtures}/car", exist_ok=True)
car = []
for inspection, (origin, present) in INSPECTIONS.items():
    for view, (seed, damages) in VIEWS.items():
        canvas = paint(random.Random(seed), *CANVAS)
        objects = []
        for name, damage_seed in damages:
            if name not in present[view]:
                continue
            box = DRAW[CLASSES.index(name)](random.Random(seed * 100 + damage_seed), canvas, ImageDraw.Draw(canvas), *CANVAS)
            objects.append({"class": name, "box": [(box[0] - origin[0]) * SCALE, (box[1] - origin[1]) * SCALE,
                                                   (box[2] - origin[0]) * SCALE, (box[3] - origin[1]) * SCALE]})
        frame = canvas.crop((origin[0], origin[1], origin[0] + FRAME[0], origin[1] + FRAME[1]))
        photo = frame.resize((FRAME[0] * SCALE, FRAME[1] * SCALE), Image.LANCZOS)
        name = f"{inspection}-{view}.jpg"
        photo.save(f"{fixtures}/car/{name}", quality=92)
        found = detect(Image.open(f"{fixtures}/car/{name}").convert("RGB"))
        damage_found = [f for f in found if f[0] != "license_plate"]
        for o in objects:
            assert any(c == o["class"] and overlap(b, o["box"]) >= 0.5 for c, _, b in damage_found), (name, o, found)
        assert len(damage_found) == len(objects), (name, objects, found)
        car.append({"inspection": inspection, "view": view, "image": name, "objects": objects})
with open(f"{fixtures}/car.json", "w") as f:
    json.dump(car, f, indent=1)
print("car:", ", ".join(f"{c['image']} {[o['class'] for o in c['objects']]}" for c in car))
