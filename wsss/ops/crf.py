"""Dense CRF (Krähenbühl & Koltun) through pydensecrf2, with the DeepLab default kernels."""
from __future__ import annotations

import numpy as np


def dense_crf(img: np.ndarray, probs: np.ndarray, settings: dict) -> np.ndarray:
    """Refine per-pixel class probabilities (C, H, W) on an RGB uint8 image; returns (C, H, W) marginals."""
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax

    c, h, w = probs.shape
    d = dcrf.DenseCRF2D(w, h, c)
    p = np.clip(probs, 1e-5, 1.0).astype(np.float32)
    unary = -p.reshape(c, -1) if settings.get("unary", "neg_log") == "neg_prob" else unary_from_softmax(p)
    d.setUnaryEnergy(np.ascontiguousarray(unary))
    d.addPairwiseGaussian(sxy=settings.get("gauss_sxy", 3), compat=settings.get("gauss_compat", 3))
    d.addPairwiseBilateral(sxy=settings.get("bilat_sxy", 50), srgb=settings.get("bilat_srgb", 13),
                           rgbim=np.array(img, dtype=np.uint8, order="C", copy=True), compat=settings.get("bilat_compat", 10))
    q = d.inference(int(settings.get("iterations", 10)))
    return np.asarray(q, np.float32).reshape(c, h, w)
