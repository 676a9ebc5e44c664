"""Reliability of an annotation as its "scatter" (SPN): perimeter^2 / area per class.

A compact blob scores low (a square scores exactly 16, a disc about 4*pi), a ragged or
fragmented mask scores high. Perimeter = number of pixel edges between the class mask and
anything else, image border included (4-neighbourhood).
"""
from __future__ import annotations

import numpy as np


def perimeter(mask: np.ndarray) -> int:
    m = np.pad(mask.astype(bool), 1)
    return int((m[1:, :] != m[:-1, :]).sum() + (m[:, 1:] != m[:, :-1]).sum())


def scatter(mask: np.ndarray) -> float:
    area = int(mask.sum())
    if area == 0:
        return float("inf")
    return perimeter(mask) ** 2 / area


def class_scatter(label: np.ndarray, class_ids) -> dict[int, float]:
    """Scatter of each labelled class's mask; inf when the annotation lost the class."""
    return {int(c): scatter(label == c) for c in class_ids}


def select_top_k(scores: dict[str, dict[int, float]], k: int | None) -> dict[int, list[str]]:
    """Per class, the k image ids with the least scattered annotation (ties by id).

    Annotations with infinite scatter (class missing from the annotation) are never selected.
    k = None keeps every finite one.
    """
    per_class: dict[int, list[tuple[float, str]]] = {}
    for image_id, by_class in scores.items():
        for c, s in by_class.items():
            if np.isfinite(s):
                per_class.setdefault(int(c), []).append((float(s), image_id))
    out = {}
    for c, items in sorted(per_class.items()):
        items.sort()
        out[c] = [i for _, i in (items if k is None else items[:k])]
    return out
