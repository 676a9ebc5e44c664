"""FickleNet's stochastic inference: N random hidden-unit selections per image, Grad-CAM of each,
aggregated into one localization map.

The backbone runs once per image; the N selections run as batches of `chunk` whose Grad-CAMs come
in closed form (FickleNet.grad_cams_batched). A selection's Grad-CAM needs of its mask only the
kept-unit count of each (channel, kernel tap); sampler "counts" draws those counts directly
(FickleNet.sample_taps: the same law as counting a drawn mask, with h*w times fewer random
numbers), sampler "masks" draws every mask in full. `naive=True` is the reference: one full forward
pass, backbone included, and an autograd Grad-CAM per selection. With sampler "masks", masks are
drawn from one generator in selection order, so the batched and naive paths see the same selections
and give the same maps (tested); sampler "counts" gives maps of the same distribution.

Aggregation (FickleNet): every Grad-CAM is divided by its own max; pixel u belongs to class c if
the map of c exceeds the threshold in ANY of the N selections, i.e. if the max over selections
does. We store that max (so the threshold can be chosen later) and the fraction of selections
that fire at the configured threshold.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _normalised(maps: torch.Tensor, size) -> torch.Tensor:
    up = F.interpolate(maps, size=size, mode="bilinear", align_corners=False)
    return up / up.flatten(2).amax(2).clamp_min(1e-5)[..., None, None]


def localization(model, x: torch.Tensor, class_ids, n: int, threshold: float, chunk: int = 50,
                 generator=None, naive: bool = False, sampler: str = "counts"):
    """x (1, 3, H, W) -> (max over selections (K, H, W), fraction of selections firing (K, H, W)), numpy.

    class_ids are 1-based; a selection's maps are its per-class Grad-CAMs, each divided by its max.
    sampler: "counts" or "masks" (see the module docstring); the naive reference always draws masks."""
    if sampler not in ("counts", "masks"):
        raise ValueError(f"sampler must be 'counts' or 'masks', got {sampler!r}")
    idx = [c - 1 for c in class_ids]
    size = x.shape[-2:]
    best = torch.zeros(len(idx), *size)
    fired = torch.zeros(len(idx), *size)
    with torch.no_grad():
        f = model.feature_map(x)
    for start in range(0, n, 1 if naive else chunk):
        m = 1 if naive else min(chunk, n - start)
        if naive:
            with torch.no_grad():
                f = model.feature_map(x)  # the whole network again, as N sequential passes would
        if naive:
            cams = model.grad_cams(f, idx, model.masks(m, f, generator))
        elif sampler == "masks":
            cams = model.grad_cams_batched(f, idx, model.masks(m, f, generator))
        else:
            cams = model.grad_cams_batched(f, idx, taps=model.sample_taps(m, f, generator))
        maps = _normalised(cams, size).float().cpu()
        best = torch.maximum(best, maps.amax(0))
        fired += (maps > threshold).sum(0)
    return best.numpy(), (fired / n).numpy().astype(np.float32)
