"""Per-superpixel averages of dense maps."""
from __future__ import annotations

import numpy as np


def superpixel_means(maps: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """(K, H, W) maps -> (K, n_superpixels) mean of each map inside each superpixel (bincount)."""
    flat = sp.ravel()
    n = int(flat.max()) + 1
    count = np.maximum(np.bincount(flat, minlength=n), 1).astype(np.float32)
    return np.stack([np.bincount(flat, m.ravel(), minlength=n) / count for m in maps]).astype(np.float32) \
        if len(maps) else np.zeros((0, n), np.float32)


def superpixel_mean(maps: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """Replace every map value by the mean over its superpixel."""
    return superpixel_means(maps, sp)[:, sp]
