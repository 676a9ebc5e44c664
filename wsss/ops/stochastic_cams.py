"""FickleNet's stochastic inference: N random hidden-unit selections per image, Grad-CAM of each,
aggregated into one localization map.

Grad-CAM of a selection (`gradcam`): "elementwise" (default) is FickleNet's formula,
ReLU(sum_k dS_c/dx_k * x_k) with the element-wise product, so each selection's map depends on WHERE
its hidden units were dropped; "mean" (option) is Selvaraju et al.'s channel-weighted map
(weights = spatial mean of the gradient), which with FickleNet's linear head depends only on how
many units of each (channel, tap) were kept: its selections barely differ (the review measured a
mean pairwise correlation of 0.995 on VOC).

The backbone runs once per image; the N selections run as batches of `chunk` whose Grad-CAMs come
in closed form (FickleNet.grad_cams_batched). A selection's Grad-CAM needs of its mask only the
kept-unit count of each (channel, kernel tap); sampler "counts" draws those counts directly
(FickleNet.sample_taps: the same law as counting a drawn mask, with h*w times fewer random
numbers). The element-wise Grad-CAM needs every unit: sampler "kept" (default) draws the positions
of the kept units only (FickleNet.sample_kept, exact law; kept_grad_cams sums them: about 10x less
work at p = 0.9 than the dense masks on a CPU, bench/ficklenet_speed.py), sampler "masks" draws
every mask in full. `naive=True` is the reference: one full forward pass, backbone included, and an
autograd Grad-CAM per selection. Sampler "kept" draws each selection on its own, so the batched
and naive paths see the same selections and give the same maps (tested), on any device; "masks"
does so on the CPU (CUDA's Philox stream depends on the chunk size); "counts" gives maps of the same
distribution. The kept sampler's gain was measured on a CPU; on CUDA it synchronises with the host
twice per selection, and the dense masks may be as fast there.

Aggregation (FickleNet): every Grad-CAM is divided by its own max; pixel u belongs to class c if
the map of c exceeds the threshold in ANY of the N selections, i.e. if the max over selections
does. We store that max (so the threshold can be chosen later) and the fraction of selections
that fire at the configured threshold.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def aggregate(cams: torch.Tensor, size, threshold: float, best: torch.Tensor, fired: torch.Tensor,
              per_selection: bool | None = None) -> None:
    """Fold a batch of selections' Grad-CAMs (m, K, h, w) into the running max of their max-normalised
    maps at `size` (best) and the count of selections above the threshold (fired), in place.

    On a CPU one selection at a time: its upsampled maps (K x H x W floats) stay in cache through the
    normalise, max and threshold passes, where the whole batch's (50 x K x H x W) would stream through
    memory four times: about 4x faster at 320 px, identical values (bench/ficklenet_speed.py). On other
    devices the batch at once, in few kernel launches (per_selection: None chooses by device)."""
    if per_selection is None:
        per_selection = cams.device.type == "cpu"
    step = 1 if per_selection else len(cams)
    for i in range(0, len(cams), step):
        up = F.interpolate(cams[i:i + step], size=size, mode="bilinear", align_corners=False).float()
        up.div_(up.flatten(2).amax(2).clamp_min(1e-5)[..., None, None])
        if len(up) == 1:
            torch.maximum(best, up[0], out=best)
            fired += up[0] > threshold
        else:
            torch.maximum(best, up.amax(0), out=best)
            fired += (up > threshold).sum(0)


def elementwise_grad_cams(model, f: torch.Tensor, class_idx, masks: torch.Tensor) -> torch.Tensor:
    """Grad-CAM without the spatial mean of the gradient: ReLU(sum_ch dS_c/df_ch * f_ch), per selection.

    dS_c/df at u sums, over the k*k windows covering u, the classifier weight of the tap that lands
    on u times that unit's mask (divided by h*w, the GAP). So unlike the standard Grad-CAM the map
    depends on where units were dropped, not only on how many. f (1, c, h, w), masks (n, c, h*k, w*k)
    -> (n, K, h, w), in closed form: one shifted copy of the masks per tap, no backward pass."""
    _, c, h, w = f.shape
    k, r = model.k, model.k // 2
    weight = model.classifier.weight[class_idx]                          # (K, c, k, k)
    units = masks.view(len(masks), masks.shape[1], h, k, w, k)           # masks.shape[1]: c, or 1 (location)
    cams = f.new_zeros(len(masks), len(class_idx), h, w)
    for a in range(k):
        for b in range(k):
            # the unit at offset (a, b) of window (i, j) lands on u = (i + a - r, j + b - r)
            landed = F.pad(units[:, :, :, a, :, b], (r, r, r, r))[:, :, 2 * r - a:2 * r - a + h, 2 * r - b:2 * r - b + w]
            if masks.shape[1] == 1:   # one mask for every channel: weight the tap's score map
                cams += landed * torch.einsum("Kc,chw->Khw", weight[:, :, a, b], f[0])[None]
            else:
                cams += torch.einsum("Kc,nchw->nKhw", weight[:, :, a, b], landed * f)
    return F.relu(cams / (h * w)).detach()


def kept_grad_cams(model, f: torch.Tensor, class_idx, kept: list) -> torch.Tensor:
    """elementwise_grad_cams of the selections whose kept units are `kept` (FickleNet.sample_kept), from
    the kept units alone: (n, K, h, w).

    A kept unit (channel ch, tap t) landing on u adds W[K, ch, t] * f[ch, u] / (1-p) to the map at u
    (location dropout: its tap's whole score, summed over channels); the preserved centres add the
    plain CAM term. So the cost follows the (1-p) share of kept units, not the n*c*h*w*k*k masks."""
    _, c, h, w = f.shape
    q, taps = 1 - model.p, model.dropped_taps()
    weight = model.classifier.weight[class_idx].detach().flatten(2)         # (K, c, k*k)
    _, valid = model.landed_windows(h, w, f.device)                        # (h*w, T)
    fu = f[0].reshape(c, h * w)
    per_unit = torch.einsum("Kct,cu->uctK", weight[:, :, taps], fu)        # (h*w, c, T, K)
    if model.unit_channels(f) == 1:                                        # location: one unit for all channels
        per_unit = per_unit.sum(1, keepdim=True)
    per_unit = (per_unit * valid[:, None, :, None] / q).reshape(-1, len(class_idx))
    per_position = per_unit.shape[0] // (h * w)                            # J: units per landed position
    sums = f.new_zeros(len(kept), h * w, len(class_idx))
    for s, pos in enumerate(kept):
        sums[s].index_add_(0, pos // per_position, per_unit[pos])
    cams = sums.transpose(1, 2)
    if model.center_preserving:
        cams = cams + (weight[:, :, model.centre_tap] @ fu)[None]
    return F.relu(cams / (h * w)).reshape(len(kept), len(class_idx), h, w)


SAMPLERS = ("kept", "masks", "counts")


def localization(model, x: torch.Tensor, class_ids, n: int, threshold: float, chunk: int = 50,
                 generator=None, naive: bool = False, sampler: str = "kept", gradcam: str = "elementwise"):
    """x (1, 3, H, W) -> (max over selections (K, H, W), fraction of selections firing (K, H, W)), numpy.

    class_ids are 1-based; a selection's maps are its per-class Grad-CAMs, each divided by its max.
    sampler (see the module docstring): "kept" (FickleNet.sample_kept), "masks" (FickleNet.masks) or
    "counts" (gradcam "mean" only); the naive reference draws the same selections as the batched path
    for "kept" and "masks" and densifies them. gradcam: "elementwise" or "mean"."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    if gradcam == "elementwise" and sampler == "counts":
        raise ValueError("the elementwise Grad-CAM depends on where units are dropped: it needs sampler 'kept' or "
                         "'masks' (cams.fickle.sampler); the tap-count sampler is exact only for gradcam 'mean'")
    idx = [c - 1 for c in class_ids]
    size = x.shape[-2:]
    best = torch.zeros(len(idx), *size, device=x.device)   # accumulated where the maps are computed:
    fired = torch.zeros(len(idx), *size, device=x.device)  # one transfer per image, not per chunk
    with torch.no_grad():
        f = model.feature_map(x)

    def draw(m):
        if sampler == "kept":
            return model.kept_masks(model.sample_kept(m, f, generator), f)
        return model.masks(m, f, generator)

    for start in range(0, n, 1 if naive else chunk):
        m = 1 if naive else min(chunk, n - start)
        if naive:
            with torch.no_grad():
                f = model.feature_map(x)  # the whole network again, as N sequential passes would
            cams = model.grad_cams(f, idx, draw(m), elementwise=gradcam == "elementwise")
        elif gradcam == "elementwise" and sampler == "kept":
            cams = kept_grad_cams(model, f, idx, model.sample_kept(m, f, generator))
        elif gradcam == "elementwise":
            cams = elementwise_grad_cams(model, f, idx, draw(m))
        elif sampler == "counts":
            cams = model.grad_cams_batched(f, idx, taps=model.sample_taps(m, f, generator))
        else:
            cams = model.grad_cams_batched(f, idx, draw(m))
        aggregate(cams, size, threshold, best, fired)
    return best.cpu().numpy(), (fired / n).cpu().numpy().astype(np.float32)


def selection_correlation(model, f: torch.Tensor, class_idx, n: int, gradcam: str = "elementwise",
                          generator=None) -> float:
    """Mean pairwise Pearson correlation of n single-selection Grad-CAMs (of f (1, c, h, w), 0-based
    classes), averaged over the classes: near 1 means the selections barely differ (N cannot matter)."""
    masks = model.masks(n, f, generator)
    cams = elementwise_grad_cams(model, f, class_idx, masks) if gradcam == "elementwise" \
        else model.grad_cams_batched(f, class_idx, masks)
    out = []
    for k in range(cams.shape[1]):
        x = cams[:, k].flatten(1)
        x = x - x.mean(1, keepdim=True)
        x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        corr = x @ x.t()
        out.append(float((corr.sum() - corr.diagonal().sum()) / (n * (n - 1))))
    return float(np.mean(out))
