"""DSRG (Huang et al., CVPR 2018): a segmentation net trained from sparse seeds that grow.

Each training step, for every image:
  seeded region growing  an unlabelled pixel joins class c when it touches (4-neighbourhood) the
                         region of c, its most probable class is c and P(c) exceeds c's threshold
                         (one threshold for background, one for the foreground classes); repeated
                         until nothing changes, so growth stays connected to the seeds. Only the
                         image's classes (and background) grow.
  balanced seed loss     cross-entropy on the labelled pixels, averaged separately over foreground
                         and background pixels and summed (a few large background seeds do not
                         drown the objects)
  boundary loss          KL(Q || P): Q is the dense CRF of the prediction P on the image (no gradient
                         through Q), so the output is pulled towards colour/position boundaries

The grown labels are computed at the net's output resolution from detached probabilities.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from wsss.data.transforms import denormalise
from wsss.io.files import IGNORE
from wsss.ops.crf import dense_crf


def grow(seeds: np.ndarray, probs: np.ndarray, classes, fg_threshold: float, bg_threshold: float) -> np.ndarray:
    """seeds (H, W) 0..C-1 or IGNORE; probs (C, H, W); classes: the image's class ids (background 0 is
    always allowed). Returns the grown label map.

    A free pixel can join only its argmax class, so classes never compete for a pixel and the
    iterative growth equals, per class, the 4-connected components of (seeds of c | pixels that may
    join c) that contain a seed of c -- computed in one labelling pass."""
    labels = seeds.copy()
    best = probs.argmax(0)
    free = seeds == IGNORE
    for c in sorted({0, *(int(k) for k in classes)}):
        seed_c = seeds == c
        if not seed_c.any():
            continue
        joinable = free & (best == c) & (probs[c] > (bg_threshold if c == 0 else fg_threshold))
        comp, _ = ndimage.label(seed_c | joinable)  # 4-connectivity by default
        keep = np.unique(comp[seed_c])
        labels[joinable & np.isin(comp, keep[keep > 0])] = c
    return labels


def balanced_seed_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over labelled pixels, foreground and background averaged separately, summed."""
    ce = F.cross_entropy(logits, labels, ignore_index=IGNORE, reduction="none")
    fg = (labels != IGNORE) & (labels > 0)
    bg = labels == 0
    loss = logits.new_zeros(())
    for part in (fg, bg):
        if part.any():
            loss = loss + ce[part].mean()
    return loss


def boundary_loss(probs: torch.Tensor, crf_probs: torch.Tensor) -> torch.Tensor:
    """Mean over pixels of KL(Q || P) = sum_c Q log(Q / P); probs (B, C, H, W) with gradient, crf_probs fixed."""
    q = crf_probs.clamp_min(1e-8)
    return (q * (q.log() - probs.clamp_min(1e-8).log())).sum(1).mean()


def dsrg_loss(model, x, seeds, targets, settings: dict):
    """One DSRG step's loss on a batch: x (B, 3, H, W), seeds (B, H, W), targets (B, C-1) image labels."""
    logits = model(x)
    probs = torch.softmax(logits, 1)
    grown, crf = [], []
    for b in range(len(x)):
        p = probs[b].detach()
        classes = (targets[b].nonzero().flatten() + 1).tolist()
        grown.append(torch.from_numpy(grow(seeds[b].cpu().numpy(), p.cpu().numpy(), classes,
                                           settings["fg_threshold"], settings["bg_threshold"])))
        crf.append(torch.from_numpy(dense_crf(denormalise(x[b]), p.cpu().numpy(), settings["crf"])))
    grown = torch.stack(grown).to(x.device)
    crf = torch.stack(crf).to(x.device)
    return balanced_seed_loss(logits, grown) + boundary_loss(probs, crf)
