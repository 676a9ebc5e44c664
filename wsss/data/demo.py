"""Synthetic demo dataset, generated deterministically offline in seconds.

It is NOT real data. Each image has 1-3 objects on a cluttered, textured background.
An object is a large smooth body (ellipse, box or polygon) whose colour is drawn from a
palette SHARED by all classes, plus a small class-specific marker (a two-colour pattern
of ~8 px). The marker is the only thing that tells the classes apart, so a classifier's
CAM fires on the marker and covers the body only partly -- the discriminative-part
problem that SPN and FickleNet address. Ground-truth masks cover body + marker.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

CLASS_NAMES = ["background", "alpha", "beta", "gamma", "delta", "epsilon", "zeta"]

# Marker of class k: (colour A, colour B, pattern).
_MARKERS = [
    ((230, 30, 30), (250, 250, 250), "checker"),
    ((30, 200, 40), (20, 20, 20), "hstripes"),
    ((40, 60, 230), (250, 220, 30), "vstripes"),
    ((240, 240, 0), (200, 0, 200), "checker"),
    ((0, 220, 220), (230, 30, 30), "hstripes"),
    ((250, 140, 0), (40, 60, 230), "dot"),
]
_BODY_COLOURS = [(150, 110, 80), (120, 140, 160), (170, 160, 120), (110, 150, 110), (160, 120, 150)]


def _background(rng, size):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    img = np.empty((size, size, 3), np.float32)
    base = rng.uniform(60, 190, 3)
    for ch in range(3):
        g = np.zeros_like(yy)
        for _ in range(3):
            fx, fy, ph = rng.uniform(-12, 12), rng.uniform(-12, 12), rng.uniform(0, 2 * np.pi)
            g += np.sin(2 * np.pi * (fx * xx + fy * yy) + ph)
        img[..., ch] = base[ch] + 18 * g
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    for _ in range(rng.integers(12, 24)):  # clutter: small random rectangles and blobs
        x, y = rng.integers(0, size, 2)
        w, h = rng.integers(3, 14, 2)
        col = tuple(int(v) for v in rng.integers(40, 220, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x, y, x + w, y + h], fill=col)
    return pil


def _body_mask(rng, size, cx, cy, r):
    m = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(m)
    kind = rng.integers(0, 3)
    if kind == 0:
        a, b = r * rng.uniform(0.7, 1.0), r * rng.uniform(0.45, 0.8)
        d.ellipse([cx - a, cy - b, cx + a, cy + b], fill=1)
    elif kind == 1:
        a, b = r * rng.uniform(0.6, 0.95), r * rng.uniform(0.45, 0.8)
        d.rounded_rectangle([cx - a, cy - b, cx + a, cy + b], radius=int(r * 0.2), fill=1)
    else:
        n = rng.integers(5, 8)
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = r * rng.uniform(0.55, 1.0, n)
        d.polygon([(cx + q * np.cos(t), cy + q * np.sin(t)) for q, t in zip(rad, ang)], fill=1)
    return np.asarray(m, bool)


def _marker(k, s):
    a, b, pat = _MARKERS[k]
    yy, xx = np.mgrid[0:s, 0:s]
    if pat == "checker":
        sel = ((yy // 2 + xx // 2) % 2) == 0
    elif pat == "hstripes":
        sel = (yy // 2) % 2 == 0
    elif pat == "vstripes":
        sel = (xx // 2) % 2 == 0
    else:
        sel = (yy - s / 2 + 0.5) ** 2 + (xx - s / 2 + 0.5) ** 2 < (s / 3) ** 2
    return np.where(sel[..., None], np.array(a), np.array(b)).astype(np.uint8)


def make_sample(seed: int, size: int = 128):
    """One (image uint8 HxWx3, mask uint8 HxW) pair; same seed -> same pair."""
    rng = np.random.default_rng(seed)
    img = np.asarray(_background(rng, size)).astype(np.float32)
    mask = np.zeros((size, size), np.uint8)
    n_obj = int(rng.choice([1, 2, 2, 3, 3]))
    placed = []
    for _ in range(n_obj):
        k = int(rng.integers(0, len(_MARKERS)))
        r = size * rng.uniform(0.17, 0.28)
        for _try in range(20):
            cx, cy = rng.uniform(r, size - r, 2)
            if all(np.hypot(cx - px, cy - py) > 0.9 * (r + pr) for px, py, pr in placed):
                break
        placed.append((cx, cy, r))
        body = _body_mask(rng, size, cx, cy, r)
        colour = np.array(_BODY_COLOURS[rng.integers(0, len(_BODY_COLOURS))], np.float32)
        yy, xx = np.mgrid[0:size, 0:size]
        shade = 1 + 0.15 * ((xx - cx) * rng.uniform(-1, 1) + (yy - cy) * rng.uniform(-1, 1)) / r
        img[body] = (colour[None] * shade[body][:, None])
        mask[body] = k + 1
        # marker: inside the body, off-centre
        s = max(4, int(round(size / 11)))
        ys, xs = np.nonzero(body)
        j = rng.integers(0, len(ys))
        my = int(np.clip(ys[j] - s // 2, 0, size - s))
        mx = int(np.clip(xs[j] - s // 2, 0, size - s))
        img[my:my + s, mx:mx + s] = _marker(k, s)
        mask[my:my + s, mx:mx + s] = k + 1
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), mask


def generate(out_dir, n_train: int, n_val: int, size: int, seed: int = 0):
    """Write JPEGImages/, SegmentationClass/ and ImageSets/Segmentation/{train,val}.txt (VOC layout)."""
    from pathlib import Path

    from wsss.io.files import atomic_path, write_label

    out = Path(out_dir)
    (out / "JPEGImages").mkdir(parents=True, exist_ok=True)
    (out / "SegmentationClass").mkdir(parents=True, exist_ok=True)
    (out / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
    splits = {"train": [f"demo_train_{i:05d}" for i in range(n_train)],
              "val": [f"demo_val_{i:05d}" for i in range(n_val)]}
    for split, ids in splits.items():
        for i, image_id in enumerate(ids):
            img, mask = make_sample(seed * 1_000_003 + (0 if split == "train" else 500_000) + i, size)
            with atomic_path(out / "JPEGImages" / f"{image_id}.jpg") as tmp:
                Image.fromarray(img).save(tmp, format="JPEG", quality=92)
            write_label(out / "SegmentationClass" / f"{image_id}.png", mask)
        (out / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(ids) + "\n")
    return splits
