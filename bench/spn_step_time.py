"""Seconds per SPN training step (forward, backward, Adam), from images vs from cached encoder features,
at several f_ups widths, one process -- what sets the SPN schedule a CPU can afford.

    python bench/spn_step_time.py [--widths 64 128 256] [--batch 16] [--sizes 250 375 500] [--threads 2]

Inputs are random images and random superpixel maps (the SP layer is 2-3% of a step, bench/spn_step_share.py);
the encoder is MobileNetV2 (ImageNet weights when present, random otherwise: the cost is the same).
"""
import argparse
import time

import torch

from wsss.models.backbones import weight_file
from wsss.models.spn import SPN, STRIDE
from wsss.training import make_optimizer


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def step_seconds(net, opt, x, sp, y, cached, reps):
    times = []
    for _ in range(reps + 1):
        sync(x.device.type)
        t = time.perf_counter()
        opt.zero_grad()
        net.loss(x, sp, y, cached=cached).backward()
        opt.step()
        sync(x.device.type)
        times.append(time.perf_counter() - t)
    return min(times[1:])  # the first step warms up


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 375, 500])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    pretrained = weight_file("mobilenet_v2").is_file()
    settings = {"optimizer": "adam", "lr": 1e-4, "weight_decay": 1e-4}
    print(f"batch {a.batch}, {a.device}, {a.threads} threads, encoder weights: {'ImageNet' if pretrained else 'random'}")
    print("| width | size | from images (s) | from cached features (s) | ratio |")
    print("|---|---|---|---|---|")
    for width in a.widths:
        torch.manual_seed(0)
        net = SPN("mobilenet_v2", 20, pretrained=pretrained, width=width).train().to(a.device)
        opt = make_optimizer(net, settings)
        for size in a.sizes:
            x = torch.randn(a.batch, 3, size, size, device=a.device)
            sp = torch.randint(0, 300, (a.batch, -(-size // STRIDE), -(-size // STRIDE)), device=a.device)
            y = (torch.rand(a.batch, 20, device=a.device) < 0.1).float()
            with torch.no_grad():
                feats = net.encoder[:-1](x)
            live = step_seconds(net, opt, x, sp, y, False, a.reps)
            cached = step_seconds(net, opt, feats, sp, y, True, a.reps)
            print(f"| {width} | {size} | {live:.2f} | {cached:.2f} | {cached / live:.2f} |", flush=True)


if __name__ == "__main__":
    main()
