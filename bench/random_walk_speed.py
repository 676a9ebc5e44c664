"""The random walk of PSA / IRN (wsss.ops.random_walk.walk): products with T^T in CSR (the walk) vs in
COO (the walk before), same transition, one process. Default grid: a 500 x 375 VOC image at IRN's
stride 4 and walk radius 5, beta 10, 2^8 steps, 2 classes.

    python bench/random_walk_speed.py [--height 94 --width 125] [--radius 5] [--logt 8] [--device cpu]
"""
import argparse
import time

import torch

from wsss.ops import random_walk as rw


def coo_walk(maps, trans, steps):
    """The reference: the same products with T^T kept in COO."""
    k, h, w = maps.shape
    x = maps.reshape(k, h * w).t().contiguous()
    tt = trans.t().coalesce()
    for _ in range(steps):
        x = tt @ x
    return x.t().reshape(k, h, w)


def timed(fn, device):
    if device == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    out = fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--height", type=int, default=94)
    ap.add_argument("--width", type=int, default=125)
    ap.add_argument("--radius", type=int, default=5)
    ap.add_argument("--beta", type=float, default=10)
    ap.add_argument("--logt", type=int, default=8)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    aff = (0.5 + 0.5 * torch.rand(len(rw.offsets(a.radius)), a.height, a.width, generator=g)).to(a.device)
    maps = torch.rand(a.classes, a.height, a.width, generator=g).to(a.device)
    trans, t_trans = timed(lambda: rw.transition(aff, a.radius, a.beta), a.device)
    steps = 2 ** a.logt
    rw.walk(maps, trans, 1), coo_walk(maps, trans, 1)  # warm-up
    fast, t_fast = timed(lambda: rw.walk(maps, trans, steps), a.device)
    slow, t_slow = timed(lambda: coo_walk(maps, trans, steps), a.device)
    err = (fast - slow).abs().max().item()
    print(f"{a.height}x{a.width} grid, radius {a.radius}, {trans._nnz()} non-zeros, {steps} steps, "
          f"{a.classes} classes, {a.device}, {torch.get_num_threads()} threads")
    print(f"transition:     {t_trans:.3f} s")
    print(f"walk, CSR:      {t_fast:.3f} s")
    print(f"walk, COO:      {t_slow:.3f} s")
    print(f"speed-up:       {t_slow / t_fast:.1f}x (max |difference| {err:.1e})")


if __name__ == "__main__":
    main()
