#!/usr/bin/env python3
"""Quantises the demo model to INT8 (static, QDQ) for ONNX Runtime's CPU kernels (VNNI).

Calibration uses scenes rendered by render_dataset.py's code from training seeds (never the
held-out or reference seeds the tests use), letterboxed as the service does: the scene scaled to
fit the square input, grey 114 padding, RGB / 255, NCHW float32. Weights are quantised per channel
(int8), activations per tensor (uint8) by the percentile of the calibration ranges; the detect
head's decoding stays float. Ultralytics'
metadata (imgsz, names, stride, task) is copied over, so the service reads the quantised model
as it reads the float one.
Usage: quantize.py MODEL.onnx OUT.onnx [SCENES]
Pinned: onnxruntime 1.31.1, onnx 1.19.1, numpy 2.2.6, pillow 12.1.1 (tools/demo-model/quantize.sh).
"""
import os
import random
import sys
import tempfile

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from render_dataset import render  # noqa: E402

source, target = sys.argv[1], sys.argv[2]
scenes = int(sys.argv[3]) if len(sys.argv) > 3 else 128
model = onnx.load(source)
meta = {p.key: p.value for p in model.metadata_props}
size = int(eval(meta["imgsz"])[0])
input_name = model.graph.input[0].name


def letterbox(image):
    """The scene fitted into size × size (aspect kept), centred on grey 114, as NCHW float32 0–1."""
    w, h = image.size
    scale = min(size / w, size / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = Image.new("RGB", (size, size), (114, 114, 114))
    canvas.paste(image.convert("RGB").resize((nw, nh), Image.BILINEAR), ((size - nw) // 2, (size - nh) // 2))
    return (np.asarray(canvas, dtype=np.float32) / 255).transpose(2, 0, 1)[None].copy()


class Scenes(CalibrationDataReader):
    def __init__(self):
        # Training seeds (render_dataset.py: seed * 10_000_019 + i, seed 2026), a stride apart.
        self.seeds = iter(2026 * 10_000_019 + 7 * i for i in range(scenes))

    def get_next(self):
        seed = next(self.seeds, None)
        if seed is None:
            return None
        image, _ = render(random.Random(seed), 640, 480)
        return {input_name: letterbox(image)}


# The detect head's decoding (DFL softmax, anchors, the concatenation of boxes in pixels with
# class scores in 0–1) stays float: one uint8 scale for both ranges would round every score to 0.
# Its convolutions (cv2, cv3) are quantised like the rest.
head = [n.name for n in model.graph.node if n.name.startswith("/model.22/") and n.op_type != "Conv" and "/cv2." not in n.name and "/cv3." not in n.name]

with tempfile.TemporaryDirectory() as work:
    prepared = os.path.join(work, "prepared.onnx")
    quant_pre_process(source, prepared, skip_symbolic_shape=True)
    quantize_static(
        prepared, target, Scenes(), quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.Percentile,
        nodes_to_exclude=head, extra_options={"CalibPercentile": 99.999},
    )
quantised = onnx.load(target)
del quantised.metadata_props[:]
for key, value in meta.items():
    quantised.metadata_props.add(key=key, value=value)
quantised.metadata_props.add(key="quantization", value=f"int8 static QDQ, per-channel weights, {scenes} rendered calibration scenes, percentile 99.999")
onnx.save(quantised, target)
print(f"{target}: {os.path.getsize(target)} bytes, input {size}, {scenes} calibration scenes")
