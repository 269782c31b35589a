#!/usr/bin/env python3
"""Renders the synthetic damage dataset for Walkaround's demo model, in YOLO format.

Scenes are car-paint panels (body colours, sky reflections, highlights, panel seams, gradients)
with the six CarDD damage classes drawn on them, plus European-style licence plates:

  0 dent, 1 scratch, 2 crack, 3 glass_shatter, 4 lamp_broken, 5 tire_flat, 6 license_plate

Everything is drawn here from a seed: no data is downloaded. Usage:
  render_dataset.py OUT_DIR [--train N] [--val N] [--test N] [--size W H] [--seed S]
writes OUT_DIR/{images,labels}/{train,val,test}/*.{jpg,txt} and OUT_DIR/data.yaml.
"""
import argparse
import math
import multiprocessing
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

CLASSES = ["dent", "scratch", "crack", "glass_shatter", "lamp_broken", "tire_flat", "license_plate"]
BODY_COLOURS = [(235, 235, 232), (190, 192, 196), (40, 42, 46), (150, 20, 28), (25, 55, 120),
                (110, 112, 115), (20, 90, 60), (200, 160, 40), (90, 30, 20)]
FONTS = [f for f in ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                     "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
                     "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
                     "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
                     "/usr/share/fonts/truetype/liberation2/LiberationMono-Bold.ttf",
                     "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf"] if os.path.exists(f)]
PLATE_FORMATS = ["LL-LL 1111", "L-LL 111", "LL-111-LL", "11-LLL-1", "1LLL111", "LL 11111", "LLL 111", "LL11 LLL",
                 "1111 LLL", "LL 111LL", "1-LLL-111", "11 LL 11", "1L1 1111"]
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def paint(rng, w, h):
    """A car panel: body colour, vertical shading, soft sky reflection bands, highlights, seams."""
    base = np.array(rng.choice(BODY_COLOURS), np.float32)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.75 + 0.35 * (1 - y / h) + 0.08 * np.sin(x / w * math.pi * rng.uniform(0.5, 2))
    img = base[None, None, :] * shade[..., None]
    for _ in range(rng.randint(1, 3)):  # reflection bands (sky, building edges)
        cy, width, tilt = rng.uniform(0, h), rng.uniform(h * 0.03, h * 0.15), rng.uniform(-0.3, 0.3)
        band = np.exp(-(((y - cy - tilt * (x - w / 2)) / width) ** 2))
        img += band[..., None] * rng.uniform(20, 70)
    for _ in range(rng.randint(0, 2)):  # specular highlights
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(20, 90)
        img += (np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r)) * rng.uniform(40, 110))[..., None]
    img += np.random.default_rng(rng.randint(0, 2**31)).normal(0, 3, (h, w, 1))
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    for _ in range(rng.randint(1, 3)):  # panel seams
        if rng.random() < 0.5:
            xs = rng.uniform(0, w)
            d.line([(xs, 0), (xs + rng.uniform(-40, 40), h)], fill=(15, 15, 18), width=rng.randint(2, 4))
        else:
            ys = rng.uniform(0, h)
            d.line([(0, ys), (w, ys + rng.uniform(-30, 30))], fill=(15, 15, 18), width=rng.randint(2, 4))
    return im


def random_walk(rng, x, y, steps, step, turn):
    points, angle = [(x, y)], rng.uniform(0, 2 * math.pi)
    for _ in range(steps):
        angle += rng.uniform(-turn, turn)
        x, y = x + math.cos(angle) * step, y + math.sin(angle) * step
        points.append((x, y))
    return points


def bbox(points, pad, w, h):
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return max(0, min(xs) - pad), max(0, min(ys) - pad), min(w, max(xs) + pad), min(h, max(ys) + pad)


def local_brightness(im, x, y):
    """Mean grey level of the paint around (x, y), to draw damage that contrasts with it."""
    x, y = int(min(max(x, 0), im.width - 1)), int(min(max(y, 0), im.height - 1))
    patch = im.crop((max(0, x - 12), max(0, y - 12), x + 12, y + 12)).convert("L")
    return float(np.asarray(patch).mean())


def draw_scratch(rng, im, d, w, h):
    """Keyed scratches: bright clear coat on dark paint, grey primer showing through light paint."""
    x, y = rng.uniform(w * 0.1, w * 0.9), rng.uniform(h * 0.1, h * 0.9)
    pts = random_walk(rng, x, y, rng.randint(7, 14), rng.uniform(10, 20), 0.25)
    if local_brightness(im, x, y) < 140:
        colour = rng.choice([(235, 235, 230), (215, 215, 210), (250, 245, 235)])
    else:
        colour = rng.choice([(70, 72, 75), (95, 95, 98), (50, 50, 55)])
    for i in range(rng.randint(1, 3)):
        off = [(px + i * 3, py + i * 4) for px, py in pts]
        d.line(off, fill=colour, width=rng.randint(2, 4))
    return bbox(pts + [(px + 6, py + 8) for px, py in pts], 4, w, h)


