"""Segmentation metrics from one confusion matrix over a whole split (the VOC convention)."""
from __future__ import annotations

import numpy as np

from wsss.io.files import IGNORE


def confusion(gt: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """n x n matrix, rows = ground truth, cols = prediction; pixels with gt == 255 are skipped.

    A prediction of 255 (ignored / unlabelled) counts as wrong for that gt pixel: it is
    put in an extra column that is dropped, so it adds to FN but to no class's FP.
    """
    if gt.shape != pred.shape:
        raise ValueError(f"shape mismatch: gt {gt.shape} vs prediction {pred.shape}")
    valid = gt != IGNORE
    g = gt[valid].astype(np.int64)
    p = pred[valid].astype(np.int64)
    if g.size and g.max() >= n_classes:
        raise ValueError(f"ground-truth label {g.max()} outside 0..{n_classes - 1}")
    p = np.where(p >= n_classes, n_classes, p)
    cm = np.bincount(g * (n_classes + 1) + p, minlength=n_classes * (n_classes + 1))
    return cm.reshape(n_classes, n_classes + 1)[:, :n_classes]


def scores(cm: np.ndarray, gt_pixels_per_class: np.ndarray | None = None) -> dict:
    """mIoU, per-class IoU, pixel accuracy, and for sparse labels (seeds) the labelled fraction and accuracy.

    IoU_c = TP / (TP + FP + FN). FN includes gt pixels predicted as 255, which is why
    the gt pixel count per class may be passed in (row sums of the clipped matrix miss them).
    Classes absent from both gt and prediction get IoU NaN and are left out of the mean.
    """
    cm = cm.astype(np.float64)
    tp = np.diag(cm)
    gt_count = cm.sum(1) if gt_pixels_per_class is None else gt_pixels_per_class.astype(np.float64)
    fp = cm.sum(0) - tp
    fn = gt_count - tp
    denom = tp + fp + fn
    iou = np.where(denom > 0, tp / np.maximum(denom, 1), np.nan)
    return {
        "miou": float(np.nanmean(iou)) if np.any(denom > 0) else float("nan"),
        "iou": [None if np.isnan(v) else float(v) for v in iou],
        "pixel_accuracy": float(tp.sum() / max(gt_count.sum(), 1)),
        # seeds leave pixels at 255: how much of the image they label, and how often that label is right
        "labelled_fraction": float(cm.sum() / max(gt_count.sum(), 1)),
        "labelled_accuracy": float(tp.sum() / max(cm.sum(), 1)),
        # seeds: how much of the objects is seeded as background, how much of the foreground seeds is background
        "object_as_background": float(cm[1:, 0].sum() / max(gt_count[1:].sum(), 1)),
        "foreground_on_background": float(cm[0, 1:].sum() / max(cm[:, 1:].sum(), 1)),
    }


class ConfusionAccumulator:
    def __init__(self, n_classes: int):
        self.n = n_classes
        self.cm = np.zeros((n_classes, n_classes), dtype=np.int64)
        self.gt_count = np.zeros(n_classes, dtype=np.int64)
        self.n_images = 0

    def add(self, gt: np.ndarray, pred: np.ndarray) -> None:
        self.cm += confusion(gt, pred, self.n)
        valid = gt != IGNORE
        self.gt_count += np.bincount(gt[valid].astype(np.int64), minlength=self.n)[: self.n]
        self.n_images += 1

    def result(self) -> dict:
        out = scores(self.cm, self.gt_count)
        out["n_images"] = self.n_images
        out["confusion"] = self.cm.tolist()
        return out


def mean_average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Mean over classes with a positive of the average precision of (N, C) scores against 0/1 targets."""
    aps = []
    for c in range(targets.shape[1]):
        if targets[:, c].sum() == 0:
            continue
        order = np.argsort(-scores[:, c])
        hits = targets[order, c]
        prec = np.cumsum(hits) / (np.arange(len(hits)) + 1)
        aps.append(float((prec * hits).sum() / hits.sum()))
    return float(np.mean(aps)) if aps else float("nan")
