"""Synthetic demo dataset, generated deterministically offline in seconds.

It is NOT real data. It is built so that the premises of the methods under test hold, the
way they do on VOC, while staying small enough for a CPU:

- Body appearance is class-CORRELATED but overlapping. Each class has a body hue family and
  a texture orientation; a body's hue is its class hue plus noise, and one body in four takes
  the hue of another class. A classifier can use the body, but the body alone is ambiguous.
- A small, highly DISCRIMINATIVE part (a two-colour ~S/12 marker pattern unique to the class)
  sits inside each body, so a classifier's CAM peaks there and covers the body only partly:
  the discriminative-part problem SPN and FickleNet address.
- Backgrounds are kept APART from body colours: bodies are saturated, backgrounds and
  clutter are low-saturation (grey / brownish) textures, so region growing and superpixels
  have edges to stop at. Backgrounds carry class-correlated CONTEXT (the VOC co-occurrence
  problem, e.g. boats on water): with probability 0.7 the scene type is the one of the first
  object's class; its tint stays low-saturation.
- Images are 192 px by default, so stride-16 maps are 12x12 and resolve an object's parts.
  Bodies have low-contrast texture, so SLIC superpixels follow their outlines (a few
  superpixels per object at the demo's n_superpixels).

Ground-truth masks cover body + marker. `premise_stats` measures the claims above.
"""
from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image, ImageDraw

CLASS_NAMES = ["background", "alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
N_CLASSES = len(CLASS_NAMES) - 1

# Marker of class k: (colour A, colour B, pattern). The only fully class-specific evidence.
_MARKERS = [
    ((230, 30, 30), (250, 250, 250), "checker"),
    ((30, 200, 40), (20, 20, 20), "hstripes"),
    ((40, 60, 230), (250, 220, 30), "vstripes"),
    ((240, 240, 0), (200, 0, 200), "checker"),
    ((0, 220, 220), (230, 30, 30), "hstripes"),
    ((250, 140, 0), (40, 60, 230), "dot"),
]
_SWAP_HUE = 0.25        # a body takes another class's hue family
_HUE_JITTER = 0.06      # std of the body hue around its family (hues in [0, 1); families 1/6 apart)
_CONTEXT_P = 0.7        # the scene type follows the first object's class
# Scene types: (base grey level range, RGB tint added, texture frequency) -- all low saturation.
_SCENES = [
    ((150, 200), (-8, 0, 14), 3),     # "sky": light, slightly blue
    ((70, 120), (10, 4, -10), 10),    # "ground": dark, slightly brown
    ((110, 160), (-6, 8, -4), 6),     # "grass": mid, slightly green
]
_CLASS_SCENE = [0, 1, 2, 0, 1, 2]     # the context of each class


def _hsv(h, s, v):
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), np.float32) * 255