def draw_dent(rng, im, d, w, h):
    cx, cy = rng.uniform(w * 0.15, w * 0.85), rng.uniform(h * 0.15, h * 0.85)
    rx, ry = rng.uniform(25, 70), rng.uniform(18, 50)
    arr = np.asarray(im).astype(np.float32)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    nx, ny = (x - cx) / rx, (y - cy) / ry
    r2 = nx * nx + ny * ny
    inside = np.clip(1 - r2, 0, 1)
    angle = rng.uniform(0, 2 * math.pi)
    shading = (nx * math.cos(angle) + ny * math.sin(angle)) * inside * rng.uniform(60, 110)
    crease = np.exp(-((r2 - 1) ** 2) / 0.02) * (r2 < 1.3) * 25  # the dent's rim
    arr = arr + shading[..., None] - crease[..., None]
    im.paste(Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)))
    return cx - rx * 1.1, cy - ry * 1.1, cx + rx * 1.1, cy + ry * 1.1


def crack_lines(rng, d, x, y, n, length, colour, width, rim=None):
    """Branching cracks; with `rim`, each line gets a lighter edge (chipped paint) under it."""
    pts_all, strokes = [(x, y)], []
    for _ in range(n):
        pts = random_walk(rng, x, y, rng.randint(3, 7), length / 5, 0.9)
        strokes.append((pts, width))
        pts_all += pts
        if rng.random() < 0.6:  # a branch
            bx, by = pts[len(pts) // 2]
            branch = random_walk(rng, bx, by, rng.randint(2, 4), length / 7, 0.9)
            strokes.append((branch, max(1, width - 1)))
            pts_all += branch
    if rim is not None:
        for pts, wd in strokes:
            d.line(pts, fill=rim, width=wd + 3)
    for pts, wd in strokes:
        d.line(pts, fill=colour, width=wd)
    return pts_all


def draw_crack(rng, im, d, w, h):
    x, y = rng.uniform(w * 0.15, w * 0.85), rng.uniform(h * 0.15, h * 0.85)
    pts = crack_lines(rng, d, x, y, rng.randint(2, 4), rng.uniform(50, 100), (20, 20, 22), rng.randint(2, 3),
                      rim=rng.choice([(205, 205, 200), (180, 182, 185), (230, 228, 220)]))
    return bbox(pts, 5, w, h)


def draw_glass(rng, im, d, w, h):
    gw, gh = rng.uniform(120, 240), rng.uniform(70, 140)
    x0, y0 = rng.uniform(0, w - gw), rng.uniform(0, h - gh)
    d.rounded_rectangle([x0, y0, x0 + gw, y0 + gh], radius=12, fill=(45, 60, 70), outline=(20, 20, 20), width=3)
    cx, cy = x0 + rng.uniform(0.3, 0.7) * gw, y0 + rng.uniform(0.3, 0.7) * gh
    for k in range(rng.randint(8, 14)):  # radial cracks
        a = k * 2 * math.pi / 12 + rng.uniform(-0.2, 0.2)
        r = rng.uniform(0.3, 0.5) * min(gw, gh)
        d.line([(cx, cy), (cx + math.cos(a) * r, cy + math.sin(a) * r * 0.7)], fill=(210, 220, 225), width=1)
    for ring in (0.2, 0.4):  # concentric breaks
        r = ring * min(gw, gh)
        d.ellipse([cx - r, cy - r * 0.7, cx + r, cy + r * 0.7], outline=(200, 210, 215), width=1)
    return x0, y0, x0 + gw, y0 + gh


def draw_lamp(rng, im, d, w, h):
    lw, lh = rng.uniform(70, 140), rng.uniform(30, 60)
    x0, y0 = rng.uniform(0, w - lw), rng.uniform(0, h - lh)
    d.rounded_rectangle([x0, y0, x0 + lw, y0 + lh], radius=10, fill=rng.choice([(230, 120, 30), (200, 30, 30), (225, 225, 235)]),
                        outline=(30, 30, 30), width=3)
    hole = [(x0 + rng.uniform(0.2, 0.5) * lw, y0), (x0 + rng.uniform(0.5, 0.9) * lw, y0 + rng.uniform(0.4, 1) * lh),
            (x0 + rng.uniform(0.1, 0.4) * lw, y0 + lh)]
    d.polygon(hole, fill=(25, 25, 28))
    crack_lines(rng, d, x0 + lw / 2, y0 + lh / 2, 3, lw / 2, (40, 40, 40), 1)
    return x0, y0, x0 + lw, y0 + lh


def draw_tyre(rng, im, d, w, h):
    r = rng.uniform(45, 80)
    cx, cy = rng.uniform(r, w - r), rng.uniform(h * 0.45, h - r * 0.8)
    flat = rng.uniform(0.25, 0.45) * r  # the squashed bottom
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(22, 22, 24))
    d.rectangle([cx - r * 1.15, cy + r - flat, cx + r * 1.15, cy + r + 2], fill=(22, 22, 24))
    d.ellipse([cx - r * 0.55, cy - r * 0.6, cx + r * 0.55, cy + r * 0.5], fill=(160, 162, 165), outline=(80, 80, 80), width=3)
    for k in range(5):
        a = k * 2 * math.pi / 5
        d.line([(cx, cy - r * 0.05), (cx + math.cos(a) * r * 0.45, cy - r * 0.05 + math.sin(a) * r * 0.45)], fill=(90, 90, 95), width=4)
    return cx - r * 1.15, cy - r, cx + r * 1.15, cy + r + 2


