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
             crf_settings=None, background_threshold=None) -> np.ndarray:
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
    return label
