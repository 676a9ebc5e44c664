"""SP-CAM annotations under different per-class normalisations of the SP classifier's scores, one SPN:
the evidence behind the SP-CAM normalisation choice (wsss.localizers.spn.spcam_maps), not a tuning loop.

    python bench/spcam_normalisation.py --index results/demo/data/index.json \
        --checkpoint results/demo/classifiers/<spn>/model.pt --superpixels results/demo/superpixels/train_*.h5 \
        --sizes 96 128 160 192 [--limit 0]

Rules, each followed by the SPN paper's 50%-of-max annotation: relu_max (scores clipped at 0, over
the max: needs a meaningful zero), minmax ((s - min) / (max - min) over the image's superpixels),
above_mean ((s - mean)+ over its max: the superpixels above the image's average for the class).
Prints mIoU on train_gt and the share of (image, labelled class) pairs left empty.
"""
import argparse

import numpy as np
from tqdm import tqdm

from wsss.data.dataset import Index
from wsss.io.files import read_image, read_label
from wsss.io.h5store import ShardReader
from wsss.localizers import load_classifier
from wsss.localizers.spn import superpixel_scores
from wsss.ops.annotate import annotate
from wsss.ops.metrics import ConfusionAccumulator

RULES = {
    "relu_max": lambda s: np.clip(s, 0, None) / max(float(np.clip(s, 0, None).max()), 1e-6),
    "minmax": lambda s: (s - s.min()) / max(float(s.max() - s.min()), 1e-6),
    "above_mean": lambda s: np.clip(s - s.mean(), 0, None) / max(float(np.clip(s - s.mean(), 0, None).max()), 1e-6),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--superpixels", nargs="+", required=True)
    ap.add_argument("--sizes", type=int, nargs="+", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    index = Index(a.index)
    model, _, _ = load_classifier(a.checkpoint, a.device)
    sp_reader = ShardReader(a.superpixels)
    ids = index.splits["train_gt"][: a.limit or None]
    acc = {r: ConfusionAccumulator(index.n_classes) for r in RULES}
    empty = {r: 0 for r in RULES}
    pairs = 0
    for image_id in tqdm(ids, desc="SP-CAM normalisations"):
        img, sp = read_image(index.images[image_id]), sp_reader.get(image_id)[0]
        best, _ = superpixel_scores(model, img, sp, a.sizes, True, a.device)
        classes = index.labels[image_id]
        pairs += len(classes)
        gt = read_label(index.masks[image_id])
        for rule, norm in RULES.items():
            maps = np.stack([norm(best[c - 1])[sp] for c in classes]).astype(np.float32)
            empty[rule] += int(sum(not (m > 0).any() for m in maps))
            acc[rule].add(gt, annotate(maps, classes, 0.5))
    print(f"{len(ids)} train_gt images, {pairs} (image, class) pairs, 50%-of-max annotations")
    print("| normalisation | mIoU % | empty pairs |")
    print("|---|---|---|")
    for rule in RULES:
        print(f"| {rule} | {100 * acc[rule].result()['miou']:.1f} | {empty[rule]} |")


if __name__ == "__main__":
    main()
