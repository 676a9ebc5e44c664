"""The pseudo-label rule: localization maps of the labelled classes -> one label map.

Rule (SPN's initial annotation): maps are per-class max-normalised; a pixel takes the argmax over
the image's labelled classes, or background where every class is below `threshold`. Classes not
in the image label never appear (annotation cleaning). `refine` optionally averages the maps in
each superpixel (`superpixel`) or runs a dense CRF (`crf`).
"""
from __future__ import annotations

import numpy as np

from wsss.io.files import IGNORE
from wsss.ops.crf import dense_crf
from wsss.ops.superpixels import superpixel_mean


def annotate(cams: np.ndarray, class_ids, threshold: float, refine: str = "none", img=None, sp=None,
             crf_settings=None, background_threshold=None, background_margin: float = 0.0) -> np.ndarray:
    """(K, H, W) maps in [0,1] of the labelled classes -> uint8 label map.

    background_threshold set (seeds for DSRG): background only where every map is below it, the
    band between it and `threshold` is left unlabelled (255); where classes overlap the higher map wins."""
    if refine == "superpixel":
        cams = superpixel_mean(cams, sp)
    scores = np.concatenate([np.full((1,) + cams.shape[1:], threshold, np.float32), cams])
    if refine == "crf":
        e = np.exp((scores - scores.max(0, keepdims=True)) / 0.1)
        scores = dense_crf(img, e / e.sum(0, keepdims=True), crf_settings or {})
    lut = np.asarray([0] + list(class_ids), np.uint8)
    label = lut[scores.argmax(0)]
    if background_threshold is not None and len(cams):
        label[(label == 0) & (cams.max(0) >= background_threshold)] = IGNORE
    if background_margin > 0:
        label = keep_background_away(label, background_margin)
    return label


def keep_background_away(label: np.ndarray, margin: float) -> np.ndarray:
    """Seeds rule: no background seed within margin x (the image's shorter side) of a foreground seed.

    Without a saliency model, background seeds come from low activation alone, and a CAM covers an
    object only around its discriminative parts: the low-activation rest of the object, next to the
    foreground seeds, would be seeded as background, which DSRG can never grow into. Leaving that
    band unlabelled trades background seeds for fewer wrong ones. No ground truth is read."""
    fg = (label > 0) & (label != IGNORE)
    if not fg.any():
        return label
    from scipy.ndimage import distance_transform_edt

    near = distance_transform_edt(~fg) <= margin * min(label.shape)
    return np.where((label == 0) & near, IGNORE, label).astype(label.dtype)
