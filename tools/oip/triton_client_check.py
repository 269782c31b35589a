"""Checks a server against the Open Inference Protocol with NVIDIA's own client (tritonclient[http]):
health, server and model metadata, and an infer call with binary input and output on a rendered
scene, whose detections must be the reference ones (Tests/InferenceTests/Fixtures/reference.json).
  python triton_client_check.py URL MODEL FIXTURES
Prints one JSON line with what it saw; exits 1 on any mismatch."""
import json
import sys

import numpy as np
import tritonclient.http as httpclient
from PIL import Image

url, model, fixtures = sys.argv[1], sys.argv[2], sys.argv[3]
client = httpclient.InferenceServerClient(url=url.replace("http://", ""))
problems = []
if not client.is_server_live():
    problems.append("not live")
if not client.is_server_ready():
    problems.append("not ready")
if not client.is_model_ready(model):
    problems.append("model not ready")
server = client.get_server_metadata()
meta = client.get_model_metadata(model)
inp, out = meta["inputs"][0], meta["outputs"][0]
size = inp["shape"][2]
reference = json.load(open(f"{fixtures}/reference.json"))
case = next(c for c in reference["cases"] if c["detections"])
image = Image.open(f"{fixtures}/reference/{case['image']}").convert("RGB")
# Letterboxed as Ultralytics does: scaled to fit, centred on grey 114.
w, h = image.size
r = size / max(w, h)
nw, nh = round(w * r), round(h * r)
canvas = Image.new("RGB", (size, size), (114, 114, 114))
canvas.paste(image.resize((nw, nh), Image.BILINEAR), ((size - nw) // 2, (size - nh) // 2))
tensor = (np.asarray(canvas, np.float32) / 255.0).transpose(2, 0, 1)[None].copy()
batch = np.concatenate([tensor, tensor])  # two images in one request
infer_input = httpclient.InferInput(inp["name"], list(batch.shape), "FP32")
infer_input.set_data_from_numpy(batch, binary_data=True)
outputs = [httpclient.InferRequestedOutput(out["name"], binary_data=True)]
result = client.infer(model, [infer_input], outputs=outputs, request_id="conformance-1")
values = result.as_numpy(out["name"])
classes = meta["outputs"][0]["shape"][1] - 4
found = set()
for image_index in range(values.shape[0]):
    scores = values[image_index, 4:, :]
    best = scores.max(axis=0)
    found |= {int(c) for c in scores.argmax(axis=0)[best > 0.25]}
expected_names = {d["class"] for d in case["detections"]}
# The same request as JSON, not binary: the same numbers.
json_input = httpclient.InferInput(inp["name"], list(tensor.shape), "FP32")
json_input.set_data_from_numpy(tensor, binary_data=False)
json_result = client.infer(model, [json_input], outputs=[httpclient.InferRequestedOutput(out["name"], binary_data=False)])
json_values = json_result.as_numpy(out["name"])
if values.shape[0] != 2 or values.shape[1] != 4 + classes:
    problems.append(f"output shape {values.shape}")
if not np.isfinite(values).all():
    problems.append("non-finite output")
if not np.allclose(values[0], values[1], atol=1e-4):
    problems.append("the two images of one batch differ")
if not np.allclose(json_values[0], values[0], atol=1e-3):
    problems.append("JSON and binary answers differ")
if result.get_response().get("id") != "conformance-1":
    problems.append("the request id was not echoed")
print(json.dumps({"server": server.get("name"), "extensions": server.get("extensions"), "model": meta["name"], "input": inp, "output": out,
                  "classes_found": sorted(found), "expected": sorted(expected_names), "problems": problems}))
if len(found) != len(expected_names):
    problems.append(f"{len(found)} classes found above 0.25, the reference has {len(expected_names)}")
sys.exit(1 if problems else 0)
