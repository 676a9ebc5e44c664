"""The prepared dataset (index.json + lists) as stages see it, and the shard slicing rule."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from wsss.io.files import read_json


def n_shards(n_images: int, shard_size: int) -> int:
    return max(1, math.ceil(n_images / shard_size))


def shard_ids(ids: list[str], shard: int, shards: int) -> list[str]:
    """Contiguous, near-equal slices; shard k of n is the same for every stage."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} outside 0..{shards - 1}")
    return [str(i) for i in np.array_split(np.asarray(ids, dtype=object), shards)[shard]]


class Index:
    """index.json written by prepare_data: paths, masks, image-level labels, splits."""

    def __init__(self, path):
        self.path = Path(path)
        d = read_json(path)
        self.class_names: list[str] = d["class_names"]
        self.images: dict[str, str] = d["images"]
        self.masks: dict[str, str] = d["masks"]
        self.labels: dict[str, list[int]] = d["labels"]
        self.splits: dict[str, list[str]] = d["splits"]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def shard(self, split: str, shard: int, shards: int) -> list[str]:
        return shard_ids(self.splits[split], shard, shards)

    def multi_hot(self, image_id: str) -> np.ndarray:
        """Foreground-class vector (length C-1) used by the classifiers."""
        v = np.zeros(self.n_classes - 1, np.float32)
        v[[c - 1 for c in self.labels[image_id]]] = 1
        return v
