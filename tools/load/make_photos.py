#!/usr/bin/env python3
"""Makes the eight walk-around views tools/load/stations.py uploads: OUT/{view}.jpg, 12 MP JPEGs
like a phone's, from the repository's rendered cars (plate scenes for the front and rear views, so
the plate reader has work; the painted-panel car for the sides), resized to 4000×3000 with sensor
noise so that each view passes the quality gate and none is a near-duplicate of another.
Usage: make_photos.py OUT
"""
import os
import sys

import numpy as np
from PIL import Image, ImageOps

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "InferenceTests", "Fixtures")
SOURCES = {
    "front": ("plates/scenes/000-DE.jpg", False),
    "front_left": ("plates/scenes/002-SE.jpg", False),
    "left": ("car/checkout-left.jpg", False),
    "rear_left": ("car/return-rear.jpg", True),
    "rear": ("plates/scenes/001-ES.jpg", False),
    "rear_right": ("plates/scenes/003-FR.jpg", False),
    "right": ("car/return-left.jpg", True),
    "front_right": ("car/checkout-rear.jpg", False),
}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261204)
for view, (source, mirrored) in SOURCES.items():
    image = Image.open(os.path.join(FIXTURES, source)).convert("RGB")
    if mirrored:
        image = ImageOps.mirror(image)
    image = image.resize((4000, 3000), Image.LANCZOS)
    pixels = np.asarray(image, np.float32) + rng.normal(0, 5, (3000, 4000, 1))
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(os.path.join(out, view + ".jpg"), quality=90)
