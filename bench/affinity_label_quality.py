"""How right a refiner's training labels are: the confident regions it learns its affinities from (PSA's
for random_walk, IRN's for irn), scored against the ground truth of the same images.

    python bench/affinity_label_quality.py --index results/voc12/data/index.json \
        --cams results/voc12/cams/<cam set>/train_*.h5 --checkpoint results/voc12/refiners/<set>/model.pt

The labels are recomputed exactly as train_refiner made them (the refiner's `labels`, the settings saved
in its checkpoint). Pixels the rule leaves as don't-care are counted as such; a diagnosis that reads the
ground truth, never a setting.
"""
import argparse

import numpy as np

from wsss.data.dataset import Index
from wsss.io.artifacts import load_torch
from wsss.io.files import read_label
from wsss.io.h5store import ShardReader
from wsss.ops.metrics import ConfusionAccumulator
from wsss.refiners import get_refiner


def tally(labels: dict, gts: dict, n_classes: int) -> dict:
    """Percentages over the non-void ground-truth pixels of the images (don't-care labels are 255), from
    the split's confusion matrix (wsss.ops.metrics: the labelled fraction and accuracy of seeds)."""
    acc = ConfusionAccumulator(n_classes)
    for image_id, label in labels.items():
        acc.add(gts[image_id], label)
    r = acc.result()
    cm = np.asarray(r["confusion"], np.float64)
    return {"labelled": 100 * r["labelled_fraction"], "labelled_right": 100 * r["labelled_accuracy"],
            "background_labels_right": 100 * cm[0, 0] / max(cm[:, 0].sum(), 1),
            "class_labels_right": 100 * np.trace(cm[1:, 1:]) / max(cm[:, 1:].sum(), 1),
            "object_pixels_labelled_background": 100 * r["object_as_background"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--cams", nargs="+", required=True, help="the map shards the refiner was trained from")
    ap.add_argument("--checkpoint", required=True, help="train_refiner's model.pt (its settings are used)")
    ap.add_argument("--split", default="train_gt")
    a = ap.parse_args()
    index = Index(a.index)
    state = load_torch(a.checkpoint, "refiner checkpoint")
    refiner = get_refiner(state["refiner"])
    with ShardReader(a.cams) as maps:
        ids = [i for i in index.splits[a.split] if i in maps]
        labels = refiner.labels(index, ids, maps, state["settings"])
    gts = {i: read_label(index.masks[i]) for i in ids}
    r = tally({i: np.asarray(v) for i, v in labels.items()}, gts, index.n_classes)
    print(f"{refiner.name}'s training labels on {len(ids)} images of {a.split} (% of non-void pixels)")
    print("| labelled | labelled right | background labels right | class labels right | "
          "object pixels labelled background |")
    print("|---|---|---|---|---|")
    keys = ("labelled", "labelled_right", "background_labels_right", "class_labels_right",
            "object_pixels_labelled_background")
    print("| " + " | ".join(f"{r[k]:.1f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
