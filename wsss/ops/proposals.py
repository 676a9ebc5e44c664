"""Object hypotheses by hierarchical grouping of superpixels (selective search, Uijlings et al. 2013,
on the DAG's own superpixels): adjacent regions are merged greedily by colour-histogram intersection +
size + fill similarity, and every region of the hierarchy is a hypothesis (a set of superpixels)."""
from __future__ import annotations

import numpy as np

BINS = 25


def colour_histograms(img: np.ndarray, sp: np.ndarray, n: int) -> np.ndarray:
    """(n, 3 * BINS) L1-normalised colour histograms of each superpixel (uint8 RGB image)."""
    q = np.minimum(img.astype(np.int64) * BINS // 256, BINS - 1)         # (H, W, 3) bin per channel
    flat = sp.ravel()
    hist = np.zeros((n, 3 * BINS))
    for c in range(3):
        np.add.at(hist, (flat, c * BINS + q[..., c].ravel()), 1.0)
    return hist / np.maximum(hist.sum(1, keepdims=True), 1)


def adjacency(sp: np.ndarray) -> set:
    """Pairs (i < j) of 4-connected neighbouring superpixels."""
    pairs = set()
    for a, b in ((sp[:, :-1], sp[:, 1:]), (sp[:-1], sp[1:])):
        m = a != b
        lo, hi = np.minimum(a[m], b[m]), np.maximum(a[m], b[m])
        pairs.update(zip(lo.tolist(), hi.tolist()))
    return pairs


def hierarchy(img: np.ndarray, sp: np.ndarray) -> list[frozenset]:
    """Every region of the greedy grouping, as frozensets of superpixel ids: the superpixels first, then
    one merged region per merge (the last is the whole image when the superpixels are connected)."""
    n = int(sp.max()) + 1
    size = np.bincount(sp.ravel(), minlength=n).astype(float)
    ys, xs = np.indices(sp.shape)
    box = np.stack([np.bincount(sp.ravel(), minlength=n) * 0 for _ in range(4)], 1).astype(float)
    for i in range(n):  # y0, x0, y1, x1 of each superpixel
        m = sp == i
        if m.any():
            box[i] = [ys[m].min(), xs[m].min(), ys[m].max() + 1, xs[m].max() + 1]
    total = float(sp.size)
    regions = {i: dict(members=frozenset([i]), size=size[i], box=box[i], hist=h)
               for i, h in enumerate(colour_histograms(img, sp, n)) if size[i] > 0}
    neighbours = {i: set() for i in regions}
    for i, j in adjacency(sp):
        neighbours[i].add(j)
        neighbours[j].add(i)

    def similarity(a, b):
        ra, rb = regions[a], regions[b]
        lo, hi = np.minimum(ra["box"][:2], rb["box"][:2]), np.maximum(ra["box"][2:], rb["box"][2:])
        fill = 1 - (np.prod(hi - lo) - ra["size"] - rb["size"]) / total
        return np.minimum(ra["hist"], rb["hist"]).sum() + (1 - (ra["size"] + rb["size"]) / total) + fill

    sims = {(a, b): similarity(a, b) for a in neighbours for b in neighbours[a] if a < b}
    out = [r["members"] for r in regions.values()]
    nxt = n
    while sims:
        a, b = max(sims, key=sims.get)
        ra, rb = regions[a], regions[b]
        s = ra["size"] + rb["size"]
        regions[nxt] = dict(members=ra["members"] | rb["members"], size=s,
                            box=np.concatenate([np.minimum(ra["box"][:2], rb["box"][:2]),
                                                np.maximum(ra["box"][2:], rb["box"][2:])]),
                            hist=(ra["hist"] * ra["size"] + rb["hist"] * rb["size"]) / s)
        nb = (neighbours.pop(a) | neighbours.pop(b)) - {a, b}
        sims = {k: v for k, v in sims.items() if a not in k and b not in k}
        neighbours[nxt] = nb
        for k in nb:
            neighbours[k] -= {a, b}
            neighbours[k].add(nxt)
            sims[(k, nxt)] = similarity(k, nxt)
        del regions[a], regions[b]
        out.append(regions[nxt]["members"])
        nxt += 1
    return out


def box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(ys.min()), int(xs.min()), int(ys.max()) + 1, int(xs.max()) + 1


def box_iou(a, b) -> float:
    ih, iw = max(0, min(a[2], b[2]) - max(a[0], b[0])), max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ih * iw
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / max(area(a) + area(b) - inter, 1)


def hypotheses(img: np.ndarray, sp: np.ndarray, n: int, min_area: float = 0.02, max_iou: float = 0.7):
    """Up to n + 1 hypotheses (mask (H, W) bool, box (y0, x0, y1, x1)): the whole image first (as HCP),
    then regions of the hierarchy covering at least min_area of the image whose boxes overlap every
    kept box by IoU < max_iou; of those, the ones nearest n areas spaced evenly in log area (all scales)."""
    h, w = sp.shape
    whole = (np.ones((h, w), bool), (0, 0, h, w))
    cands, boxes = [], [whole[1]]
    for members in sorted(hierarchy(img, sp), key=len):
        mask = np.isin(sp, list(members))
        if mask.mean() < min_area:
            continue
        b = box_of(mask)
        if all(box_iou(b, k) < max_iou for k in boxes):
            boxes.append(b)
            cands.append((mask, b))
    cands.sort(key=lambda mb: mb[0].sum())
    if len(cands) > n:
        log_area = np.log([m.sum() for m, _ in cands])
        chosen: list[int] = []
        for target in np.linspace(log_area[0], log_area[-1], n):
            free = [i for i in range(len(cands)) if i not in chosen]
            chosen.append(min(free, key=lambda i: abs(log_area[i] - target)))
        cands = [cands[i] for i in sorted(chosen)]
    return [whole] + cands
