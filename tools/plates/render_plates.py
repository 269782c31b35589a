#!/usr/bin/env python3
"""Renders European licence plates on car paint for the plate-reading tests and benchmark.

Each country's plate is drawn as it is printed (blue EU band with the country code where the
country uses one, the separators it prints, dark text on white or yellow) with fonts from Debian
font packages, pasted on a car-paint panel, and written as JPEG with the plate's box (what a
detector would report) and its text. Two sets:

  clean     upright, sharp, characters 30 to 60 px high
  degraded  rotated up to ±8°, blurred, noisy, glare, characters down to 20 px high, the box
            jittered as a detector's would be

and a few full car scenes (photo-sized panels with a plate and damage) for the pipeline tests.
Everything comes from a seed: nothing is downloaded. Usage:
  render_plates.py OUT_DIR [--clean N] [--degraded N] [--scenes N] [--seed S]
writes OUT_DIR/{clean,degraded,scenes}/*.jpg and OUT_DIR/plates.json.
"""
import argparse
import json
import math
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "demo-model"))
from render_dataset import DRAW, paint  # noqa: E402

FONTS = [f for f in [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationMono-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
] if os.path.exists(f)]

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CONSONANTS = "BCDFGHJKLMNPRSTVWXYZ"
DE_DISTRICTS = ["B", "M", "HH", "K", "F", "S", "HB", "KA", "MZ", "DO", "WOB", "LOS", "GI", "BN"]
AT_DISTRICTS = ["W", "G", "L", "S", "I", "K", "BN", "MD", "GU", "LL", "WU", "KS"]
CANTONS = ["ZH", "BE", "GE", "VD", "TI", "LU", "AG", "SG", "BS", "VS"]
PL_AREAS = ["WA", "KR", "PO", "GD", "WR", "LU", "WPI", "KRA", "DW"]


def letters(rng, n, alphabet=LETTERS):
    return "".join(rng.choice(alphabet) for _ in range(n))


def digits(rng, n, first_nonzero=False):
    s = "".join(str(rng.randint(0, 9)) for _ in range(n))
    return (str(rng.randint(1, 9)) + s[1:]) if first_nonzero and n else s


# Country → (band code or None, background, printed text generator).
def plate_for(rng, country):
    if country == "DE":
        return "D", "white", f"{rng.choice(DE_DISTRICTS)} {letters(rng, rng.randint(1, 2))} {digits(rng, rng.randint(2, 4), True)}"
    if country == "FR":
        alphabet = "ABCDEFGHJKLMNPQRSTVWXYZ"
        return "F", "white", f"{letters(rng, 2, alphabet)}-{digits(rng, 3)}-{letters(rng, 2, alphabet)}"
    if country == "NL":
        pattern = rng.choice(["L2-D3-L1", "L1-D3-L2", "L3-D2-L1", "D1-L3-D2"])
        parts = [letters(rng, int(p[1]), CONSONANTS) if p[0] == "L" else digits(rng, int(p[1])) for p in pattern.split("-")]
        return "NL", "yellow", "-".join(parts)
    if country == "BE":
        return "B", "white", f"{rng.randint(1, 2)}-{letters(rng, 3)}-{digits(rng, 3)}"
    if country == "IT":
        alphabet = "ABCDEFGHJKLMNPRSTVWXYZ"
        return "I", "white", f"{letters(rng, 2, alphabet)} {digits(rng, 3)} {letters(rng, 2, alphabet)}"
    if country == "ES":
        return "E", "white", f"{digits(rng, 4)} {letters(rng, 3, CONSONANTS)}"
    if country == "PL":
        area = rng.choice(PL_AREAS)
        # The serial's letters never include B, D, I, O or Z.
        tail = digits(rng, 5) if len(area) == 2 and rng.random() < 0.5 else digits(rng, 4) + letters(rng, 1, "ACEFGHJKLMNPRSTUVWXY")
        return "PL", "white", f"{area} {tail}"
    if country == "AT":
        return "A", "white", f"{rng.choice(AT_DISTRICTS)}-{digits(rng, rng.randint(2, 4), True)} {letters(rng, rng.randint(1, 2))}"
    if country == "CH":
        return None, "white", f"{rng.choice(CANTONS)} {digits(rng, rng.randint(3, 6), True)}"
    if country == "GB":
        return None, rng.choice(["white", "yellow"]), f"{letters(rng, 2)}{digits(rng, 2)} {letters(rng, 3)}"
    if country == "SE":
        return "S", "white", f"{letters(rng, 3)} {digits(rng, 3)}"
    if country == "DK":
        return "DK", "white", f"{letters(rng, 2)} {digits(rng, 2)} {digits(rng, 3)}"
    if country == "CZ":
        alphabet = "ABCDEFHIJKLMNPRSTUVXYZ"  # no G, O, Q, W
        return "CZ", "white", f"{rng.randint(1, 9)}{letters(rng, 1, alphabet)}{rng.choice([str(rng.randint(0, 9)), letters(rng, 1, alphabet)])} {digits(rng, 4)}"
    if country == "PT":
        return "P", "white", f"{letters(rng, 2)}-{digits(rng, 2)}-{letters(rng, 2)}"
    raise ValueError(country)


