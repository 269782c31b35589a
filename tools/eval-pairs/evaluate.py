#!/usr/bin/env python3
"""Sends the rendered pairs through a running Walkaround and counts the returns' `new` damages
against the truth (tools/eval-pairs/run.sh). A reported new damage is true when its best sighting
overlaps a damage the return added (same view, IoU >= 0.2 or its centre inside the drawn box),
each added damage counted once; any other reported new damage is false (an invented charge).
Usage: evaluate.py BASE_URL KEY PAIRS_DIR LABEL"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from walkaround_client import Client  # noqa: E402

base, key, folder, label = sys.argv[1:5]
truth = json.load(open(f"{folder}/truth.json"))
width, height = truth["size"]
client = Client(base, key)


def inspect(kind, plate, photos):
    return client.inspect(kind, "EVAL-1", plate, {view: f"{folder}/{name}" for view, name in photos.items()})[1]["report"]


def iou(a, b):
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0


def same(region, damage):
    box = [region["x1"] * width, region["y1"] * height, region["x2"] * width, region["y2"] * height]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    t = damage["box"]
    return iou(box, t) >= 0.2 or (t[0] <= cx <= t[2] and t[1] <= cy <= t[3])


totals = {"added": 0, "reported_new": 0, "true_new": 0, "false_new": 0, "needs_review": 0}
for pair in truth["pairs"]:
    inspect("checkout", pair["plate"], pair["photos"]["checkout"])
    report = inspect("return", pair["plate"], pair["photos"]["return"])
    added = [d for d in pair["damages"] if d["added"]]
    unclaimed = list(added)
    new = [d for d in report["damages"] if d.get("status") == "new"]
    false_new = []
    for damage in new:
        sighting = damage["sightings"][0]
        match = next((t for t in unclaimed if t["view"] == sighting["view"] and same(sighting["region"], t)), None)
        if match is None:
            false_new.append(f"{damage['class_name']}@{sighting['view']}")
        else:
            unclaimed.remove(match)
    totals["added"] += len(added)
    totals["reported_new"] += len(new)
    totals["true_new"] += len(new) - len(false_new)
    totals["false_new"] += len(false_new)
    totals["needs_review"] += sum(1 for d in report["damages"] if d.get("status") == "needs_review")
    print(f"{label} pair {pair['pair']:2d}: added {[d['class'] + '@' + d['view'] for d in added]}, "
          f"reported new {len(new)}, false new {false_new}")
pairs = len(truth["pairs"])
print(f"{label}: {pairs} pairs, {totals['added']} damages added, {totals['reported_new']} reported new "
      f"({totals['true_new']} true, {totals['false_new']} false: {totals['false_new'] / pairs:.2f} per pair), "
      f"{totals['needs_review']} needs review")
