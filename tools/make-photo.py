#!/usr/bin/env python3
"""Writes a photo-like test image as binary PPM: smooth panels, a horizon, highlights and sensor
noise, so that JPEG encodes it at a realistic size. Usage: make-photo.py OUT.ppm WIDTH HEIGHT [SEED]"""
import random
import sys

out, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
noise = bytes(rng.randrange(256) for _ in range(65536))
rows = []
for y in range(height):
    sky = y < height * 0.4
    base = (120 + 80 * y // height, 150 + 60 * y // height, 200) if sky else (90, 95 + 40 * y // height, 100)
    row = bytearray(width * 3)
    for x in range(width):
        n = noise[(x * 7 + y * 131) & 0xFFFF] // 6 - 21
        shine = 60 if (x // 40 + y // 40) % 9 == 0 else 0
        for c in range(3):
            v = base[c] + n + shine + (x * 50 // width)
            row[x * 3 + c] = 0 if v < 0 else 255 if v > 255 else v
    rows.append(bytes(row))
with open(out, "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (width, height))
    f.writelines(rows)
