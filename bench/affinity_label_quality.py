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
from wsss.ops.random_walk import IGNORE
from wsss.refiners import get_refiner


def tally(labels: dict, gts: dict) -> dict:
    """Percentages over the non-void ground-truth pixels of the images."""
    n = {"pixels": 0, "labelled": 0, "right": 0, "bg": 0, "bg_right": 0, "fg": 0, "fg_right": 0, "objects": 0,
         "objects_as_bg": 0}
    for image_id, label in labels.items():
        gt = gts[image_id]
        valid = gt != IGNORE
        lab = valid & (label != IGNORE)
        n["pixels"] += valid.sum()
        n["labelled"] += lab.sum()
        n["right"] += (lab & (label == gt)).sum()
        n["bg"] += (lab & (label == 0)).sum()
        n["bg_right"] += (lab & (label == 0) & (gt == 0)).sum()
        n["fg"] += (lab & (label > 0)).sum()
        n["fg_right"] += (lab & (label > 0) & (label == gt)).sum()
        n["objects"] += (valid & (gt > 0)).sum()
        n["objects_as_bg"] += (valid & (gt > 0) & (label == 0)).sum()
    pct = lambda a, b: 100.0 * n[a] / max(n[b], 1)  # noqa: E731
    return {"labelled": pct("labelled", "pixels"), "labelled_right": pct("right", "labelled"),
            "background_labels_right": pct("bg_right", "bg"), "class_labels_right": pct("fg_right", "fg"),
            "object_pixels_labelled_background": pct("objects_as_bg", "objects")}


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
    r = tally({i: np.asarray(v) for i, v in labels.items()}, gts)
    print(f"{refiner.name}'s training labels on {len(ids)} images of {a.split} (% of non-void pixels)")
    print("| labelled | labelled right | background labels right | class labels right | "
          "object pixels labelled background |")
    print("|---|---|---|---|---|")
    keys = ("labelled", "labelled_right", "background_labels_right", "class_labels_right",
            "object_pixels_labelled_background")
    print("| " + " | ".join(f"{r[k]:.1f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
