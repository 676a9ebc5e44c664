"""IRN's inter-pixel relations (Ahn, Cho, Kwak, CVPR 2019; facts from jiwoon-ahn/irn, read for facts):
class-boundary affinities between pixels within a radius at stride 4, and its relation labels.

- pairs: the same half-plane of offsets as PSA (wsss.ops.random_walk.offsets; 152 for radius 10 at
  training, 34 for radius 5 at inference);
- the path of a pair: the integer points of the pair's bounding box whose distance to the line through
  both ends is below 1, both ends included (IRN's PathIndex);
- affinity = 1 - max over the path of the boundary probability (no exponent); outside the map the
  boundary is 1 (IRN pads the boundary map with 1), so pairs leaving the map have affinity 0;
- labels from CAMs: the dense CRF of the argmax of [0.30; cams] gives the classes, of [0.05; cams]
  the background, the rest is ignored (IRN's cam_to_ir_label, its CRF: gt_prob 0.7, 10 iterations,
  Gaussian 3 / 3, bilateral 50 / 5 / 10).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from wsss.ops.random_walk import IGNORE, _shifted, offsets, transition, walk


def path_points(dy: int, dx: int) -> list[tuple[int, int]]:
    """The points (y, x) relative to the pair's first end on the path to (dy, dx), both ends included."""
    norm = float(np.hypot(dy, dx))
    pts = []
    for y in range(min(0, dy), max(0, dy) + 1):
        for x in range(min(0, dx), max(0, dx) + 1):
            if abs(y * dx - x * dy) / norm < 1:   # distance of (y, x) to the line through 0 and (dy, dx)
                pts.append((y, x))
    return pts


def _shift_any(b: torch.Tensor, y: int, x: int, fill: float) -> torch.Tensor:
    """b[..., i + y, j + x] at every (i, j) for any sign of y (random_walk._shifted takes y >= 0)."""
    if y >= 0:
        return _shifted(b, y, x, fill)
    return _shifted(b.flip(-2), -y, x, fill).flip(-2)


def boundary_affinities(boundary: torch.Tensor, radius: int) -> torch.Tensor:
    """boundary (B, h, w) in [0, 1] -> (B, D, h, w) affinities 1 - max of the boundary on each offset's path."""
    out = []
    for dy, dx in offsets(radius):
        path = torch.stack([_shift_any(boundary, y, x, 1.0) for y, x in path_points(dy, dx)])
        out.append(1 - path.max(0).values)
    return torch.stack(out, 1)


def boundary_walk(cams: np.ndarray, boundary: torch.Tensor, image_size, radius: int = 5, beta: float = 10,
                  logt: int = 8, stride: int = 4) -> np.ndarray:
    """IRN's walk of one image's maps (K, H, W) through a class-boundary map (h, w) at `stride` covering the
    image padded to a multiple of it: each class divided by its max, times (1 - boundary), walked 2^logt
    steps with A = (1 - max boundary on the path)^beta; upsampled, divided by the global max (IRN's
    0.25 rule then labels background where every class is below it)."""
    H, W = image_size
    h, w = boundary.shape
    maps = F.pad(torch.from_numpy(cams.astype(np.float32)), (0, w * stride - W, 0, h * stride - H))
    small = F.avg_pool2d(maps[None], stride, stride)[0]
    small = small / small.flatten(1).max(1).values.clamp_min(1e-5)[:, None, None]
    aff = boundary_affinities(boundary[None], radius)[0]
    walked = walk(small * (1 - boundary), transition(aff, radius, beta), 2 ** logt)
    up = F.interpolate(walked[None], size=(h * stride, w * stride), mode="bilinear", align_corners=False)[0, :, :H, :W]
    up = up.clamp_min(0)
    return (up / up.max().clamp_min(1e-12)).numpy().astype(np.float32)


def relation_labels(img: np.ndarray, cams: np.ndarray, class_ids, crf, fg: float = 0.30, bg: float = 0.05,
                    gt_prob: float = 0.7) -> np.ndarray:
    """IRN's relation labels (H, W) uint8: the class where the CRF of argmax [fg; cams] says a class,
    0 where the CRF of argmax [bg; cams] also says background, IGNORE elsewhere. crf(img, probs) ->
    marginals; the argmax labels enter as IRN's unary (gt_prob on the label, the rest shared)."""
    ids = np.array([0, *class_ids])
    n = len(ids)

    def crf_label(const):
        lab = np.concatenate([np.full((1, *cams.shape[1:]), const, np.float32), cams]).argmax(0)
        probs = np.full((n, *lab.shape), (1 - gt_prob) / max(n - 1, 1), np.float32)
        np.put_along_axis(probs, lab[None], gt_prob, 0)
        return crf(img, probs).argmax(0)

    fg_lab, bg_lab = ids[crf_label(fg)], ids[crf_label(bg)]
    out = np.where(fg_lab == 0, IGNORE, fg_lab).astype(np.uint8)
    out[(fg_lab == 0) & (bg_lab == 0)] = 0
    return out
