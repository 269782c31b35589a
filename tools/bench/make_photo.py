#!/usr/bin/env python3
"""Writes a photo-like JPEG for the benchmarks: sky and ground gradients, panels with highlights,
fine texture and sensor noise, so it compresses like a camera photo (about 3-5 MB at 12 MP), with
an EXIF orientation tag. Usage: make_photo.py OUT.jpg WIDTH HEIGHT [ORIENTATION]"""
import io
import struct
import sys

import numpy as np
from PIL import Image

out, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
orientation = int(sys.argv[4]) if len(sys.argv) > 4 else 1
rng = np.random.default_rng(7)
y, x = np.mgrid[0:height, 0:width].astype(np.float32)
base = np.empty((height, width, 3), np.float32)
sky = y < height * 0.4
base[..., 0] = np.where(sky, 120 + 80 * y / height, 90)
base[..., 1] = np.where(sky, 150 + 60 * y / height, 95 + 40 * y / height)
base[..., 2] = np.where(sky, 200, 100)
base += (x * 50 / width)[..., None]
base += np.where(((x // 40 + y // 40) % 9) == 0, 60, 0)[..., None]
base += (20 * np.sin(x / 7.0) * np.cos(y / 11.0))[..., None]
base += rng.normal(0, 6, (height, width, 1)).astype(np.float32)
pixels = np.clip(base, 0, 255).astype(np.uint8)
buffer = io.BytesIO()
Image.fromarray(pixels, "RGB").save(buffer, "JPEG", quality=92)
jpeg = buffer.getvalue()
# APP1 Exif: little-endian TIFF header, IFD0 with one entry (0x0112 orientation, SHORT, 1).
tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
app1 = b"Exif\x00\x00" + tiff
with open(out, "wb") as f:
    f.write(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:])