def _background(rng, size, scene):
    (lo, hi), tint, freq = _SCENES[scene]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    g = np.zeros((size, size), np.float32)
    for _ in range(3):
        fx, fy, ph = rng.uniform(-freq, freq), rng.uniform(-freq, freq), rng.uniform(0, 2 * np.pi)
        g += np.sin(2 * np.pi * (fx * xx + fy * yy) + ph)
    level = rng.uniform(lo, hi)
    img = level + 14 * g[..., None] + np.array(tint, np.float32)[None, None]
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    for _ in range(rng.integers(10, 20)):  # clutter: small low-saturation rectangles and blobs
        x, y = rng.integers(0, size, 2)
        w, h = rng.integers(4, max(5, size // 10), 2)
        grey = rng.uniform(50, 210)
        col = tuple(int(np.clip(grey + d, 0, 255)) for d in rng.uniform(-12, 12, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x, y, x + w, y + h], fill=col)
    return np.asarray(pil).astype(np.float32)


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


def _body_appearance(rng, k, size, cx, cy, r):
    """Class-correlated colour field: hue family of class k (or, 1 in 4, another), oriented texture."""
    family = k if rng.random() >= _SWAP_HUE else int(rng.integers(0, N_CLASSES))
    colour = _hsv(family / N_CLASSES + rng.normal(0, _HUE_JITTER), rng.uniform(0.55, 0.85),
                  rng.uniform(0.55, 0.9))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    theta = k * np.pi / N_CLASSES + rng.normal(0, 0.2)          # texture orientation: class-correlated
    wave = np.sin(2 * np.pi * ((xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)) / (size / 24))
    shade = 1 + 0.12 * ((xx - cx) * rng.uniform(-1, 1) + (yy - cy) * rng.uniform(-1, 1)) / r
    return colour[None, None] * shade[..., None] + 10 * wave[..., None]


def _marker(k, s):
    a, b, pat = _MARKERS[k]
    yy, xx = np.mgrid[0:s, 0:s]
    if pat == "checker":
        sel = ((yy // 3 + xx // 3) % 2) == 0
    elif pat == "hstripes":
        sel = (yy // 3) % 2 == 0
    elif pat == "vstripes":
        sel = (xx // 3) % 2 == 0
    else:
        sel = (yy - s / 2 + 0.5) ** 2 + (xx - s / 2 + 0.5) ** 2 < (s / 3) ** 2
    return np.where(sel[..., None], np.array(a), np.array(b)).astype(np.uint8)


def make_sample(seed: int, size: int = 192):
    """One (image uint8 HxWx3, mask uint8 HxW) pair; same seed -> same pair."""
    rng = np.random.default_rng(seed)
    n_obj = int(rng.choice([1, 2, 2, 3]))
    classes = [int(rng.integers(0, N_CLASSES)) for _ in range(n_obj)]
    scene = _CLASS_SCENE[classes[0]] if rng.random() < _CONTEXT_P else int(rng.integers(0, len(_SCENES)))
    img = _background(rng, size, scene)
    mask = np.zeros((size, size), np.uint8)
    placed = []
    for k in classes:
        r = size * rng.uniform(0.16, 0.26)
        for _try in range(20):
            cx, cy = rng.uniform(r, size - r, 2)
            if all(np.hypot(cx - px, cy - py) > 0.9 * (r + pr) for px, py, pr in placed):
                break
        placed.append((cx, cy, r))
        body = _body_mask(rng, size, cx, cy, r)
        img[body] = _body_appearance(rng, k, size, cx, cy, r)[body]
        mask[body] = k + 1
        s = max(6, int(round(size / 12)))  # marker: inside the body, off-centre
        ys, xs = np.nonzero(body)
        j = rng.integers(0, len(ys))
        my = int(np.clip(ys[j] - s // 2, 0, size - s))
        mx = int(np.clip(xs[j] - s // 2, 0, size - s))
        img[my:my + s, mx:mx + s] = _marker(k, s)
        mask[my:my + s, mx:mx + s] = k + 1
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), mask


def premise_stats(n: int = 100, size: int = 192, n_superpixels: int = 80, seed: int = 0) -> dict:
    """Measure the premises of the module docstring on n generated images.

    bg_near_body: share of background pixels within RGB distance 30 of the mean colour of a body
    in the same image; body_hue_accuracy: share of objects whose mean colour's hue is nearest
    their own class's hue family (class-correlated: well above 1/6; ambiguous: well below 1);
    sp_per_object: SLIC superpixels (majority-assigned) per object; sp_oracle_pixel_acc: pixel
    accuracy of giving each superpixel its majority ground-truth label.
    """
    from skimage.segmentation import slic

    near, bg_total, per_object, correct, total, hue_hits = 0, 0, [], 0, 0, []
    for i in range(n):
        img, mask = make_sample(seed * 1_000_003 + i, size)
        f = img.astype(np.float32)
        bg = mask == 0
        for k in np.unique(mask[mask > 0]):
            mean = f[mask == k].mean(0)
            near += int((np.linalg.norm(f[bg] - mean, axis=1) < 30).sum())
            hue = colorsys.rgb_to_hsv(*(mean / 255))[0]
            family = np.abs((hue - np.arange(N_CLASSES) / N_CLASSES + 0.5) % 1.0 - 0.5).argmin()
            hue_hits.append(family == k - 1)
        bg_total += int(bg.sum())
        sp = slic(img, n_segments=n_superpixels, compactness=10, start_label=0)
        major = np.array([np.bincount(mask[sp == s], minlength=N_CLASSES + 1).argmax() for s in range(sp.max() + 1)])
        correct += int((major[sp] == mask).sum())
        total += mask.size
        for k in np.unique(mask[mask > 0]):
            per_object.append(int((major == k).sum()))
    return {"bg_near_body": near / bg_total, "body_hue_accuracy": float(np.mean(hue_hits)), "sp_per_object": float(np.mean(per_object)),
            "sp_oracle_pixel_acc": correct / total}


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
