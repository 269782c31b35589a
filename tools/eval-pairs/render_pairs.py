#!/usr/bin/env python3
"""Renders check-out/return pairs of synthetic cars with known damages, for tools/eval-pairs/run.sh.

Each pair is one car photographed from the rear and the left at check-out and at return. The
views are car-paint panels painted on a canvas larger than the frame (render_dataset.py's
painter), so the return can be framed elsewhere on the same canvas. Every damage is drawn on the
canvas from its own seed: the check-out's damages are on both inspections, the return adds one or
two more. Writes OUT/pair-NN-{checkout,return}-{rear,left}.jpg (1280×960) and OUT/truth.json with
each pair's damages and which of them the return added (boxes in pixels of the return photos).
Usage: render_pairs.py OUT [PAIRS] [SEED]
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "demo-model"))
from render_dataset import CLASSES, DRAW, paint  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

out = sys.argv[1]
pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
base_seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261203
CANVAS, FRAME, SCALE = (688, 512), (640, 480), 2
DAMAGES = [c for c in CLASSES if c != "license_plate"]
os.makedirs(out, exist_ok=True)

truth = []
for index in range(pairs):
    rng = random.Random(base_seed + index)
    views = {}
    for view in ("rear", "left"):
        existing = [(rng.choice(DAMAGES), rng.randrange(1_000_000)) for _ in range(rng.randint(0, 2))]
        views[view] = {"seed": rng.randrange(1_000_000), "existing": existing, "added": []}
    for _ in range(rng.randint(1, 2)):
        views[rng.choice(["rear", "left"])]["added"].append((rng.choice(DAMAGES), rng.randrange(1_000_000)))
    origins = {"checkout": (rng.randint(0, 48), rng.randint(0, 32)), "return": (rng.randint(0, 48), rng.randint(0, 32))}
    entry = {"pair": index + 1, "plate": f"E-VP {index + 1}", "photos": {}, "damages": []}
    for inspection, origin in origins.items():
        for view, spec in views.items():
            canvas = paint(random.Random(spec["seed"]), *CANVAS)
            draw = ImageDraw.Draw(canvas)
            drawn = spec["existing"] + (spec["added"] if inspection == "return" else [])
            for number, (name, damage_seed) in enumerate(drawn):
                box = DRAW[CLASSES.index(name)](random.Random(damage_seed), canvas, draw, *CANVAS)
                if inspection == "return":
                    entry["damages"].append({
                        "view": view, "class": name, "added": number >= len(spec["existing"]),
                        "box": [(box[0] - origin[0]) * SCALE, (box[1] - origin[1]) * SCALE, (box[2] - origin[0]) * SCALE, (box[3] - origin[1]) * SCALE],
                    })
            frame = canvas.crop((origin[0], origin[1], origin[0] + FRAME[0], origin[1] + FRAME[1]))
            name = f"pair-{index + 1:02d}-{inspection}-{view}.jpg"
            frame.resize((FRAME[0] * SCALE, FRAME[1] * SCALE), Image.LANCZOS).save(os.path.join(out, name), quality=92)
            entry["photos"].setdefault(inspection, {})[view] = name
    truth.append(entry)
with open(os.path.join(out, "truth.json"), "w") as f:
    json.dump({"size": [FRAME[0] * SCALE, FRAME[1] * SCALE], "pairs": truth}, f, indent=1)
added = sum(d["added"] for p in truth for d in p["damages"])
print(f"{pairs} pairs, {sum(len(p['damages']) for p in truth)} damages on the returns, {added} added at return")
