"""The background-threshold protocol: a rule that looks at no ground truth (Otsu on the maps), and the
sweep over thresholds on train_gt that is shown beside it, labelled as the oracle.

Rule (written down, the default of every localizer): pool, over the train images, the per-pixel max of
the max-normalised maps of the image's labelled classes into a 256-bin histogram on [0, 1]; the
threshold is the split that maximises the between-class variance of the two sides (Otsu 1979).
It reads the maps only, so neither val nor any ground truth shapes the pseudo labels.
"""
from __future__ import annotations

import numpy as np

from wsss.ops.metrics import confusion, scores

BINS = 256
SWEEP = tuple(round(t, 2) for t in np.arange(0.05, 0.951, 0.05))


def map_histogram(maps: np.ndarray) -> np.ndarray:
    """(K, H, W) maps in [0, 1] -> BINS counts of the per-pixel max over classes."""
    if not len(maps):
        return np.zeros(BINS, np.int64)
    return np.histogram(maps.max(0), bins=BINS, range=(0.0, 1.0))[0].astype(np.int64)


def otsu(hist: np.ndarray) -> float:
    """Otsu's threshold of a histogram on [0, 1]: the split (after bin k) that maximises the between-class
    variance; returned as bin k's upper edge, so that values of bin k and below fall on the background side."""
    p = hist.astype(np.float64) / max(hist.sum(), 1)
    centres = (np.arange(len(hist)) + 0.5) / len(hist)
    w = np.cumsum(p)
    mu = np.cumsum(p * centres)
    between = (mu[-1] * w - mu) ** 2 / np.maximum(w * (1 - w), 1e-12)
    k = int(np.argmax(between[:-1]))  # a split leaves something on both sides
    return float((k + 1) / len(hist))


def otsu_of_maps(reader, ids=None) -> tuple[float, np.ndarray]:
    """The rule's threshold of a set of maps (a ShardReader) and the pooled histogram it splits; ids: the
    images to pool, all of the reader's by default."""
    from tqdm import tqdm

    ids = sorted(reader.keys()) if ids is None else [i for i in ids if i in reader]
    hist = np.zeros(BINS, np.int64)
    for image_id in tqdm(ids, desc="threshold rule"):
        hist = hist + map_histogram(reader.cam(image_id)[0])
    return otsu(hist), hist


def thresholded(maps: np.ndarray, class_ids, t: float) -> np.ndarray:
    """The pseudo-label rule without refinement: argmax over the labelled classes, background below t."""
    if not len(maps):
        return np.zeros(maps.shape[1:], np.uint8)
    lut = np.asarray(list(class_ids), np.uint8)
    return np.where(maps.max(0) > t, lut[maps.argmax(0)], 0).astype(np.uint8)


class Sweep:
    """One confusion matrix per threshold, accumulated over images."""

    def __init__(self, n_classes: int, thresholds=SWEEP):
        self.thresholds, self.n = list(thresholds), n_classes
        self.cms = np.zeros((len(self.thresholds), n_classes, n_classes), np.int64)

    def add(self, gt: np.ndarray, maps: np.ndarray, class_ids) -> None:
        for i, t in enumerate(self.thresholds):
            self.cms[i] += confusion(gt, thresholded(maps, class_ids, t), self.n)

    def miou(self) -> list[float]:
        return [scores(cm)["miou"] for cm in self.cms]