COUNTRIES = ["DE", "FR", "NL", "BE", "IT", "ES", "PL", "AT", "CH", "GB", "SE", "DK", "CZ", "PT"]
BACKGROUNDS = {"white": (244, 244, 240), "yellow": (250, 208, 30)}


def draw_plate(rng, country, char_height, font_path):
    """The plate as printed, upright: returns (image, text)."""
    band, background, text = plate_for(rng, country)
    font = ImageFont.truetype(font_path, int(char_height / 0.72))
    ascent_box = font.getbbox("0")
    glyph_h = ascent_box[3] - ascent_box[1]
    text_w = font.getlength(text)
    ph = int(glyph_h * 1.6)
    band_w = int(ph * 0.42) if band else 0
    pw = int(band_w + text_w + ph * 0.5)
    plate = Image.new("RGB", (pw, ph), BACKGROUNDS[background])
    d = ImageDraw.Draw(plate)
    if band:
        d.rectangle([0, 0, band_w, ph], fill=(25, 55, 160))
        for k in range(12):  # the ring of stars
            a = k * math.pi / 6
            cx, cy, r = band_w / 2 + math.cos(a) * band_w * 0.25, ph * 0.32 + math.sin(a) * band_w * 0.25, max(1, ph * 0.02)
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(250, 210, 0))
        code_font = ImageFont.truetype(FONTS[0], max(6, int(ph * 0.26)))
        d.text((band_w / 2, ph * 0.8), band, fill=(250, 250, 250), font=code_font, anchor="mm")
    d.rectangle([0, 0, pw - 1, ph - 1], outline=(25, 25, 25), width=max(1, ph // 30))
    d.text((band_w + (pw - band_w - text_w) / 2, (ph - glyph_h) / 2 - ascent_box[1]), text, fill=(18, 18, 18), font=font)
    return plate, text


def place(rng, plate, angle, canvas_size=None):
    """Plate rotated by `angle` on car paint with a margin; returns image and the plate's box."""
    rotated = plate.rotate(angle, expand=True, resample=Image.BICUBIC, fillcolor=(0, 0, 0))
    mask = Image.new("L", plate.size, 255).rotate(angle, expand=True, resample=Image.BICUBIC)
    w, h = canvas_size or (int(rotated.width * rng.uniform(1.4, 1.8)), int(rotated.height * rng.uniform(1.9, 2.6)))
    im = paint(rng, w, h)
    x0, y0 = rng.randint(0, w - rotated.width), rng.randint(0, h - rotated.height)
    im.paste(rotated, (x0, y0), mask)
    return im, [x0, y0, x0 + rotated.width, y0 + rotated.height]


def glare(rng, im):
    arr = np.asarray(im).astype(np.float32)
    h, w = arr.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.15, 0.4) * w
    arr += (np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r)) * rng.uniform(60, 120))[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def noise(rng, im, sigma):
    arr = np.asarray(im).astype(np.float32)
    arr += np.random.default_rng(rng.randint(0, 2**31)).normal(0, sigma, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def jitter(rng, box, amount):
    w, h = box[2] - box[0], box[3] - box[1]
    return [box[0] + rng.uniform(-amount, amount) * w, box[1] + rng.uniform(-amount, amount) * h,
            box[2] + rng.uniform(-amount, amount) * w, box[3] + rng.uniform(-amount, amount) * h]


def degrade(rng, country, font):
    """A plate as a phone sees it badly: small, tilted, soft, noisy, with glare."""
    low = rng.random() < 0.4
    char_height = rng.uniform(20, 26) if low else rng.uniform(26, 44)
    # Low resolution is made the way a camera makes it: drawn larger, then scaled down.
    plate, text = draw_plate(rng, country, char_height * 2, font)
    plate = plate.resize((plate.width // 2, plate.height // 2), Image.BILINEAR)
    im, box = place(rng, plate, rng.uniform(-8, 8))
    effects = rng.sample(["blur", "noise", "glare"], rng.randint(1, 3))
    if "glare" in effects:
        im = glare(rng, im)
    if "blur" in effects:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.2)))
    if "noise" in effects:
        im = noise(rng, im, rng.uniform(4, 10))
    return im, text, jitter(rng, box, 0.04), {"char_height": round(char_height, 1), "effects": sorted(effects)}


def scene(rng, country, font, size):
    """A photo-sized car panel with some damage and a plate about a quarter of the width wide."""
    w, h = size
    im = paint(rng, w, h)
    for _ in range(rng.randint(0, 2)):
        DRAW[rng.choice([0, 1, 3])](rng, im, ImageDraw.Draw(im), w, h)
    plate, text = draw_plate(rng, country, rng.uniform(0.035, 0.05) * h, font)
    angle = rng.uniform(-4, 4)
    rotated = plate.rotate(angle, expand=True, resample=Image.BICUBIC, fillcolor=(0, 0, 0))
    mask = Image.new("L", plate.size, 255).rotate(angle, expand=True, resample=Image.BICUBIC)
    x0 = rng.randint(int(0.05 * w), w - rotated.width - int(0.05 * w))
    y0 = rng.randint(int(0.5 * h), h - rotated.height - int(0.05 * h))
    im.paste(rotated, (x0, y0), mask)
    return im, text, [x0, y0, x0 + rotated.width, y0 + rotated.height]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--clean", type=int, default=112)
    p.add_argument("--degraded", type=int, default=112)
    p.add_argument("--scenes", type=int, default=4)
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    cases = []
    for split in ("clean", "degraded", "scenes"):
        os.makedirs(f"{a.out}/{split}", exist_ok=True)
    for i in range(a.clean):
        rng = random.Random(a.seed * 1_000_003 + i)
        country, font = COUNTRIES[i % len(COUNTRIES)], FONTS[(i // len(COUNTRIES)) % len(FONTS)]
        plate, text = draw_plate(rng, country, rng.uniform(30, 60), font)
        im, box = place(rng, plate, 0)
        name = f"clean/{i:03d}-{country}.jpg"
        im.save(f"{a.out}/{name}", quality=92)
        cases.append({"image": name, "set": "clean", "country": country, "text": text, "box": box,
                      "font": os.path.basename(font)})
    for i in range(a.degraded):
        rng = random.Random(a.seed * 2_000_003 + i)
        country, font = COUNTRIES[i % len(COUNTRIES)], FONTS[(i // len(COUNTRIES)) % len(FONTS)]
        im, text, box, info = degrade(rng, country, font)
        name = f"degraded/{i:03d}-{country}.jpg"
        im.save(f"{a.out}/{name}", quality=90)
        cases.append({"image": name, "set": "degraded", "country": country, "text": text, "box": box,
                      "font": os.path.basename(font), **info})
    for i in range(a.scenes):
        rng = random.Random(a.seed * 3_000_003 + i)
        country, font = COUNTRIES[(i * 5) % len(COUNTRIES)], FONTS[i % len(FONTS)]
        im, text, box = scene(rng, country, font, (1600, 1200))
        name = f"scenes/{i:03d}-{country}.jpg"
        im.save(f"{a.out}/{name}", quality=90)
        cases.append({"image": name, "set": "scenes", "country": country, "text": text, "box": box,
                      "font": os.path.basename(font)})
    with open(f"{a.out}/plates.json", "w") as f:
        json.dump(cases, f, indent=1)
    print(len(cases), "plates in", a.out)


if __name__ == "__main__":
    main()
