#!/usr/bin/env python3
"""Writes a tiny ONNX model with Ultralytics-style metadata whose output is NOT the YOLO detect
layout (a global average pool: [1, 3, 1, 1]), for the test that such a model is refused.
Usage: make_test_models.py OUT.onnx"""
import sys

import onnx
from onnx import TensorProto, helper

node = helper.make_node("GlobalAveragePool", ["images"], ["output0"])
graph = helper.make_graph(
    [node], "not_a_detector",
    [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
    [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 3, 1, 1])],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
for key, value in {"imgsz": "[64, 64]", "names": "{0: 'dent'}", "stride": "32", "task": "detect"}.items():
    entry = model.metadata_props.add()
    entry.key, entry.value = key, value
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
