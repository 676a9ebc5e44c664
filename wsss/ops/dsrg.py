"""DSRG (Huang et al., CVPR 2018) as its official code (speedinghzl/DSRG, the seed-growing layer and
losses of its Caffe prototxt): a segmentation net trained from sparse seeds that grow.

Every training step, per image, at the net's OUTPUT resolution (stride 8-16, as DSRG's 41x41):
  CRF                    the dense CRF of the (detached) predicted probabilities on the image resized
                         to the output size (dsrg.crf: DSRG's kernels, 80/12 and 3/12 px at that size)
  seeded region growing  on the CRF-refined probabilities Q: each pixel's class is the argmax of Q over
                         the image's classes plus background; it is confident when that Q exceeds the
                         class's threshold (foreground 0.85, background 0.99). Per class, the
                         8-connected components of (confident pixels of the class, plus its seeds
                         unless Q confidently says another class) that contain a seed of it: their
                         free pixels join the class. Seeds never change.
  balanced seed loss     per image: mean cross-entropy over its background seeds plus the mean over its
                         foreground seeds; averaged over the batch (SeedLossLayer3)
  boundary loss          mean over pixels of sum_c Q log(clip(Q / P, 0.05, 20)) (ConstrainLossLayer)

Crop padding (label PAD) is not image: it never grows, never seeds and counts in no loss.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from wsss.data.transforms import denormalise
from wsss.io.files import IGNORE, PAD
from wsss.ops.crf import dense_crf

EIGHT = np.ones((3, 3), bool)


def grow(seeds: np.ndarray, probs: np.ndarray, classes, fg_threshold: float, bg_threshold: float) -> np.ndarray:
    """seeds (H, W): 0..C-1, IGNORE (free) or PAD (outside the image); probs (C, H, W) the CRF-refined
    probabilities; classes: the image's class ids (background 0 is always one). Returns the grown map."""
    allowed = np.array(sorted({0, *(int(k) for k in classes)}))
    best = allowed[probs[allowed].argmax(0)]
    conf = probs[allowed].max(0) > np.where(best == 0, bg_threshold, fg_threshold)
    inside = seeds != PAD
    label_map = np.where(conf & inside, best, seeds)  # confident pixels take their class, seeds included
    out = seeds.copy()
    free = seeds == IGNORE
    for c in allowed:
        region = label_map == c
        comp, _ = ndimage.label(region, structure=EIGHT)
        keep = np.unique(comp[region & (seeds == c)])
        out[free & np.isin(comp, keep[keep > 0])] = c
    return out


def balanced_seed_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per image: mean cross-entropy over its background seeds + mean over its foreground seeds (0 for
    a part with no seeds); the batch mean of that. labels: 0..C-1, IGNORE and PAD excluded."""
    ce = F.cross_entropy(logits, labels.masked_fill(labels == PAD, IGNORE), ignore_index=IGNORE, reduction="none")
    loss = logits.new_zeros(())
    for part in (labels == 0, (labels > 0) & (labels != IGNORE) & (labels != PAD)):
        count = part.flatten(1).sum(1).clamp_min(1)
        loss = loss + ((ce * part).flatten(1).sum(1) / count).mean()
    return loss


def boundary_loss(probs: torch.Tensor, crf_probs: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over (valid) pixels of sum_c Q log(clip(Q / P, 0.05, 20)); probs (B, C, H, W) with gradient,
    crf_probs Q fixed."""
    q = crf_probs.clamp_min(1e-8)
    kl = (q * torch.clamp(q / probs.clamp_min(1e-8), 0.05, 20).log()).sum(1)
    if valid is None:
        return kl.mean()
    return (kl * valid).sum() / valid.sum().clamp_min(1)


def at_output(label: torch.Tensor, size) -> torch.Tensor:
    """A label map (B, H, W) sampled at the centres of the output grid's cells (no mixing of labels)."""
    h, w = label.shape[-2:]
    rows = ((torch.arange(size[0], device=label.device) + 0.5) * h / size[0]).long().clamp_max(h - 1)
    cols = ((torch.arange(size[1], device=label.device) + 0.5) * w / size[1]).long().clamp_max(w - 1)
    return label[:, rows][:, :, cols]


def dsrg_loss(model, x, seeds, targets, settings: dict):
    """One DSRG step's loss on a batch: x (B, 3, H, W), seeds (B, H, W) with IGNORE and PAD, targets
    (B, C-1) image labels; everything at the net's output resolution."""
    logits = model.logits(x)
    size = logits.shape[-2:]
    probs = torch.softmax(logits, 1)
    small_seeds = at_output(seeds, size)
    small_images = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    grown, refined = [], []
    for b in range(len(x)):
        p = probs[b].detach().float().cpu().numpy()
        q = dense_crf(denormalise(small_images[b]), p, settings["crf"])
        classes = (targets[b].nonzero().flatten() + 1).tolist()
        grown.append(torch.from_numpy(grow(small_seeds[b].cpu().numpy(), q, classes,
                                           settings["fg_threshold"], settings["bg_threshold"])))
        refined.append(torch.from_numpy(q))
    grown = torch.stack(grown).to(x.device)
    refined = torch.stack(refined).to(x.device)
    return balanced_seed_loss(logits, grown) + boundary_loss(probs, refined, (small_seeds != PAD).float())