def plate_text(rng):
    fmt = rng.choice(PLATE_FORMATS)
    return "".join(rng.choice(LETTERS) if c == "L" else str(rng.randint(0, 9)) if c == "1" else c for c in fmt)


def draw_plate(rng, im, d, w, h):
    pw = rng.uniform(110, 220)
    ph = pw / rng.uniform(4.2, 4.8)
    x0, y0 = rng.uniform(0, w - pw), rng.uniform(h * 0.3, h - ph)
    plate = Image.new("RGB", (int(pw), int(ph)), rng.choice([(245, 245, 240), (250, 215, 40)]))
    pd = ImageDraw.Draw(plate)
    band = int(pw * 0.09)
    pd.rectangle([0, 0, band, ph], fill=(20, 50, 150))
    pd.rectangle([0, 0, pw - 1, ph - 1], outline=(20, 20, 20), width=2)
    font = ImageFont.truetype(rng.choice(FONTS), int(ph * 0.72)) if FONTS else ImageFont.load_default()
    pd.text((band + 4, ph * 0.12), plate_text(rng), fill=(15, 15, 15), font=font)
    angle = rng.uniform(-6, 6)
    rotated = plate.rotate(angle, expand=True, fillcolor=(0, 0, 0))
    mask = plate.convert("L").point(lambda _: 255).rotate(angle, expand=True)
    im.paste(rotated, (int(x0), int(y0)), mask)
    return x0, y0, x0 + rotated.width, y0 + rotated.height


DRAW = [draw_dent, draw_scratch, draw_crack, draw_glass, draw_lamp, draw_tyre, draw_plate]


def render(rng, w, h):
    im = paint(rng, w, h)
    d = ImageDraw.Draw(im)
    labels, boxes = [], []
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        cls = rng.randrange(len(CLASSES))
        for _attempt in range(5):  # avoid heavy overlaps between objects
            state = im.copy()
            box = DRAW[cls](rng, im, ImageDraw.Draw(im), w, h)
            if all(iou(box, other) < 0.2 for other in boxes):
                break
            im.paste(state)
        else:
            continue
        x1, y1, x2, y2 = box
        if x2 - x1 < 4 or y2 - y1 < 4:
            continue
        boxes.append(box)
        labels.append((cls, (x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h))
    if rng.random() < 0.3:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    return im, labels


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0


def write_scene(task):
    out, split, i, seed, w, h = task
    im, labels = render(random.Random(seed), w, h)
    im.save(f"{out}/images/{split}/{i:05d}.jpg", quality=92)
    with open(f"{out}/labels/{split}/{i:05d}.txt", "w") as f:
        f.writelines("%d %.6f %.6f %.6f %.6f\n" % label for label in labels)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--train", type=int, default=800)
    p.add_argument("--val", type=int, default=150)
    p.add_argument("--test", type=int, default=150)
    p.add_argument("--size", type=int, nargs=2, default=[640, 480])
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--jobs", type=int, default=os.cpu_count())
    a = p.parse_args()
    w, h = a.size
    tasks = []
    for split, count, offset in (("train", a.train, 0), ("val", a.val, 1_000_000), ("test", a.test, 2_000_000)):
        os.makedirs(f"{a.out}/images/{split}", exist_ok=True)
        os.makedirs(f"{a.out}/labels/{split}", exist_ok=True)
        tasks += [(a.out, split, i, a.seed * 10_000_019 + offset + i, w, h) for i in range(count)]
    # Each scene depends only on its own seed, so the dataset is the same whatever the job count.
    with multiprocessing.Pool(max(1, a.jobs)) as pool:
        for _ in pool.imap_unordered(write_scene, tasks, chunksize=16):
            pass
    with open(f"{a.out}/data.yaml", "w") as f:
        f.write(f"path: {os.path.abspath(a.out)}\ntrain: images/train\nval: images/val\ntest: images/test\n")
        f.write("names:\n" + "".join(f"  {i}: {n}\n" for i, n in enumerate(CLASSES)))


if __name__ == "__main__":
    main()
