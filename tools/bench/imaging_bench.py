#!/usr/bin/env python3
"""The Python side of the imaging benchmark: decode + orient + letterbox of one photo to SIZE×SIZE,
with Pillow (draft mode, i.e. DCT scaling like Walkaround) and with OpenCV (imread, which applies
the EXIF orientation, + resize + copyMakeBorder), each in its own process so peak memory is its own.
Usage: imaging_bench.py pillow|opencv|opencv-threads PHOTO [ITERATIONS] [SIZE]; prints one JSON line."""
import json
import resource
import sys
import time


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pillow(path, size):
    from PIL import Image, ImageOps

    def run():
        with Image.open(path) as image:
            image.draft("RGB", (size, size))
            image = ImageOps.exif_transpose(image.convert("RGB"))
            ratio = min(size / image.width, size / image.height)
            w, h = round(image.width * ratio), round(image.height * ratio)
            canvas = Image.new("RGB", (size, size), (114, 114, 114))
            canvas.paste(image.resize((w, h), Image.Resampling.BOX), ((size - w) // 2, (size - h) // 2))
            return canvas.getpixel((size // 2, size // 2))[0]

    return run


def opencv(path, size, threads=1):
    import cv2

    if threads:
        cv2.setNumThreads(threads)

    def run():
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        h0, w0 = image.shape[:2]
        ratio = min(size / w0, size / h0)
        w, h = round(w0 * ratio), round(h0 * ratio)
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        left, top = (size - w) // 2, (size - h) // 2
        canvas = cv2.copyMakeBorder(image, top, size - h - top, left, size - w - left, cv2.BORDER_CONSTANT, value=(114, 114, 114))
        return int(canvas[size // 2, size // 2, 0])

    return run


tool, path = sys.argv[1], sys.argv[2]
iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 30
size = int(sys.argv[4]) if len(sys.argv) > 4 else 640
run = {"pillow": pillow, "opencv": opencv, "opencv-threads": lambda p, s: opencv(p, s, threads=0)}[tool](path, size)
with open(path, "rb") as f:
    f.read()
baseline = rss_mb()
times = []
for i in range(iterations + 3):
    start = time.perf_counter()
    run()
    if i >= 3:
        times.append((time.perf_counter() - start) * 1000)
times.sort()
peak = rss_mb()
names = {
    "pillow": "Pillow (draft + exif_transpose + BOX resize)",
    "opencv": "OpenCV (imread + INTER_AREA resize + border, 1 thread)",
    "opencv-threads": "OpenCV (the same, default threads)",
}
print(json.dumps({
    "tool": names[tool],
    "median_ms": round(times[len(times) // 2], 2),
    "p90_ms": round(times[min(len(times) - 1, -(-len(times) * 9 // 10) - 1)], 2),
    "peak_rss_mb": round(peak, 1),
    "photo_rss_mb": round(peak - baseline, 1),
    "iterations": iterations,
}))
