"""AffinityNet's semantic affinities and the random walk (Ahn and Kwak, CVPR 2018, "PSA").

Facts from the paper and its public code (jiwoon-ahn/psa, read for facts):
- pairs: a cell and its neighbours within `radius` cells (5 at stride 8), one half-plane of offsets
  (34 for radius 5), zero excluded;
- affinity of a pair: exp(-mean_c |f_i - f_j|) over the affinity features;
- training labels from CAMs: foreground where the CRF of [(1 - max cam)^4; cams] says a class
  (the low background power), background where the CRF of [(1 - max cam)^32; cams] says background
  (the high one), don't-care elsewhere; a pair is a background positive, a foreground positive (same
  label) or a negative (different labels); loss = bg+/4 + fg+/4 + neg/2, each term a mean;
- inference: A = affinities^beta (beta 8) with the symmetric pairs and a unit diagonal,
  T = A D^-1 (column sums), the maps [(1 - max cam)^alpha (alpha 16); cams] at stride 8 walked as
  vec(M) T^t with t = 2^logt = 256, then upsampled; the label is the argmax.

The walk is t sparse products with the banded transition (no Python loop over pixels, no dense N x N
matrix); tests check it against a dense matrix power on a small grid.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F

IGNORE = 255


def offsets(radius: int) -> list[tuple[int, int]]:
    """The half-plane of neighbour offsets (dy, dx) with 0 < dy^2 + dx^2 < radius^2."""
    out = [(0, dx) for dx in range(1, radius)]
    out += [(dy, dx) for dy in range(1, radius) for dx in range(-radius + 1, radius) if dy * dy + dx * dx < radius ** 2]
    return out


def _shifted(x: torch.Tensor, dy: int, dx: int, fill) -> torch.Tensor:
    """x[..., i + dy, j + dx] at every (i, j), `fill` where that falls outside the map."""
    h, w = x.shape[-2:]
    out = torch.full_like(x, fill)
    if dy >= h or abs(dx) >= w:  # the whole neighbour lies outside a map this small
        return out
    ys, yd = slice(dy, h), slice(0, h - dy)
    xs, xd = (slice(dx, w), slice(0, w - dx)) if dx >= 0 else (slice(0, w + dx), slice(-dx, w))
    out[..., yd, xd] = x[..., ys, xs]
    return out


def inside(h: int, w: int, radius: int, device=None) -> torch.Tensor:
    """(D, h, w) bool: whether the neighbour at each offset lies inside the map."""
    ones = torch.ones(h, w, dtype=torch.bool, device=device)
    return torch.stack([_shifted(ones, dy, dx, False) for dy, dx in offsets(radius)])


def affinities(f: torch.Tensor, radius: int) -> torch.Tensor:
    """f (B, C, h, w) -> (B, D, h, w) affinities exp(-mean_c |f_i - f_j|) to each offset's neighbour
    (1 where the neighbour is outside the map: such entries are masked by `inside`)."""
    return torch.stack([torch.exp(-(f - _shifted(f, dy, dx, 0.0)).abs().mean(1)) for dy, dx in offsets(radius)], 1)


def pair_labels(label: torch.Tensor, radius: int):
    """label (B, h, w): 0 background, k > 0 a class, IGNORE don't-care -> (bg_pos, fg_pos, neg), each
    (B, D, h, w) float: both ends labelled and inside the map, with the same label (background or a
    class) or different labels."""
    out = {"bg": [], "fg": [], "neg": []}
    for dy, dx in offsets(radius):
        to = _shifted(label, dy, dx, IGNORE)
        valid = (label != IGNORE) & (to != IGNORE)
        same = valid & (label == to)
        out["bg"].append(same & (label == 0))
        out["fg"].append(same & (label != 0))
        out["neg"].append(valid & (label != to))
    return tuple(torch.stack(out[k], 1).float() for k in ("bg", "fg", "neg"))


def affinity_loss(aff: torch.Tensor, bg_pos, fg_pos, neg) -> torch.Tensor:
    """PSA's loss: bg+/4 + fg+/4 + neg/2, each the mean cross-entropy over its pairs."""
    aff = aff.float()  # under CPU autocast exp stays bf16/fp16, where 1 + 1e-5 == 1 and log(0) * 0 is NaN
    def mean(term, mask):
        return (term * mask).sum() / (mask.sum() + 1e-5)
    return (mean(-torch.log(aff + 1e-5), bg_pos) / 4 + mean(-torch.log(aff + 1e-5), fg_pos) / 4
            + mean(-torch.log(1 + 1e-5 - aff), neg) / 2)


def transition(aff: torch.Tensor, radius: int, beta: float) -> torch.Tensor:
    """aff (D, h, w) of one image -> the sparse column-stochastic transition T = A D^-1 (N x N, N = h w),
    A symmetric with the pairs' affinities^beta and a unit diagonal."""
    d, h, w = aff.shape
    n = h * w
    keep = inside(h, w, radius, aff.device)
    src = torch.arange(n, device=aff.device).view(h, w)
    rows, cols, vals = [src.flatten()], [src.flatten()], [torch.ones(n, device=aff.device, dtype=aff.dtype)]
    for k, (dy, dx) in enumerate(offsets(radius)):
        m = keep[k]
        i, j = src[m], (src + dy * w + dx)[m]
        a = aff[k][m] ** beta
        rows += [i, j]
        cols += [j, i]
        vals += [a, a]
    rows, cols, vals = torch.cat(rows), torch.cat(cols), torch.cat(vals)
    col_sum = torch.zeros(n, device=aff.device, dtype=aff.dtype).index_add_(0, cols, vals)
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), vals / col_sum[cols], (n, n),
                                   check_invariants=False).coalesce()


