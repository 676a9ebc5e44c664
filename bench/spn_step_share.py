"""Share of the superpixel pooling layer in one SPN training step, one process.

    python bench/spn_step_share.py [--backbone mobilenet_v2] [--batch 8] [--sizes 250 500] [--segments 300]

A full step (forward, backward, Adam update) of the SPN at each input size is timed, then the SP
layer's own work in that step -- both superpixel_pool calls SPN.forward makes (features and the
padding mask) and the backward of the feature pooling -- on tensors of the same shapes. Superpixels
are SLIC of a real photo (skimage's astronaut), resampled per size as in training.
"""
import argparse
import time

import cv2
import numpy as np
import skimage.data
import torch
from skimage.segmentation import slic

from wsss.models.sp_pool import superpixel_pool
from wsss.models.spn import SPN
from wsss.data.spn_data import resample
from wsss.training import make_optimizer
from wsss.data.transforms import to_tensor


def best_of(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backbone", default="mobilenet_v2")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 500])
    ap.add_argument("--segments", type=int, default=300)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = SPN(a.backbone, 20, pretrained=False).train()
    opt = make_optimizer(net, {"lr": 1e-4, "weight_decay": 1e-4, "optimizer": "adam"})
    photo = cv2.resize(skimage.data.astronaut(), (500, 500))
    sp_full = slic(photo, n_segments=a.segments, compactness=10, start_label=0)
    y = torch.zeros(a.batch, 20)
    y[:, 14] = 1
    print(f"{a.backbone}, batch {a.batch}, {int(sp_full.max()) + 1} SLIC superpixels, {torch.get_num_threads()} threads")
    for size in a.sizes:
        img, sp = resample(photo, sp_full, size)
        x = to_tensor(img)[None].repeat(a.batch, 1, 1, 1)
        sps = torch.from_numpy(sp)[None].repeat(a.batch, 1, 1)

        def step():
            opt.zero_grad()
            net.loss(x, sps, y).backward()
            opt.step()

        step()  # warm-up
        t_step = best_of(step, a.reps)
        feats = torch.randn(a.batch, net.sp_fc.in_features, *sp.shape, requires_grad=True)
        mask = torch.ones(a.batch, 1, *sp.shape)
        w = torch.randn(net.sp_fc.in_features, 20)

        def sp_layer():
            pooled = superpixel_pool(feats, sps)[0]
            superpixel_pool(mask, sps)
            (pooled @ w).sum().backward()

        sp_layer()
        t_sp = best_of(sp_layer, a.reps)
        print(f"size {size}: step {1000 * t_step:.0f} ms, SP layer {1000 * t_sp:.1f} ms "
              f"({100 * t_sp / t_step:.1f}% of the step); features {tuple(feats.shape)}, "
              f"{int(np.asarray(sp).max()) + 1} superpixels per image")


if __name__ == "__main__":
    main()
