"""Superpixel pooling forward+backward: vectorised op vs a per-superpixel Python loop, one process.

    python bench/sp_pool_speed.py [--size 500] [--channels 64] [--segments 1000] [--device cpu]
"""
import argparse
import time

import cv2
import skimage.data
import torch
from skimage.segmentation import slic

from wsss.models.sp_pool import superpixel_pool


def loop_pool(f, sp):
    rows = []
    for s in range(int(sp.max()) + 1):
        mask = sp[0] == s
        rows.append(f[0][:, mask].mean(1))
    return torch.stack(rows)


def timed(fn, device, reps):
    best = float("inf")
    for _ in range(reps):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=500)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--segments", type=int, default=1000)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    img = cv2.resize(skimage.data.astronaut(), (a.size, a.size))  # a real photo bundled with skimage
    sp = torch.from_numpy(slic(img, n_segments=a.segments, compactness=10, start_label=0)[None]).to(a.device)
    f = torch.randn(1, a.channels, a.size, a.size, device=a.device, requires_grad=True)
    n_sp = int(sp.max()) + 1

    def fast():
        pooled, _, _ = superpixel_pool(f, sp)
        pooled.sum().backward()

    def slow():
        loop_pool(f, sp).sum().backward()

    assert torch.allclose(superpixel_pool(f, sp)[0], loop_pool(f, sp), atol=1e-5)
    t_fast, t_slow = timed(fast, a.device, 5), timed(slow, a.device, 2)
    print(f"{a.channels}x{a.size}x{a.size} features, {n_sp} superpixels, {a.device}")
    print(f"vectorised forward+backward: {1000 * t_fast:.1f} ms")
    print(f"per-superpixel loop:         {1000 * t_slow:.1f} ms")
    print(f"speed-up:                    {t_slow / t_fast:.0f}x (target >= 100x)")


if __name__ == "__main__":
    main()
