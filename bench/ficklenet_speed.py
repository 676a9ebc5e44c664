"""FickleNet benchmarks, one process each part.

    python bench/ficklenet_speed.py inference [--n 200] [--size 320] [--chunk 50] [--gradcam elementwise]
        batched stochastic inference (backbone once, selections batched: kept units, full masks, and for
        the mean Grad-CAM also sampled tap counts) vs the naive loop of N full forward passes with an
        autograd Grad-CAM each on the kept units' selections (same selections: outputs compared)
    python bench/ficklenet_speed.py expansion [--size 320] [--batch 8]
        one training step (forward + backward) with map expansion on vs off: time, and the peak
        resident memory of a child process doing only that step (on CUDA: max_memory_allocated)
"""
import argparse
import json
import resource
import subprocess
import sys
import time

import torch

from wsss.models.backbones import weight_file
from wsss.models.ficklenet import FickleNet
from wsss.ops.stochastic_cams import localization


def model(a, expansion=True):
    """ImageNet weights when they are on disk (structured maps to compare), else a random init."""
    torch.manual_seed(0)
    pretrained = weight_file(a.backbone).is_file()
    return FickleNet(a.backbone, 20, pretrained=pretrained, p=a.p, expansion=expansion).eval().to(a.device)


def test_image(a):
    """A smooth random picture (blobs, not pixel noise), normalised like the data."""
    g = torch.Generator().manual_seed(0)
    low = torch.rand(1, 3, 6, 6, generator=g)
    img = torch.nn.functional.interpolate(low, size=(a.size, a.size), mode="bicubic", align_corners=False)
    return ((img - 0.45) / 0.225).to(a.device)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def inference(a):
    """The naive loop (N full forward passes, an autograd Grad-CAM each, on the kept sampler's selections
    densified) vs the batched paths: kept units (same selections: outputs compared exactly), full masks,
    and for the mean Grad-CAM sampled tap counts (other draws, same law: mean firing fractions compared)."""
    net = model(a)
    x = test_image(a)
    out, secs = {}, {}
    samplers = ("kept", "masks", "counts") if a.gradcam == "mean" else ("kept", "masks")
    paths = (*samplers, "naive")
    for path in paths:  # warm-up (CUDA context, cuDNN autotuning, allocator) outside the timings
        localization(net, x, [1, 15], 2, 0.5, 2, torch.Generator(device=a.device).manual_seed(1), naive=path == "naive",
                     sampler="kept" if path == "naive" else path, gradcam=a.gradcam)
    for path in paths:
        g = torch.Generator(device=a.device).manual_seed(0)
        sync(a.device)
        t = time.perf_counter()
        out[path] = localization(net, x, [1, 15], a.n, 0.5, a.chunk, g, naive=path == "naive",
                                 sampler="kept" if path == "naive" else path, gradcam=a.gradcam)
        sync(a.device)
        secs[path] = time.perf_counter() - t
    print(f"N={a.n}, {a.size}x{a.size}, 2 classes, {a.backbone}, {a.device}, {torch.get_num_threads()} threads, "
          f"{a.gradcam} Grad-CAM, chunk {a.chunk}: naive loop {secs['naive']:.2f} s; batched: " +
          "; ".join(f"{s} {secs[s]:.2f} s ({secs['naive'] / secs[s]:.1f}x)" for s in samplers))
    map_diff = abs(out["naive"][0] - out["kept"][0]).max()
    flips = abs(out["naive"][1] - out["kept"][1]) * a.n  # selections firing differently (values at the threshold)
    print(f"kept vs naive (same selections: drawn one by one in both): localization map max |difference| {map_diff:.1e}, fired counts "
          f"differ at {(flips > 0.5).mean():.1e} of pixels by at most {flips.max():.0f}")
    for s in samplers[1:]:
        print(f"{s} vs naive (same law, other draws): mean firing fraction {out[s][1].mean():.4f} "
              f"vs {out['naive'][1].mean():.4f}; mean localization {out[s][0].mean():.4f} vs "
              f"{out['naive'][0].mean():.4f}")


def step(a):
    """Child process: one training step; prints its time and peak memory as JSON."""
    net = model(a, expansion=a.expansion == "on").train()
    x = torch.randn(a.batch, 3, a.size, a.size, device=a.device)
    net(x).sum().backward()  # warm-up
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if a.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    net.zero_grad()
    sync(a.device)
    t = time.perf_counter()
    net(x).sum().backward()
    sync(a.device)
    secs = time.perf_counter() - t
    peak = (torch.cuda.max_memory_allocated() if a.device == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    print(json.dumps({"seconds": secs, "peak_bytes": peak, "rss_before_kb": base}))


def expansion(a):
    res = {}
    for mode in ("on", "off"):
        cmd = [sys.executable, __file__, "step", "--expansion", mode, "--size", str(a.size), "--batch", str(a.batch),
               "--device", a.device, "--backbone", a.backbone, "--p", str(a.p)]
        res[mode] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    on, off = res["on"], res["off"]
    print(f"training step, batch {a.batch} at {a.size}x{a.size}, {a.backbone}, {a.device}: "
          f"expansion on {on['seconds']:.2f} s, peak {on['peak_bytes'] / 2**20:.0f} MiB; "
          f"off (per-window loop) {off['seconds']:.2f} s, peak {off['peak_bytes'] / 2**20:.0f} MiB; "
          f"time ratio off/on {off['seconds'] / on['seconds']:.1f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["inference", "expansion", "step"])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--p", type=float, default=0.9)
    ap.add_argument("--backbone", default="mobilenet_v2")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--expansion", default="on")
    ap.add_argument("--gradcam", default="elementwise", choices=["elementwise", "mean"])
    a = ap.parse_args()
    {"inference": inference, "expansion": expansion, "step": step}[a.what](a)


if __name__ == "__main__":
    main()
