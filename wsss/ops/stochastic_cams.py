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


def elementwise_grad_cams(model, f: torch.Tensor, class_idx, masks: torch.Tensor) -> torch.Tensor:
    """Grad-CAM without the spatial mean of the gradient: ReLU(sum_ch dS_c/df_ch * f_ch), per selection.

    dS_c/df at u sums, over the k*k windows covering u, the classifier weight of the tap that lands
    on u times that unit's mask (divided by h*w, the GAP). So unlike the standard Grad-CAM the map
    depends on where units were dropped, not only on how many. f (1, c, h, w), masks (n, c, h*k, w*k)
    -> (n, K, h, w), in closed form: one shifted copy of the masks per tap, no backward pass."""
    _, c, h, w = f.shape
    k, r = model.k, model.k // 2
    weight = model.classifier.weight[class_idx]                          # (K, c, k, k)
    units = masks.view(len(masks), c, h, k, w, k)
    cams = f.new_zeros(len(masks), len(class_idx), h, w)
    for a in range(k):
        for b in range(k):
            # the unit at offset (a, b) of window (i, j) lands on u = (i + a - r, j + b - r)
            landed = F.pad(units[:, :, :, a, :, b], (r, r, r, r))[:, :, 2 * r - a:2 * r - a + h, 2 * r - b:2 * r - b + w]
            cams += torch.einsum("Kc,nchw->nKhw", weight[:, :, a, b], landed * f)
    return F.relu(cams / (h * w)).detach()


def localization(model, x: torch.Tensor, class_ids, n: int, threshold: float, chunk: int = 50,
                 generator=None, naive: bool = False, sampler: str = "counts", gradcam: str = "mean"):
    """x (1, 3, H, W) -> (max over selections (K, H, W), fraction of selections firing (K, H, W)), numpy.

    class_ids are 1-based; a selection's maps are its per-class Grad-CAMs, each divided by its max.
    sampler: "counts" or "masks" (see the module docstring); the naive reference always draws masks.
    gradcam: "mean" (the standard Grad-CAM) or "elementwise" (elementwise_grad_cams; needs the masks)."""
    if sampler not in ("counts", "masks"):
        raise ValueError(f"sampler must be 'counts' or 'masks', got {sampler!r}")
    if gradcam == "elementwise" and (sampler != "masks" or naive):
        raise ValueError("the elementwise Grad-CAM depends on where units are dropped: it needs sampler 'masks' "
                         "(cams.fickle.sampler: masks) and has no naive path")
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
            cams = model.grad_cams(f, idx, model.masks(m, f, generator))
        elif gradcam == "elementwise":
            cams = elementwise_grad_cams(model, f, idx, model.masks(m, f, generator))
        elif sampler == "masks":
            cams = model.grad_cams_batched(f, idx, model.masks(m, f, generator))
        else:
            cams = model.grad_cams_batched(f, idx, taps=model.sample_taps(m, f, generator))
        maps = _normalised(cams, size).float().cpu()
        best = torch.maximum(best, maps.amax(0))
        fired += (maps > threshold).sum(0)
    return best.numpy(), (fired / n).numpy().astype(np.float32)