def walk(maps: torch.Tensor, trans: torch.Tensor, steps: int) -> torch.Tensor:
    """maps (K, h, w) -> vec(maps) T^steps as (K, h, w): `steps` sparse products T^T x, x (N, K).
    T^T goes to CSR once: CSR products are about 14x faster than COO ones on a CPU (a VOC image's
    stride-4 grid, 2^8 steps, 1 thread: 1.17 s vs 16.3 s; bench/random_walk_speed.py), so the walk is
    no longer what IRN's refinement costs."""
    k, h, w = maps.shape
    x = maps.reshape(k, h * w).t().contiguous().to(trans.dtype)  # (N, K): (vec(M) T)^T = T^T vec(M)^T
    with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state": products are supported
        warnings.simplefilter("ignore", UserWarning)
        tt = trans.t().coalesce().to_sparse_csr()
    for _ in range(steps):
        x = tt @ x
    return x.t().reshape(k, h, w)


def psa_background(cams: np.ndarray, alpha: float) -> np.ndarray:
    """(K, H, W) max-normalised maps -> (K+1, H, W) with PSA's background (1 - max_k cam)^alpha first."""
    bg = (1.0 - (cams.max(0) if len(cams) else np.zeros(cams.shape[1:], np.float32))) ** alpha
    return np.concatenate([bg[None], cams]).astype(np.float32)


def power_threshold(power: float) -> float:
    """The map value t at which PSA's background (1 - t)^power equals t: the threshold PSA's argmax over
    [background; one class] applies to that class's max-normalised map (power 16 -> 0.123)."""
    lo, hi = 0.0, 1.0
    for _ in range(60):  # (1 - t)^power - t falls monotonically in t; bisection to float precision
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if (1 - mid) ** power > mid else (lo, mid)
    return (lo + hi) / 2


def threshold_power(t: float) -> float:
    """The inverse of power_threshold: the background power whose argmax thresholds the maps at t."""
    return float(np.log(t) / np.log1p(-t))


def affinity_labels(img: np.ndarray, cams: np.ndarray, class_ids, crf, la: float = 4, ha: float = 32) -> np.ndarray:
    """PSA's confident regions (H, W) uint8: the class id where the CRF of the low-power background
    says that class, 0 where the CRF of the high-power background says background, IGNORE elsewhere.
    crf(img, probs) -> marginals (the DAG's dense CRF, PSA's kernels in config)."""
    ids = np.array([0, *class_ids])
    fg = ids[crf(img, psa_background(cams, la)).argmax(0)]
    bg = crf(img, psa_background(cams, ha)).argmax(0) == 0
    label = np.where(fg == 0, IGNORE, fg).astype(np.uint8)
    label[bg] = 0
    return label


def refine(cams: np.ndarray, feats: torch.Tensor, image_size, stride: int, radius: int, beta: float, logt: int,
           alpha: float) -> np.ndarray:
    """One image's random walk: cams (K, H, W) max-normalised, feats (1, C, h, w) the affinity features
    of the image padded to a multiple of `stride` -> (K, H, W) maps in [0, 1] (`psa_label_maps`) whose
    0.5 rule is PSA's argmax over the walked [bg; classes]."""
    H, W = image_size
    h, w = feats.shape[-2:]
    full = torch.from_numpy(psa_background(cams, alpha))
    full = F.pad(full, (0, w * stride - W, 0, h * stride - H))  # zeros, the background channel too (PSA)
    small = F.avg_pool2d(full[None], stride, stride)[0]
    aff = affinities(feats, radius)[0]
    walked = walk(small, transition(aff, radius, beta), 2 ** logt)
    up = F.interpolate(walked[None], size=(h * stride, w * stride), mode="bilinear", align_corners=False)[0]
    up = up[:, :H, :W].clamp_min(0)
    return psa_label_maps(up)


def psa_label_maps(walked: torch.Tensor) -> np.ndarray:
    """(K, H, W) maps m_k = w_k / (w_bg + max_j w_j) of the walked (1 + K, H, W) [bg; classes]: max_k m_k > 0.5
    exactly where PSA's argmax picks a class, and argmax_k m_k is that class. The denominator is shared by
    the classes, so their order survives the float16 of the map files; w_k / (w_k + w_bg) saturates at 1 for
    every class where w_bg is ~0 (an object's core at PSA's alpha 16), and the stored classes then tie."""
    fg, bg = walked[1:], walked[:1]
    if not len(fg):  # an image without labelled classes
        return fg.numpy().astype(np.float32)
    return (fg / (bg + fg.amax(0, keepdim=True)).clamp_min(1e-12)).numpy().astype(np.float32)
