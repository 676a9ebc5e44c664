"""Superpixel pooling (SPN, Kwak et al. 2017): the mean of a feature map inside each superpixel.

Forward: for superpixel s of image b, z[s] = (1/|s|) * sum_{u in s} f_b[:, u].
Backward: dL/df_b[:, u] = dL/dz[s(u)] / |s(u)| -- what autograd derives from index_add_ here, so
no custom Function is needed. One index_add_ over the whole batch (superpixel ids are offset per
image), no Python loop over superpixels; works for images with different superpixel counts.
"""
from __future__ import annotations

import torch


def superpixel_pool(features: torch.Tensor, superpixels: torch.Tensor):
    """features (B, C, H, W), superpixels (B, H, W) int ids 0..K_b-1 at the same resolution.

    Returns (pooled (sum_b K_b, C), image index of each row (sum_b K_b,), counts (sum_b K_b,)).
    """
    b, c, h, w = features.shape
    if superpixels.shape != (b, h, w):
        raise ValueError(f"superpixel maps {tuple(superpixels.shape)} do not match features {(b, h, w)}")
    sp = superpixels.long().flatten(1)                              # (B, HW)
    n_per_image = sp.max(1).values + 1                              # K_b
    offsets = torch.cumsum(n_per_image, 0) - n_per_image            # first global id of each image
    ids = (sp + offsets[:, None]).flatten()                         # (B*HW,)
    total = int(n_per_image.sum())
    flat = features.permute(0, 2, 3, 1).reshape(-1, c)             # (B*HW, C)
    sums = flat.new_zeros(total, c).index_add_(0, ids, flat)
    counts = torch.bincount(ids, minlength=total).to(flat.dtype)
    image_of = torch.repeat_interleave(torch.arange(b, device=features.device), n_per_image)
    return sums / counts.clamp_min(1)[:, None], image_of, counts


def mean_over_superpixels(pooled: torch.Tensor, image_of: torch.Tensor, n_images: int) -> torch.Tensor:
    """SPN's image feature: the mean of an image's superpixel features, (B, C)."""
    sums = pooled.new_zeros(n_images, pooled.shape[1]).index_add_(0, image_of, pooled)
    n = torch.bincount(image_of, minlength=n_images).to(pooled.dtype)
    return sums / n.clamp_min(1)[:, None]


def paint_back(values: torch.Tensor, superpixels: torch.Tensor, image_of: torch.Tensor) -> torch.Tensor:
    """Per-superpixel values (sum K_b, D) -> maps (B, D, H, W) at the superpixel-map resolution."""
    b = superpixels.shape[0]
    n_per_image = torch.bincount(image_of, minlength=b)
    offsets = torch.cumsum(n_per_image, 0) - n_per_image
    ids = superpixels.long() + offsets[:, None, None]
    return values[ids].permute(0, 3, 1, 2)
